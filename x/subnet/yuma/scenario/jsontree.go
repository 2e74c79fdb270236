package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// The scenario parser reads JSON into a small tree that keeps object members in document
// order: errors then name the first bad field deterministically, duplicate keys are
// caught, and numbers stay as their source text so decimals are parsed exactly.

const (
	maxJSONDepth     = 16
	maxScenarioBytes = 256 << 20
)

type nodeKind int

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

var kindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

type node struct {
	kind  nodeKind
	text  string // number text or string value
	b     bool
	elems []*node
	keys  []string
	vals  []*node
}

// member returns the value of key in an object node, or nil.
func (n *node) member(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// parseJSON reads exactly one JSON value from r.
func parseJSON(r io.Reader) (*node, error) {
	lr := &io.LimitedReader{R: r, N: maxScenarioBytes + 1}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	root, err := readNode(dec, "", 0)
	if err == nil {
		if _, tail := dec.Token(); tail != io.EOF {
			err = errors.New("unexpected data after the scenario object")
		}
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("scenario: larger than %d bytes", maxScenarioBytes)
	}
	var pe *pathError
	if errors.As(err, &pe) {
		return nil, err
	}
	if err != nil {
		return nil, jsonError(dec, err)
	}
	return root, nil
}

func jsonError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("scenario: invalid JSON near byte %d: %w", dec.InputOffset(), err)
}

// readNode reads one value; path locates it for the errors the decoder cannot report
// (duplicate keys, nesting).
func readNode(dec *json.Decoder, path string, depth int) (*node, error) {
	if depth > maxJSONDepth {
		return nil, errAt(path, "nested deeper than %d levels", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return readObject(dec, path, depth)
		}
		if t == '[' {
			return readArray(dec, path, depth)
		}
		return nil, fmt.Errorf("unexpected %q", rune(t))
	case json.Number:
		return &node{kind: kindNumber, text: string(t)}, nil
	case string:
		return &node{kind: kindString, text: t}, nil
	case bool:
		return &node{kind: kindBool, b: t}, nil
	case nil:
		return &node{kind: kindNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func readObject(dec *json.Decoder, path string, depth int) (*node, error) {
	n := &node{kind: kindObject}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("object key %v is not a string", tok)
		}
		kp := memberPath(path, key)
		if n.member(key) != nil {
			return nil, errAt(kp, "duplicate key")
		}
		val, err := readNode(dec, kp, depth+1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.vals = append(n.vals, val)
	}
	_, err := dec.Token() // the closing brace
	return n, err
}

func readArray(dec *json.Decoder, path string, depth int) (*node, error) {
	n := &node{kind: kindArray}
	for dec.More() {
		val, err := readNode(dec, index(path, len(n.elems)), depth+1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, val)
	}
	_, err := dec.Token() // the closing bracket
	return n, err
}

// pathError is a scenario error located by its JSON path, e.g. epochs[2].weights["7"][0].
type pathError struct {
	path string
	msg  string
}

func (e *pathError) Error() string {
	if e.path == "" {
		return "scenario: " + e.msg
	}
	return e.path + ": " + e.msg
}

func errAt(path, format string, args ...any) error {
	return &pathError{path: path, msg: fmt.Sprintf(format, args...)}
}

func field(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func keyIndex(path, key string) string { return fmt.Sprintf("%s[%q]", path, key) }

// memberPath writes identifier keys as fields (params.kappa) and others as quoted
// indexes (weights["7"]), the way scenario errors name them.
func memberPath(path, key string) string {
	if key == "" {
		return keyIndex(path, key)
	}
	for i, c := range key {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return keyIndex(path, key)
		}
	}
	return field(path, key)
}

// expect checks the kind of a node.
func expect(n *node, path string, kind nodeKind) error {
	if n.kind != kind {
		return errAt(path, "must be %s %s, got %s", article(kindNames[kind]), kindNames[kind], kindNames[n.kind])
	}
	return nil
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// uintAt reads a non-negative integer written without fraction or exponent, at most max.
func uintAt(n *node, path string, max uint64) (uint64, error) {
	if err := expect(n, path, kindNumber); err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(n.text, 10, 64)
	if err != nil || !isDigits(n.text) {
		return 0, errAt(path, "must be an integer between 0 and %d, got %s", max, truncate(n.text))
	}
	if v > max {
		return 0, errAt(path, "%d is above the maximum %d", v, max)
	}
	return v, nil
}

// intAt reads an integer (possibly negative) in [min, max].
func intAt(n *node, path string, min, max int64) (int64, error) {
	if err := expect(n, path, kindNumber); err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(n.text, 10, 64)
	if err != nil || v < min || v > max {
		return 0, errAt(path, "must be an integer between %d and %d, got %s", min, max, truncate(n.text))
	}
	return v, nil
}

// fractionAt reads a decimal in [0, 1] exactly.
func fractionAt(n *node, path string) (yuma.Fixed, error) {
	if err := expect(n, path, kindNumber); err != nil {
		return 0, err
	}
	v, err := yuma.ParseFixed(n.text)
	if err != nil || v > yuma.One {
		return 0, errAt(path, "must be a number between 0 and 1, got %s", truncate(n.text))
	}
	return v, nil
}

func boolAt(n *node, path string) (bool, error) {
	if err := expect(n, path, kindBool); err != nil {
		return false, err
	}
	return n.b, nil
}

// checkKeys rejects members of an object that are not in allowed, so typos do not pass
// silently as defaults.
func checkKeys(n *node, path string, allowed ...string) error {
	for _, k := range n.keys {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		if !known {
			return errAt(field(path, k), "unknown field (allowed: %s)", strings.Join(allowed, ", "))
		}
	}
	return nil
}

// isDigits reports whether s is a non-empty run of ASCII digits (no sign, fraction or
// exponent), the only form uintAt accepts.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// truncate shortens a number's text for an error message.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
