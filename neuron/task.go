package neuron

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// ErrTaskMismatch is returned when a model's inputs or outputs do not fit
// the subnet's task.
var ErrTaskMismatch = errors.New("model does not fit the subnet's task")

// CheckTask checks a model's inputs and outputs against a subnet's task:
// the same names in the same order, the same dtypes and ranks, each fixed
// task dimension fixed to the same size or dynamic in the model, and each
// dynamic task dimension dynamic in the model.
func CheckTask(task subnettypes.TaskSpec, inputs, outputs []onnx.TensorInfo) error {
	errs := append(checkSpecs("input", task.Inputs, inputs), checkSpecs("output", task.Outputs, outputs)...)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w %q: %s", ErrTaskMismatch, task.Kind, strings.Join(errs, "; "))
}

func checkSpecs(kind string, want []subnettypes.TensorSpec, got []onnx.TensorInfo) []string {
	if len(want) != len(got) {
		return []string{fmt.Sprintf("the task has %d %ss %v, the model %d %v", len(want), kind, want, len(got), got)}
	}
	var errs []string
	for i, w := range want {
		g := got[i]
		if w.Name != g.Name || w.Dtype != string(g.DType) || !dimsFit(w.Shape, g.Shape) {
			errs = append(errs, fmt.Sprintf("%s %d: the task wants %s %s %v, the model has %s", kind, i, w.Name, w.Dtype, w.Shape, g))
		}
	}
	return errs
}

func dimsFit(want, got []int64) bool {
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if got[i] != w && !(w >= 0 && got[i] < 0) {
			return false
		}
	}
	return true
}
