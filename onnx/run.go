package onnx

import (
	"errors"
	"fmt"
	"slices"

	ort "github.com/yalue/onnxruntime_go"
)

// Run feeds one tensor per model input, keyed by input name, and returns
// every model output keyed by name. Inputs are checked against Inputs()
// first: an unknown or missing name, a wrong dtype, a shape that does not fit
// (dynamic dimensions accept any size of at least 1) or a data length that
// does not match the shape fails with an error wrapping ErrInvalidInput, and
// ONNX Runtime is not called. The input data is read, not kept or changed.
func (s *Session) Run(inputs map[string]Tensor) (map[string]Tensor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ort == nil {
		return nil, ErrSessionClosed
	}
	values, err := s.inputValues(inputs)
	defer destroyValues(values)
	if err != nil {
		return nil, err
	}
	outs := make([]ort.Value, len(s.outputs))
	defer destroyValues(outs)
	if err := s.ort.Run(values, outs); err != nil {
		return nil, fmt.Errorf("run model: %w", err)
	}
	result := make(map[string]Tensor, len(outs))
	for i, v := range outs {
		t, err := fromORT(v)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", s.outputs[i].Name, err)
		}
		result[s.outputs[i].Name] = t
	}
	return result, nil
}

// inputValues validates inputs and wraps them as ONNX Runtime tensors in the
// session's input order. On error the values created so far are returned
// too, for the caller to destroy.
func (s *Session) inputValues(inputs map[string]Tensor) ([]ort.Value, error) {
	for name := range inputs {
		if !slices.ContainsFunc(s.inputs, func(ti TensorInfo) bool { return ti.Name == name }) {
			return nil, fmt.Errorf("%w: the model has no input %q (inputs: %v)", ErrInvalidInput, name, names(s.inputs))
		}
	}
	values := make([]ort.Value, 0, len(s.inputs))
	for _, info := range s.inputs {
		t, ok := inputs[info.Name]
		if !ok {
			return values, fmt.Errorf("%w: missing input %q", ErrInvalidInput, info.Name)
		}
		if err := t.validateAgainst(info); err != nil {
			return values, err
		}
		v, err := toORT(t)
		if err != nil {
			return values, fmt.Errorf("input %q: %w", info.Name, err)
		}
		values = append(values, v)
	}
	return values, nil
}

// toORT wraps t's data, without copying, as an ONNX Runtime tensor.
func toORT(t Tensor) (ort.Value, error) {
	shape := ort.NewShape(t.Shape...)
	switch t.DType {
	case Float32:
		return ort.NewTensor(shape, t.Float32)
	case Int64:
		return ort.NewTensor(shape, t.Int64)
	}
	return nil, fmt.Errorf("%w: dtype %q is not supported", ErrInvalidInput, t.DType)
}

// fromORT converts an output. onnxruntime_go has already copied the data
// into Go memory, so the slice outlives the value's Destroy.
func fromORT(v ort.Value) (Tensor, error) {
	switch o := v.(type) {
	case *ort.Tensor[float32]:
		return NewFloat32Tensor(o.GetShape().Clone(), o.GetData()), nil
	case *ort.Tensor[int64]:
		return NewInt64Tensor(o.GetShape().Clone(), o.GetData()), nil
	case nil:
		return Tensor{}, errors.New("ONNX Runtime returned no value")
	}
	return Tensor{}, fmt.Errorf("unsupported output type %T", v)
}

func destroyValues(values []ort.Value) {
	for _, v := range values {
		if v != nil {
			_ = v.Destroy() // only fails for a value already destroyed
		}
	}
}
