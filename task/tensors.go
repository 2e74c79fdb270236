package task

import (
	"fmt"
	"time"

	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// LatencyWeight is the share of a query's score that latency can take away:
// a validator scores a query mean(row scores) * LatencyFactor(latency,
// timeout). It is the same for every kind, so scores of different subnets
// weigh speed alike.
const LatencyWeight = 0.1

// LatencyFactor is 1 - LatencyWeight * min(1, latency / timeout): 1 for an
// instant answer, 1 - LatencyWeight for one that took the whole timeout. A
// timeout of 0 or less counts every answer as late.
func LatencyFactor(latency, timeout time.Duration) float64 {
	if timeout <= 0 {
		return 1 - LatencyWeight
	}
	return 1 - LatencyWeight*min(1, max(0, latency.Seconds()/timeout.Seconds()))
}

// Mean is the mean of scores, 0 for none.
func Mean(scores []float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	sum := 0.0
	for _, s := range scores {
		sum += s
	}
	return sum / float64(len(scores))
}

// CheckOutputs checks that outputs hold every output of spec for a batch of
// rows: the dtype, the rank, dimension 0 equal to rows, each fixed
// dimension of the spec, every dimension at least 1, and a data length that
// matches the shape. Outputs the spec does not name are ignored. Errors wrap
// ErrBadOutput and name the tensor.
func CheckOutputs(spec subnettypes.TaskSpec, outputs Tensors, rows int) error {
	for _, ts := range spec.Outputs {
		t, ok := outputs[ts.Name]
		if !ok {
			return fmt.Errorf("%w: no output %q", ErrBadOutput, ts.Name)
		}
		if err := checkTensor(ts, t, rows); err != nil {
			return fmt.Errorf("%w: output %q: %w", ErrBadOutput, ts.Name, err)
		}
	}
	return nil
}

// checkTensor checks one tensor against its spec for a batch of rows.
func checkTensor(ts subnettypes.TensorSpec, t onnx.Tensor, rows int) error {
	if string(t.DType) != ts.Dtype {
		return fmt.Errorf("dtype %q, want %q", t.DType, ts.Dtype)
	}
	if len(t.Shape) != len(ts.Shape) || len(t.Shape) == 0 {
		return fmt.Errorf("shape %v, want rank %d %v", t.Shape, len(ts.Shape), ts.Shape)
	}
	if t.Shape[0] != int64(rows) {
		return fmt.Errorf("shape %v: %d rows, want %d", t.Shape, t.Shape[0], rows)
	}
	n := int64(1)
	for i, d := range t.Shape {
		if d < 1 || (ts.Shape[i] >= 0 && d != ts.Shape[i]) || d > onnx.MaxElements/n {
			return fmt.Errorf("shape %v does not fit %v", t.Shape, ts.Shape)
		}
		n *= d
	}
	if int64(t.Len()) != n {
		return fmt.Errorf("%d values for shape %v, want %d", t.Len(), t.Shape, n)
	}
	return nil
}

// Rows returns rows idx (in that order) of every tensor of ts, dimension 0
// being the row, as copies. Every tensor must hold at least max(idx)+1 rows
// and a data length that matches its shape.
func Rows(ts Tensors, idx []int) (Tensors, error) {
	out := make(Tensors, len(ts))
	for name, t := range ts {
		r, err := rowsOf(t, idx)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		out[name] = r
	}
	return out, nil
}

// rowsOf copies rows idx of t.
func rowsOf(t onnx.Tensor, idx []int) (onnx.Tensor, error) {
	if len(t.Shape) == 0 || t.Shape[0] < 1 {
		return onnx.Tensor{}, fmt.Errorf("shape %v has no rows", t.Shape)
	}
	rows := int(t.Shape[0])
	if t.Len()%rows != 0 {
		return onnx.Tensor{}, fmt.Errorf("%d values do not split into %d rows", t.Len(), rows)
	}
	width := t.Len() / rows
	shape := append([]int64{int64(len(idx))}, t.Shape[1:]...)
	out := onnx.Tensor{DType: t.DType, Shape: shape}
	for _, i := range idx {
		if i < 0 || i >= rows {
			return onnx.Tensor{}, fmt.Errorf("row %d out of %d", i, rows)
		}
		switch t.DType {
		case onnx.Float32:
			out.Float32 = append(out.Float32, t.Float32[i*width:(i+1)*width]...)
		case onnx.Int64:
			out.Int64 = append(out.Int64, t.Int64[i*width:(i+1)*width]...)
		default:
			return onnx.Tensor{}, fmt.Errorf("dtype %q is not supported", t.DType)
		}
	}
	return out, nil
}
