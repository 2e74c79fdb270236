package oip

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Field names of the request objects. encoding/json matches field names
// case-insensitively and lets a repeated key overwrite the first; checkKeys
// holds requests to the protocol's exact, unique names instead.
var (
	requestKeys = []string{"id", "parameters", "inputs", "outputs"}
	inputKeys   = []string{"name", "shape", "datatype", "parameters", "data"}
	outputKeys  = []string{"name", "parameters"}
)

// checkKeys walks a body encoding/json has already accepted and checks the
// keys of the request object and of each input and output object.
func checkKeys(body []byte) error {
	w := keyWalker{buf: body}
	w.skipSpace()
	if w.peek() != '{' {
		return nil // null: the caller reports the missing inputs
	}
	return w.object("the request", requestKeys, func(key string) error {
		switch key {
		case "inputs":
			return w.objects("input", inputKeys)
		case "outputs":
			return w.objects("output", outputKeys)
		}
		w.skipValue()
		return nil
	})
}

// keyWalker reads valid JSON; it never fails on malformed input, only stops.
type keyWalker struct {
	buf []byte
	pos int
}

// object reads an object, checking each key against allowed and passing it
// to value, which must consume the member's value.
func (w *keyWalker) object(what string, allowed []string, value func(key string) error) error {
	w.pos++ // '{'
	var seen []string
	for {
		w.skipSpace()
		if w.peek() != '"' {
			w.pos++ // '}' (or the end of a malformed buffer)
			return nil
		}
		key, err := w.key()
		if err != nil {
			return err
		}
		if !slices.Contains(allowed, key) {
			return fmt.Errorf("%w: invalid JSON: %s has unknown field %.40q", ErrBadRequest, what, key)
		}
		if slices.Contains(seen, key) {
			return fmt.Errorf("%w: invalid JSON: %s repeats field %q", ErrBadRequest, what, key)
		}
		seen = append(seen, key)
		w.skipSpace()
		w.pos++ // ':'
		w.skipSpace()
		if err := value(key); err != nil {
			return err
		}
		w.skipSpace()
		if w.peek() == ',' {
			w.pos++
		}
	}
}

// objects reads an array of objects (or any other value, skipped) and
// checks each object's keys.
func (w *keyWalker) objects(what string, allowed []string) error {
	if w.peek() != '[' {
		w.skipValue()
		return nil
	}
	w.pos++
	for i := 0; ; {
		w.skipSpace()
		switch w.peek() {
		case ']', 0:
			w.pos++
			return nil
		case ',':
			w.pos++
			i++
		case '{':
			name := fmt.Sprintf("%s %d", what, i)
			if err := w.object(name, allowed, func(string) error { w.skipValue(); return nil }); err != nil {
				return err
			}
		default:
			at := w.pos
			w.skipValue()
			if w.pos == at {
				w.pos++ // a stray delimiter: never loop in place
			}
		}
	}
}

// key reads a member name, unescaping it as encoding/json would.
func (w *keyWalker) key() (string, error) {
	start := w.pos
	w.skipString()
	var key string
	if err := json.Unmarshal(w.buf[start:w.pos], &key); err != nil {
		return "", fmt.Errorf("%w: invalid JSON: %s", ErrBadRequest, jsonErrorText(err))
	}
	return key, nil
}

// skipValue moves past one value of any kind.
func (w *keyWalker) skipValue() {
	switch w.peek() {
	case '"':
		w.skipString()
	case '{', '[':
		depth := 0
		for w.pos < len(w.buf) {
			switch w.buf[w.pos] {
			case '"':
				w.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			w.pos++
			if depth == 0 {
				return
			}
		}
	default:
		for w.pos < len(w.buf) && !isDelimiter(w.buf[w.pos]) {
			w.pos++
		}
	}
}

// skipString moves past a string starting at the current quote.
func (w *keyWalker) skipString() {
	for w.pos++; w.pos < len(w.buf); w.pos++ {
		switch w.buf[w.pos] {
		case '\\':
			w.pos++
		case '"':
			w.pos++
			return
		}
	}
}

func (w *keyWalker) peek() byte {
	if w.pos < len(w.buf) {
		return w.buf[w.pos]
	}
	return 0
}

func (w *keyWalker) skipSpace() {
	for w.pos < len(w.buf) && isSpace(w.buf[w.pos]) {
		w.pos++
	}
}

func isDelimiter(c byte) bool {
	return c == ',' || c == '}' || c == ']' || isSpace(c)
}
