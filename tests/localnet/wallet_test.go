package localnet

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/internal/chainregistry"
)

// checkWalletAccess checks what a browser wallet or dApp needs from the
// localnet: the coin's denom metadata over the CLI and REST, CORS on the
// CometBFT RPC and the REST API, and registry and Keplr files in the
// localnet home that point at this localnet's ports.
func checkWalletAccess(t *testing.T, l localnet) {
	t.Run("denom metadata over the CLI", func(t *testing.T) {
		out := mustCLI(t, "q", "bank", "denom-metadata", "utensor", "--node", l.rpc(), "--output", "json")
		var res struct {
			Metadata struct {
				Base       string `json:"base"`
				Display    string `json:"display"`
				DenomUnits []struct {
					Denom    string `json:"denom"`
					Exponent int    `json:"exponent"`
				} `json:"denom_units"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		md := res.Metadata
		if md.Base != "utensor" || md.Display != "TENSOR" || len(md.DenomUnits) != 2 || md.DenomUnits[1].Exponent != 6 {
			t.Errorf("denom metadata %+v, want utensor(0)/TENSOR(6)", md)
		}
	})

	const origin = "http://localhost:5173"
	for _, tc := range []struct {
		name, method, url string
		header            map[string]string
		wantBody          string
	}{
		{"REST GET from a browser", http.MethodGet, l.rest() + "/cosmos/bank/v1beta1/denoms_metadata/utensor", nil, `"display":"TENSOR"`},
		{"REST preflight", http.MethodOptions, l.rest() + "/cosmos/bank/v1beta1/balances/x",
			map[string]string{"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "content-type"}, ""},
		{"RPC GET from a browser", http.MethodGet, httpRPC(l) + "/status", nil, `"network":"tensorcosm-local"`},
		{"RPC preflight for a JSON-RPC POST", http.MethodOptions, httpRPC(l) + "/",
			map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, ""},
	} {
		t.Run("CORS: "+tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Origin", origin)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			status, header, body := do(t, req)
			if status >= 300 {
				t.Fatalf("%s %s: status %d\n%s", tc.method, tc.url, status, body)
			}
			if got := header.Get("Access-Control-Allow-Origin"); got != "*" && got != origin {
				t.Errorf("Access-Control-Allow-Origin %q, want * or %s (headers %v)", got, origin, header)
			}
			if want := tc.header["Access-Control-Request-Headers"]; want != "" {
				if got := header.Get("Access-Control-Allow-Headers"); !strings.Contains(strings.ToLower(got), want) {
					t.Errorf("preflight allows headers %q, want %s", got, want)
				}
			}
			if !strings.Contains(strings.ReplaceAll(body, " ", ""), tc.wantBody) {
				t.Errorf("body lacks %s:\n%s", tc.wantBody, body)
			}
		})
	}

	t.Run("registry and Keplr files in the localnet home", func(t *testing.T) {
		dir := filepath.Join(l.home, "registry")
		var chain struct {
			ChainID string `json:"chain_id"`
			APIs    map[string][]struct {
				Address string `json:"address"`
			} `json:"apis"`
		}
		var keplr struct {
			ChainID string `json:"chainId"`
			RPC     string `json:"rpc"`
			REST    string `json:"rest"`
		}
		chainJSON := readFile(t, filepath.Join(dir, chainregistry.ChainFile))
		if err := chainregistry.ValidateJSON(chainregistry.ChainSchema, chainJSON); err != nil {
			t.Error(err)
		}
		if err := chainregistry.ValidateJSON(chainregistry.AssetListSchema, readFile(t, filepath.Join(dir, chainregistry.AssetListFile))); err != nil {
			t.Error(err)
		}
		if err := json.Unmarshal(chainJSON, &chain); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(readFile(t, filepath.Join(dir, chainregistry.KeplrFile)), &keplr); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"rpc": httpRPC(l), "rest": l.rest(), "grpc": l.grpc()}
		for api, addr := range want {
			if got := chain.APIs[api]; len(got) != 1 || got[0].Address != addr {
				t.Errorf("chain.json apis.%s = %v, want %s", api, got, addr)
			}
		}
		if chain.ChainID != "tensorcosm-local" || keplr.ChainID != chain.ChainID || keplr.RPC != want["rpc"] || keplr.REST != want["rest"] {
			t.Errorf("keplr chain info %+v, chain.json chain_id %s: want the localnet's", keplr, chain.ChainID)
		}
		// the wallet's endpoints answer
		for _, u := range []string{keplr.RPC + "/status", keplr.REST + "/cosmos/base/tendermint/v1beta1/node_info"} {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			if status, _, body := do(t, req); status != http.StatusOK {
				t.Errorf("GET %s: status %d\n%s", u, status, body)
			}
		}
	})
}

func httpRPC(l localnet) string { return "http://" + strings.TrimPrefix(l.rpc(), "tcp://") }

// do sends req and returns the response's status, header and body.
func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func readFile(t *testing.T, file string) []byte {
	t.Helper()
	bz, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}
