package axon

import (
	"fmt"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/onnx"
)

// Float32Tensor builds a FLOAT32 tensor with data encoded little-endian. It
// does not check len(data) against shape; (*axonpb.Tensor).CheckData does,
// and the client and the server both call it.
func Float32Tensor(name string, shape []int64, data []float32) *axonpb.Tensor {
	return &axonpb.Tensor{
		Name:  name,
		Dtype: axonpb.DataType_DATA_TYPE_FLOAT32,
		Shape: append([]int64(nil), shape...),
		Data:  axonpb.Float32Data(data),
	}
}

// Int64Tensor builds an INT64 tensor with data encoded little-endian; like
// Float32Tensor it leaves the shape check to CheckData.
func Int64Tensor(name string, shape []int64, data []int64) *axonpb.Tensor {
	return &axonpb.Tensor{
		Name:  name,
		Dtype: axonpb.DataType_DATA_TYPE_INT64,
		Shape: append([]int64(nil), shape...),
		Data:  axonpb.Int64Data(data),
	}
}

// FromONNX returns the tensors of ts named in names, in that order (a
// task's inputs in its spec's order), as axon tensors. A name missing from
// ts, or a tensor of another dtype than FLOAT32 and INT64, is left out:
// the receiver's spec check names it.
func FromONNX(names []string, ts map[string]onnx.Tensor) []*axonpb.Tensor {
	out := make([]*axonpb.Tensor, 0, len(names))
	for _, name := range names {
		t, ok := ts[name]
		if !ok {
			continue
		}
		switch t.DType {
		case onnx.Float32:
			out = append(out, Float32Tensor(name, t.Shape, t.Float32))
		case onnx.Int64:
			out = append(out, Int64Tensor(name, t.Shape, t.Int64))
		}
	}
	return out
}

// ToONNX returns an answer's tensors by name. A tensor of another dtype,
// or whose data does not fit its shape, is left out, so a caller checking
// the outputs against a spec reports it missing.
func ToONNX(ts []*axonpb.Tensor) map[string]onnx.Tensor {
	out := make(map[string]onnx.Tensor, len(ts))
	for _, t := range ts {
		switch t.GetDtype() {
		case axonpb.DataType_DATA_TYPE_FLOAT32:
			if v, err := t.Float32s(); err == nil {
				out[t.GetName()] = onnx.NewFloat32Tensor(t.GetShape(), v)
			}
		case axonpb.DataType_DATA_TYPE_INT64:
			if v, err := t.Int64s(); err == nil {
				out[t.GetName()] = onnx.NewInt64Tensor(t.GetShape(), v)
			}
		}
	}
	return out
}

// limits bound the size of a request before any of it is hashed or run.
type limits struct {
	maxTensors  int
	maxElements int64
}

// checkLimits counts tensors and elements without trusting the data: it
// returns errTooLarge when the request is over a limit and errMalformed
// when a shape is unusable.
func (l limits) checkLimits(tensors []*axonpb.Tensor) error {
	if len(tensors) > l.maxTensors {
		return fmt.Errorf("%w: %d tensors, at most %d", errTooLarge, len(tensors), l.maxTensors)
	}
	var total int64
	for _, t := range tensors {
		n, err := axonpb.NumElements(t.GetShape())
		if err != nil {
			return fmt.Errorf("%w: %w", errMalformed, err)
		}
		if n > l.maxElements-total {
			return fmt.Errorf("%w: more than %d elements", errTooLarge, l.maxElements)
		}
		total += n
	}
	return nil
}

// matchSpecs checks tensors against the model's specs (names, dtypes,
// ranks, fixed dimensions, data length) and returns them in spec order, the
// order the model expects. Dynamic dimensions (-1) accept any size >= 1.
func matchSpecs(specs []*axonpb.TensorSpec, tensors []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	if len(tensors) != len(specs) {
		return nil, fmt.Errorf("%w: got %d tensors, the model takes %d", errMalformed, len(tensors), len(specs))
	}
	byName := make(map[string]*axonpb.Tensor, len(tensors))
	for _, t := range tensors {
		if _, dup := byName[t.GetName()]; dup {
			return nil, fmt.Errorf("%w: tensor %q given twice", errMalformed, t.GetName())
		}
		byName[t.GetName()] = t
	}
	ordered := make([]*axonpb.Tensor, len(specs))
	for i, spec := range specs {
		t, ok := byName[spec.GetName()]
		if !ok {
			return nil, fmt.Errorf("%w: missing input %q", errMalformed, spec.GetName())
		}
		if err := matchSpec(spec, t); err != nil {
			return nil, err
		}
		ordered[i] = t
	}
	return ordered, nil
}

// matchSpec checks one tensor against one spec.
func matchSpec(spec *axonpb.TensorSpec, t *axonpb.Tensor) error {
	if t.GetDtype() != spec.GetDtype() {
		return fmt.Errorf("%w: %q is %s, the model takes %s", errMalformed, t.GetName(), t.GetDtype(), spec.GetDtype())
	}
	if len(t.GetShape()) != len(spec.GetShape()) {
		return fmt.Errorf("%w: %q has shape %v, the model takes %v", errMalformed, t.GetName(), t.GetShape(), spec.GetShape())
	}
	for i, want := range spec.GetShape() {
		got := t.GetShape()[i]
		if got < 1 || (want >= 0 && got != want) {
			return fmt.Errorf("%w: %q has shape %v, the model takes %v", errMalformed, t.GetName(), t.GetShape(), spec.GetShape())
		}
	}
	if _, err := t.CheckData(); err != nil {
		return fmt.Errorf("%w: %w", errMalformed, err)
	}
	return nil
}
