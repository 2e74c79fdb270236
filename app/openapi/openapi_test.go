package openapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"google.golang.org/genproto/googleapis/api/annotations"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// the app links every module the node runs, registering their protos
	_ "github.com/tensorcosm/tensorcosm/app"
	"github.com/tensorcosm/tensorcosm/app/openapi"
)

// subnetQuery must be in the document: x/subnet is what this chain adds.
const subnetQuery = "tensorcosm.subnet.v1.Query"

func loadDocument(t *testing.T) *openapi2.T {
	t.Helper()
	var doc openapi2.T
	if err := json.Unmarshal(openapi.Document(), &doc); err != nil {
		t.Fatalf("openapi.json does not parse as Swagger 2.0: %v", err)
	}
	return &doc
}

// TestDocumentIsValid checks the embedded document with kin-openapi: it
// must be Swagger 2.0 and, converted to OpenAPI 3, pass the library's
// validation (references resolve, path parameters are declared, operation
// IDs are unique, schemas are well formed).
func TestDocumentIsValid(t *testing.T) {
	doc := loadDocument(t)
	if doc.Swagger != "2.0" {
		t.Fatalf("swagger = %q, want 2.0", doc.Swagger)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("info lacks title or version: %+v", doc.Info)
	}
	v3, err := openapi2conv.ToV3(doc)
	if err != nil {
		t.Fatalf("converting to OpenAPI 3: %v", err)
	}
	if err := v3.Validate(context.Background()); err != nil {
		t.Fatalf("document is invalid: %v", err)
	}
}

// route is one HTTP binding of an RPC, as the document and the proto
// annotations (which the REST gateway serves) should both state it.
type route struct{ method, path string }

func (r route) String() string { return r.method + " " + r.path }

// TestEveryRPCHasItsRoute compares the document with the google.api.http
// annotations the gateway is generated from: every RPC of every service the
// document covers, x/subnet's Query at least, has its path, HTTP method and
// an operation ID equal to its full method name, and the document has no
// operation the protos do not define. Where two RPCs share a route (up to
// variable names) the gateway serves only one, and the document must hold
// exactly one of them.
func TestEveryRPCHasItsRoute(t *testing.T) {
	doc := loadDocument(t)
	documented := map[string]route{}
	services := map[string]bool{}
	for path, item := range doc.Paths {
		for method, op := range item.Operations() {
			if prev, dup := documented[op.OperationID]; dup {
				t.Errorf("operation ID %s used by %s and %s %s", op.OperationID, prev, method, path)
			}
			documented[op.OperationID] = route{method, path}
			for _, tag := range op.Tags {
				services[tag] = true
			}
		}
	}
	if !services[subnetQuery] {
		t.Fatalf("document has no operation tagged %s; tags: %v", subnetQuery, sortedKeys(services))
	}
	want := map[string]route{}
	for svc := range services {
		for id, r := range annotatedRoutes(t, svc) {
			want[id] = r
		}
	}
	for _, ids := range sharedRoutes(want) {
		var kept []string
		for _, id := range ids {
			if _, ok := documented[id]; ok {
				kept = append(kept, id)
			} else {
				delete(want, id)
			}
		}
		if len(kept) != 1 {
			t.Errorf("%v share a route; the document has %v of them, want exactly one", ids, kept)
		}
	}
	for id, r := range want {
		got, ok := documented[id]
		switch {
		case !ok:
			t.Errorf("%s (%s) is not in the document", id, r)
		case got != r:
			t.Errorf("%s: document says %s, the proto says %s", id, got, r)
		}
	}
	for id, r := range documented {
		if _, ok := want[id]; !ok {
			t.Errorf("document has %s (%s), which no proto annotation defines", id, r)
		}
	}
	if n := countPrefix(want, subnetQuery+"."); n < 16 {
		t.Errorf("x/subnet Query has %d annotated RPCs, want at least 16", n)
	}
}

// sharedRoutes groups the operations whose routes are equal up to the names
// of their path variables, returning the groups with more than one member.
func sharedRoutes(routes map[string]route) [][]string {
	byRoute := map[string][]string{}
	for id, r := range routes {
		key := r.method + " " + anyVariable.ReplaceAllString(r.path, "{}")
		byRoute[key] = append(byRoute[key], id)
	}
	var groups [][]string
	for _, ids := range byRoute {
		if len(ids) > 1 {
			sort.Strings(ids)
			groups = append(groups, ids)
		}
	}
	return groups
}

var anyVariable = regexp.MustCompile(`\{[^}]*\}`)

// annotatedRoutes returns the HTTP bindings of every method of service,
// keyed by operation ID as tools/openapi names them: the full method name,
// with 2, 3, ... appended for additional bindings.
func annotatedRoutes(t *testing.T, service string) map[string]route {
	t.Helper()
	d, err := proto.HybridResolver.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		t.Fatalf("service %s: %v", service, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		t.Fatalf("%s is a %T, not a service", service, d)
	}
	routes := map[string]route{}
	for i := 0; i < sd.Methods().Len(); i++ {
		m := sd.Methods().Get(i)
		rule := httpRule(t, m)
		if rule == nil {
			continue
		}
		for j, b := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
			id := string(m.FullName())
			if j > 0 {
				id += fmt.Sprint(j + 1)
			}
			routes[id] = bindingRoute(t, id, b)
		}
	}
	return routes
}

// httpRule reads the method's google.api.http option. The options are
// re-read against the global registry because a descriptor built from the
// gogoproto registry may carry the extension as unknown bytes.
func httpRule(t *testing.T, m protoreflect.MethodDescriptor) *annotations.HttpRule {
	t.Helper()
	raw, err := protov2.Marshal(m.Options())
	if err != nil {
		t.Fatalf("%s options: %v", m.FullName(), err)
	}
	var opts descriptorpb.MethodOptions
	if err := (protov2.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, &opts); err != nil {
		t.Fatalf("%s options: %v", m.FullName(), err)
	}
	if !protov2.HasExtension(&opts, annotations.E_Http) {
		return nil
	}
	rule, _ := protov2.GetExtension(&opts, annotations.E_Http).(*annotations.HttpRule)
	return rule
}

// pathVariable matches a template variable with a pattern, {denom=**},
// which Swagger writes as a plain {denom}.
var pathVariable = regexp.MustCompile(`\{([^}=]+)=[^}]*\}`)

func bindingRoute(t *testing.T, id string, b *annotations.HttpRule) route {
	t.Helper()
	var method, path string
	switch p := b.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		method, path = "GET", p.Get
	case *annotations.HttpRule_Post:
		method, path = "POST", p.Post
	case *annotations.HttpRule_Put:
		method, path = "PUT", p.Put
	case *annotations.HttpRule_Delete:
		method, path = "DELETE", p.Delete
	case *annotations.HttpRule_Patch:
		method, path = "PATCH", p.Patch
	default:
		t.Fatalf("%s: unsupported HTTP pattern %T", id, p)
	}
	return route{method, pathVariable.ReplaceAllString(path, "{$1}")}
}

func countPrefix(m map[string]route, prefix string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
