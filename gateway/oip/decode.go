package oip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/tensorcosm/tensorcosm/onnx"
)

// DecodeInferRequest parses body (already size-limited by the caller)
// strictly: unknown, repeated or miscased field names are errors, and the
// body holds one JSON value only (request parameters are free-form). It
// flattens each input's data (flat, or nested row-major arrays whose nesting
// follows the shape), checks that the data fills the shape exactly, that the datatype is
// supported (FP32, INT64), that names are present and unique, and converts
// the inputs to onnx tensors keyed by name. Every error wraps ErrBadRequest.
func DecodeInferRequest(body []byte) (*InferRequest, map[string]onnx.Tensor, error) {
	var req InferRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, nil, fmt.Errorf("%w: invalid JSON: %s", ErrBadRequest, jsonErrorText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("%w: invalid JSON: data after the request object", ErrBadRequest)
	}
	if err := checkKeys(body); err != nil {
		return nil, nil, err
	}
	if len(req.Inputs) == 0 {
		return nil, nil, fmt.Errorf("%w: the request has no inputs", ErrBadRequest)
	}
	tensors := make(map[string]onnx.Tensor, len(req.Inputs))
	for i := range req.Inputs {
		in := &req.Inputs[i]
		if in.Name == "" {
			return nil, nil, fmt.Errorf("%w: input %d has no name", ErrBadRequest, i)
		}
		if _, dup := tensors[in.Name]; dup {
			return nil, nil, fmt.Errorf("%w: input %q appears twice", ErrBadRequest, in.Name)
		}
		t, err := decodeInput(in)
		if err != nil {
			return nil, nil, err
		}
		tensors[in.Name] = t
	}
	if err := checkRequestedOutputs(req.Outputs); err != nil {
		return nil, nil, err
	}
	return &req, tensors, nil
}

// jsonErrorText shortens encoding/json's messages: the Go type names they
// carry mean nothing to an API caller.
func jsonErrorText(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field != "" {
			return fmt.Sprintf("field %q cannot hold a JSON %s", typeErr.Field, typeErr.Value)
		}
		return fmt.Sprintf("the request must be a JSON object, not %s", typeErr.Value)
	}
	if errors.Is(err, io.EOF) {
		return "empty body"
	}
	return err.Error()
}

// checkRequestedOutputs rejects nameless and repeated output names.
func checkRequestedOutputs(outs []RequestOutput) error {
	seen := make(map[string]bool, len(outs))
	for i, o := range outs {
		if o.Name == "" {
			return fmt.Errorf("%w: requested output %d has no name", ErrBadRequest, i)
		}
		if seen[o.Name] {
			return fmt.Errorf("%w: output %q is requested twice", ErrBadRequest, o.Name)
		}
		seen[o.Name] = true
	}
	return nil
}

// decodeInput checks one input's datatype and shape and decodes its data.
func decodeInput(in *RequestInput) (onnx.Tensor, error) {
	dtype, err := DType(in.Datatype)
	if err != nil {
		return onnx.Tensor{}, fmt.Errorf("input %q: %w", in.Name, err)
	}
	n, err := shapeElements(in.Name, in.Shape)
	if err != nil {
		return onnx.Tensor{}, err
	}
	raw := bytes.TrimSpace(in.Data)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return onnx.Tensor{}, fmt.Errorf("%w: input %q has no data", ErrBadRequest, in.Name)
	}
	// One string copy of the data lets each number be parsed without an
	// allocation of its own.
	p := dataParser{buf: string(raw), dtype: dtype, shape: in.Shape}
	// Each value takes at least two bytes ("1,"), so the body bounds the
	// allocation even when the shape claims billions of elements.
	p.reserve(min(n, int64(len(raw))/2+1))
	if err := p.parse(); err != nil {
		return onnx.Tensor{}, fmt.Errorf("%w: input %q: %s", ErrBadRequest, in.Name, err.Error())
	}
	if got := int64(p.count()); got != n {
		return onnx.Tensor{}, fmt.Errorf("%w: input %q has %d values for shape %v, want %d",
			ErrBadRequest, in.Name, got, in.Shape, n)
	}
	shape := slices.Clone(in.Shape)
	if dtype == onnx.Float32 {
		return onnx.NewFloat32Tensor(shape, p.f32), nil
	}
	return onnx.NewInt64Tensor(shape, p.i64), nil
}

