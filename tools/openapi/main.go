// Command openapi finishes the OpenAPI document that protoc-gen-openapiv2
// merges from the query protos (scripts/protocgen.sh runs it):
//
//	go run ./openapi -in merged.swagger.json -out ../app/openapi/openapi.json
//
// The plugin names each operation Service_Method, so Query_Params appears
// once per module and the merged document breaks Swagger's rule that
// operation IDs are unique. Each operation is renamed to its full gRPC
// method name (tensorcosm.subnet.v1.Query.Params), read from the
// package-qualified tag the plugin writes with include_package_in_tags, and
// the document gets the chain's title. The output is indented JSON with
// sorted keys, so regenerating unchanged protos gives identical bytes.
//
// Two routes whose paths differ only in a variable's name (the SDK's
// /cosmos/auth/v1beta1/bech32/{address_bytes} and .../{address_string})
// make a document invalid, and the gateway serves only one of them. Each
// -unreachable operation is dropped; any other such conflict is an error,
// so a new one is noticed when the protos change.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

const description = "REST gateway of a tensorcosm node: the x/subnet queries and the " +
	"Cosmos SDK services the node registers. Generated from the protos by make proto-gen; " +
	"do not edit."

func main() {
	in := flag.String("in", "", "merged document written by protoc-gen-openapiv2")
	out := flag.String("out", "", "where to write the finished document")
	var unreachable idList
	flag.Var(&unreachable, "unreachable", "operation ID (full method name) the gateway cannot reach; repeatable")
	flag.Parse()
	if err := run(*in, *out, unreachable); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

// idList is a repeatable flag.
type idList []string

func (l *idList) String() string     { return strings.Join(*l, ",") }
func (l *idList) Set(s string) error { *l = append(*l, s); return nil }

func run(in, out string, unreachable []string) error {
	if in == "" || out == "" {
		return errors.New("-in and -out are required")
	}
	raw, err := os.ReadFile(in) //nolint:gosec // G304: the path is the build script's own argument
	if err != nil {
		return err
	}
	doc, err := decode(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := renameOperations(doc); err != nil {
		return err
	}
	if err := dropUnreachable(doc, unreachable); err != nil {
		return err
	}
	doc["info"] = map[string]any{"title": "tensorcosm REST API", "version": "v1", "description": description}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644) //nolint:gosec // G306: a committed, world-readable source file
}

// decode keeps numbers as written (json.Number) so no value passes
// through float64.
func decode(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// renameOperations gives every operation its full gRPC method name as ID
// and fails if two operations would still share one.
func renameOperations(doc map[string]any) error {
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		return errors.New("document has no paths")
	}
	seen := map[string]string{}
	for _, p := range sortedKeys(paths) {
		ops, _ := paths[p].(map[string]any)
		for _, method := range sortedKeys(ops) {
			op, _ := ops[method].(map[string]any)
			id, err := operationID(op)
			if err != nil {
				return fmt.Errorf("%s %s: %w", method, p, err)
			}
			if prev, dup := seen[id]; dup {
				return fmt.Errorf("operation ID %s used by %s and %s %s", id, prev, method, p)
			}
			seen[id] = method + " " + p
			op["operationId"] = id
		}
	}
	return nil
}

// operationID turns Service_Method[N] under tag pkg.Service into
// pkg.Service.Method[N]; N numbers a method's additional HTTP bindings.
func operationID(op map[string]any) (string, error) {
	id, _ := op["operationId"].(string)
	tags, _ := op["tags"].([]any)
	if len(tags) != 1 {
		return "", fmt.Errorf("want one tag, have %v", tags)
	}
	tag, _ := tags[0].(string)
	dot := strings.LastIndexByte(tag, '.')
	if dot < 0 {
		return "", fmt.Errorf("tag %q is not package-qualified (include_package_in_tags)", tag)
	}
	method, ok := strings.CutPrefix(id, tag[dot+1:]+"_")
	if !ok || method == "" {
		return "", fmt.Errorf("operation ID %q does not start with service %s", id, tag[dot+1:])
	}
	return tag + "." + method, nil
}

// pathVariable matches one {variable} of a path template.
var pathVariable = regexp.MustCompile(`\{[^}]*\}`)

// dropUnreachable removes the named operations, then fails if two
// operations still share a method and a path up to variable names.
func dropUnreachable(doc map[string]any, ids []string) error {
	paths := doc["paths"].(map[string]any)
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	routes := map[string]string{}
	for _, p := range sortedKeys(paths) {
		ops := paths[p].(map[string]any)
		for _, method := range sortedKeys(ops) {
			id := ops[method].(map[string]any)["operationId"].(string)
			if drop[id] {
				delete(ops, method)
				delete(drop, id)
				continue
			}
			key := method + " " + pathVariable.ReplaceAllString(p, "{}")
			if prev, dup := routes[key]; dup {
				return fmt.Errorf("%s and %s have the same route %s: pass the one the gateway cannot reach as -unreachable", prev, id, key)
			}
			routes[key] = id
		}
		if len(ops) == 0 {
			delete(paths, p)
		}
	}
	for id := range drop {
		return fmt.Errorf("-unreachable %s: no such operation", id)
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
