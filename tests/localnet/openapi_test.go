package localnet

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/app/openapi"
)

// swaggerDoc is the part of the OpenAPI document the checks read.
type swaggerDoc struct {
	Paths map[string]map[string]struct {
		OperationID string `json:"operationId"`
		Responses   map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"responses"`
	} `json:"paths"`
	Definitions map[string]map[string]any `json:"definitions"`
}

// checkOpenAPI reads the OpenAPI document from the node's REST port
// (api.swagger is on in the localnet) and checks it against the live
// gateway: every documented GET route is served, x/subnet's routes answer
// 200 with the fields the document names and 404 for an unknown subnet.
// It creates subnet 1 with alice's funds.
func checkOpenAPI(t *testing.T, l localnet, alice string) {
	t.Helper()
	status, raw := restGet(t, l, openapi.DocumentPath)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200 (is api.swagger on?)", openapi.DocumentPath, status)
	}
	if !bytes.Equal(raw, openapi.Document()) {
		t.Fatalf("the node serves a document (%d bytes) other than app/openapi/openapi.json (%d bytes)", len(raw), len(openapi.Document()))
	}
	var doc swaggerDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("document JSON: %v", err)
	}
	l.txOK(t, "tx", "subnet", "create-subnet", "digits", digitsTaskJSON, "--from", "alice")

	t.Run("every documented GET route is served", func(t *testing.T) {
		// the gateway answers 501 Not Implemented for a route it lacks
		if s, _ := restGet(t, l, "/tensorcosm/subnet/v1/no_such_route"); s != http.StatusNotImplemented {
			t.Fatalf("unknown route: status %d, want 501, so this check could not tell", s)
		}
		gets := 0
		for _, path := range sortedPaths(doc) {
			if _, ok := doc.Paths[path]["get"]; !ok {
				continue
			}
			gets++
			if s, body := restGet(t, l, fillPath(path, alice)); s == http.StatusNotImplemented {
				t.Errorf("GET %s: 501, the gateway has no such route: %s", path, body)
			}
		}
		if gets < 90 {
			t.Errorf("document has %d GET routes, want the SDK's and x/subnet's (90 or more)", gets)
		}
	})

	t.Run("x/subnet routes answer with the documented fields", func(t *testing.T) {
		for _, path := range []string{
			"/tensorcosm/subnet/v1/params",
			"/tensorcosm/subnet/v1/subnets",
			"/tensorcosm/subnet/v1/subnets/{netuid}",
			"/tensorcosm/subnet/v1/subnets/{netuid}/metagraph",
			"/tensorcosm/subnet/v1/subnets/{netuid}/registration_price",
			"/tensorcosm/subnet/v1/stake/staker/{staker}",
		} {
			op, ok := doc.Paths[path]["get"]
			if !ok {
				t.Errorf("GET %s is not documented", path)
				continue
			}
			s, body := restGet(t, l, fillPath(path, alice))
			if s != http.StatusOK {
				t.Errorf("GET %s: status %d, want 200: %s", path, s, body)
				continue
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Errorf("GET %s: %v", path, err)
				continue
			}
			if bad := undocumentedFields(doc, op.Responses["200"].Schema, v, ""); len(bad) > 0 {
				t.Errorf("GET %s (%s) answers fields its schema lacks: %v", path, op.OperationID, bad)
			}
		}
	})

	t.Run("unknown subnet is 404", func(t *testing.T) {
		if s, body := restGet(t, l, "/tensorcosm/subnet/v1/subnets/999"); s != http.StatusNotFound {
			t.Errorf("GET /tensorcosm/subnet/v1/subnets/999: status %d, want 404: %s", s, body)
		}
	})

	// AddressBytesToString and AddressStringToBytes share a route; the
	// document keeps the one the gateway serves.
	t.Run("shared bech32 route is the documented RPC", func(t *testing.T) {
		op := doc.Paths["/cosmos/auth/v1beta1/bech32/{address_bytes}"]["get"]
		if op.OperationID != "cosmos.auth.v1beta1.Query.AddressBytesToString" {
			t.Fatalf("bech32 route documents %q", op.OperationID)
		}
		b64 := base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 20))
		s, body := restGet(t, l, "/cosmos/auth/v1beta1/bech32/"+b64)
		var res struct {
			AddressString string `json:"address_string"`
		}
		if s != http.StatusOK || json.Unmarshal(body, &res) != nil || !strings.HasPrefix(res.AddressString, "tensor1") {
			t.Errorf("GET bech32/%s: status %d, body %s; want AddressBytesToString's tensor1... address", b64, s, body)
		}
	})
}

func restGet(t *testing.T, l localnet, path string) (int, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(l.rest() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, body
}

var pathParam = regexp.MustCompile(`\{([^}]*)\}`)

// fillPath puts a value into each path parameter: subnet 1 and UID 0 for
// x/subnet's numbers, alice's address for addresses and keys, 1 elsewhere.
func fillPath(path, alice string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		switch name := p[1 : len(p)-1]; {
		case name == "netuid":
			return "1"
		case name == "uid":
			return "0"
		case strings.Contains(name, "addr") || name == "hotkey" || name == "staker":
			return alice
		default:
			return "1"
		}
	})
}

// undocumentedFields lists the object keys of v, at any depth, that the
// schema (following $refs into the definitions) does not declare. It is how
// a camelCase document would be caught against the gateway's snake_case.
func undocumentedFields(doc swaggerDoc, schema map[string]any, v any, at string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		schema = doc.Definitions[strings.TrimPrefix(ref, "#/definitions/")]
	}
	var bad []string
	switch v := v.(type) {
	case map[string]any:
		props, ok := schema["properties"].(map[string]any)
		if !ok {
			return nil // a map or a free-form object
		}
		for k, fv := range v {
			sub, ok := props[k].(map[string]any)
			if !ok {
				bad = append(bad, at+k)
				continue
			}
			bad = append(bad, undocumentedFields(doc, sub, fv, at+k+".")...)
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for _, e := range v {
			bad = append(bad, undocumentedFields(doc, items, e, at+"[].")...)
		}
	}
	sort.Strings(bad)
	return bad
}

func sortedPaths(doc swaggerDoc) []string {
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}