// shapeElements checks a request shape and returns its element count.
func shapeElements(name string, shape []int64) (int64, error) {
	if shape == nil {
		return 0, fmt.Errorf("%w: input %q has no shape", ErrBadRequest, name)
	}
	if len(shape) > MaxRank {
		return 0, fmt.Errorf("%w: input %q has rank %d, at most %d is supported", ErrBadRequest, name, len(shape), MaxRank)
	}
	n := int64(1)
	for i, d := range shape {
		if d < 1 {
			return 0, fmt.Errorf("%w: input %q dimension %d is %d, want at least 1", ErrBadRequest, name, i, d)
		}
		if d > onnx.MaxElements/n {
			return 0, fmt.Errorf("%w: input %q has shape %v, more than %d elements", ErrBadRequest, name, shape, onnx.MaxElements)
		}
		n *= d
	}
	return n, nil
}

// dataParser reads a tensor's "data": a JSON array of numbers, either flat
// or nested so that level d holds shape[d] entries. It reads the bytes
// itself, without reflection or one allocation per value.
type dataParser struct {
	buf   string
	pos   int
	dtype onnx.DType
	shape []int64
	f32   []float32
	i64   []int64
}

func (p *dataParser) reserve(n int64) {
	if p.dtype == onnx.Float32 {
		p.f32 = make([]float32, 0, n)
	} else {
		p.i64 = make([]int64, 0, n)
	}
}

func (p *dataParser) count() int {
	return len(p.f32) + len(p.i64)
}

// parse reads the whole buffer: one array and nothing after it.
func (p *dataParser) parse() error {
	p.skipSpace()
	if p.peek() != '[' {
		return errors.New("data must be an array of numbers")
	}
	nested := p.nextNonSpace(p.pos+1) == '['
	var err error
	if nested {
		err = p.parseNested(0)
	} else {
		err = p.parseFlat()
	}
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(p.buf) {
		return errors.New("data has bytes after its array")
	}
	return nil
}

// parseFlat reads an array of numbers of any length.
func (p *dataParser) parseFlat() error {
	_, err := p.parseArray(func() error {
		if p.peek() == '[' {
			return errors.New("data mixes numbers and arrays")
		}
		return p.parseNumber()
	})
	return err
}

// parseNested reads level depth of a nested array, whose length must be
// shape[depth] and whose entries are arrays down to the last level.
func (p *dataParser) parseNested(depth int) error {
	if depth >= len(p.shape) {
		return fmt.Errorf("data nests deeper than the shape's rank %d", len(p.shape))
	}
	last := depth == len(p.shape)-1
	n, err := p.parseArray(func() error {
		isArray := p.peek() == '['
		switch {
		case last && isArray:
			return fmt.Errorf("data nests deeper than the shape's rank %d", len(p.shape))
		case last:
			return p.parseNumber()
		case !isArray:
			return fmt.Errorf("data level %d holds a number where the shape %v wants an array", depth, p.shape)
		}
		return p.parseNested(depth + 1)
	})
	if err != nil {
		return err
	}
	if int64(n) != p.shape[depth] {
		return fmt.Errorf("data level %d has %d entries, the shape %v wants %d", depth, n, p.shape, p.shape[depth])
	}
	return nil
}

// parseArray reads '[' elem (',' elem)* ']' calling elem at each element's
// first byte, and returns the element count.
func (p *dataParser) parseArray(elem func() error) (int, error) {
	if p.peek() != '[' {
		return 0, errors.New("data must be an array of numbers")
	}
	p.pos++
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		return 0, nil
	}
	n := 0
	for {
		p.skipSpace()
		if err := elem(); err != nil {
			return 0, err
		}
		n++
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return 0, errors.New("data is not a well-formed JSON array")
		}
	}
}

// parseNumber reads one JSON number as the tensor's element type.
func (p *dataParser) parseNumber() error {
	start := p.pos
	for p.pos < len(p.buf) && isNumberByte(p.buf[p.pos]) {
		p.pos++
	}
	tok := p.buf[start:p.pos]
	if tok == "" {
		return fmt.Errorf("data value %d is not a number", p.count())
	}
	if p.dtype == onnx.Float32 {
		f, err := strconv.ParseFloat(tok, 32)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("data value %d (%.40s) is not a float32 number", p.count(), tok)
		}
		p.f32 = append(p.f32, float32(f))
		return nil
	}
	v, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		return fmt.Errorf("data value %d (%.40s) is not an int64 integer", p.count(), tok)
	}
	p.i64 = append(p.i64, v)
	return nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (p *dataParser) peek() byte {
	if p.pos < len(p.buf) {
		return p.buf[p.pos]
	}
	return 0
}

func (p *dataParser) nextNonSpace(i int) byte {
	for ; i < len(p.buf); i++ {
		if !isSpace(p.buf[i]) {
			return p.buf[i]
		}
	}
	return 0
}

func (p *dataParser) skipSpace() {
	for p.pos < len(p.buf) && isSpace(p.buf[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
