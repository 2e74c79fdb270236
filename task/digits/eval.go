package digits

import (
	"github.com/tensorcosm/tensorcosm/onnx"

	"errors"
	"fmt"
)

// evalBatch is the number of rows Eval sends per Run; large enough to
// amortise the call overhead, small enough to stay in cache.
const evalBatch = 256

// Eval runs every sample of d through the session and returns the share whose
// highest-scoring class equals the label, and the number of samples. The
// model must have exactly one float32 input [batch, NumFeatures] and one
// float32 output [batch, NumClasses], whatever their names.
func Eval(s *onnx.Session, d *Dataset) (accuracy float64, n int, err error) {
	if d == nil || d.Len() == 0 {
		return 0, 0, errors.New("eval: empty data set")
	}
	in, out, err := digitsIO(s)
	if err != nil {
		return 0, 0, fmt.Errorf("eval: %w", err)
	}
	correct := 0
	for start := 0; start < d.Len(); start += evalBatch {
		rows := min(evalBatch, d.Len()-start)
		x := d.Features[start*NumFeatures : (start+rows)*NumFeatures]
		res, err := s.Run(map[string]onnx.Tensor{in: onnx.NewFloat32Tensor([]int64{int64(rows), NumFeatures}, x)})
		if err != nil {
			return 0, 0, fmt.Errorf("eval: %w", err)
		}
		probs := res[out]
		if len(probs.Float32) != rows*NumClasses {
			return 0, 0, fmt.Errorf("eval: output %q has shape %v, want [%d, %d]", out, probs.Shape, rows, NumClasses)
		}
		for r := range rows {
			if argmax(probs.Float32[r*NumClasses:(r+1)*NumClasses]) == d.Labels[start+r] {
				correct++
			}
		}
	}
	return float64(correct) / float64(d.Len()), d.Len(), nil
}

// digitsIO returns the input and output names of a model that fits the
// digits task.
func digitsIO(s *onnx.Session) (input, output string, err error) {
	ins, outs := s.Inputs(), s.Outputs()
	if len(ins) != 1 || len(outs) != 1 {
		return "", "", fmt.Errorf("the digits task needs one input and one output, the model has %d and %d", len(ins), len(outs))
	}
	if !fits(ins[0], NumFeatures) {
		return "", "", fmt.Errorf("input %s does not fit the digits task: want float32 [batch, %d]", ins[0], NumFeatures)
	}
	if !fits(outs[0], NumClasses) {
		return "", "", fmt.Errorf("output %s does not fit the digits task: want float32 [batch, %d]", outs[0], NumClasses)
	}
	return ins[0].Name, outs[0].Name, nil
}

// fits reports whether ti is float32 [batch, width] with a dynamic or
// fixed batch dimension.
func fits(ti onnx.TensorInfo, width int64) bool {
	return ti.DType == onnx.Float32 && len(ti.Shape) == 2 && ti.Shape[1] == width
}
