package digits

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const (
	// Kind is the TaskSpec.kind of the digits task.
	Kind = "digits-classification"
	// ScoringAccuracy is the digits task's scoring rule, and its default: a
	// row scores 1 when the highest probability is at its label, else 0.
	// An empty TaskSpec.scoring means it too.
	ScoringAccuracy = "accuracy"
	// MaxChallengeRows bounds the rows of one challenge batch.
	MaxChallengeRows = 1024
)

func init() { task.Register(Task{}) }

// Task is the digits kind: task.Task, task.ModelMaker, task.Evaluator,
// task.Trainer and task.SettingsChecker.
type Task struct{}

// Kind implements task.Task.
func (Task) Kind() string { return Kind }

// DefaultSpec implements task.Task: one float32 input "input" [batch, 64]
// (pixel intensities in [0, 1]), one float32 output "probabilities"
// [batch, 10], scored by accuracy.
func (Task) DefaultSpec() subnettypes.TaskSpec {
	return subnettypes.TaskSpec{
		Kind:    Kind,
		Inputs:  []subnettypes.TensorSpec{{Name: InputName, Dtype: string(onnx.Float32), Shape: []int64{-1, NumFeatures}}},
		Outputs: []subnettypes.TensorSpec{{Name: OutputName, Dtype: string(onnx.Float32), Shape: []int64{-1, NumClasses}}},
		Scoring: ScoringAccuracy,
	}
}

// New implements task.Task: it checks spec, decodes env's settings (see
// Settings) and loads the whole data set, both splits, which the challenges
// are drawn from.
func (Task) New(spec subnettypes.TaskSpec, env task.Env) (task.Instance, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	s, err := DecodeSettings(env)
	if err != nil {
		return nil, fmt.Errorf("%s settings: %w", Kind, err)
	}
	d, err := LoadDigits(s.DataPath)
	if err != nil {
		return nil, err
	}
	return &Instance{spec: spec, input: spec.Inputs[0].Name, output: spec.Outputs[0].Name, data: d, aug: s.Augment}, nil
}

// checkSpec checks that spec is a digits TaskSpec: one float32 input
// [batch, 64], one float32 output [batch, 10] (any names, a fixed or
// dynamic batch) and the accuracy scoring rule. Errors wrap
// task.ErrBadSpec.
func checkSpec(spec subnettypes.TaskSpec) error {
	fits := func(ts []subnettypes.TensorSpec, width int64) bool {
		return len(ts) == 1 && ts[0].Dtype == string(onnx.Float32) && len(ts[0].Shape) == 2 && ts[0].Shape[1] == width
	}
	var errs []error
	if spec.Kind != Kind {
		errs = append(errs, fmt.Errorf("kind %q is not %q", spec.Kind, Kind))
	}
	if !fits(spec.Inputs, NumFeatures) {
		errs = append(errs, fmt.Errorf("inputs %v: want one float32 [batch, %d]", spec.Inputs, NumFeatures))
	}
	if !fits(spec.Outputs, NumClasses) {
		errs = append(errs, fmt.Errorf("outputs %v: want one float32 [batch, %d]", spec.Outputs, NumClasses))
	}
	if spec.Scoring != ScoringAccuracy && spec.Scoring != "" {
		errs = append(errs, fmt.Errorf("scoring %q: the digits task scores %q", spec.Scoring, ScoringAccuracy))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", task.ErrBadSpec, err)
	}
	return nil
}

// Instance is the digits task bound to one subnet's TaskSpec.
type Instance struct {
	spec          subnettypes.TaskSpec
	input, output string
	data          *Dataset
	aug           Augment
}

// Spec implements task.Instance.
func (in *Instance) Spec() subnettypes.TaskSpec { return in.spec }

// Challenge implements task.Instance: rows images drawn with replacement
// from the whole data set, each replaced by a fresh random variant (the
// settings' Augment). Every image is public, so no subset is privileged:
// what a miner cannot have seen is the variant. Challenge.Truth is the
// labels, []int.
func (in *Instance) Challenge(rng *rand.Rand, rows int) (task.Challenge, error) {
	if rows < 1 || rows > MaxChallengeRows {
		return task.Challenge{}, fmt.Errorf("digits challenge of %d rows: want 1 to %d", rows, MaxChallengeRows)
	}
	x := make([]float32, rows*NumFeatures)
	labels := make([]int, rows)
	for r := range labels {
		i := rng.IntN(in.data.Len())
		labels[r] = in.data.Labels[i]
		in.aug.Apply(rng, in.data.Row(i), x[r*NumFeatures:(r+1)*NumFeatures])
	}
	return task.Challenge{
		Inputs: task.Tensors{in.input: onnx.NewFloat32Tensor([]int64{int64(rows), NumFeatures}, x)},
		Rows:   rows,
		Truth:  labels,
	}, nil
}

// Score implements task.Instance: 1 for a row whose highest probability is
// at its label (the first of equal highest), else 0; a row holding NaN or
// an infinity scores 0.
func (in *Instance) Score(c task.Challenge, outputs task.Tensors) ([]float64, error) {
	labels, err := truth(c)
	if err != nil {
		return nil, err
	}
	if err := task.CheckOutputs(in.spec, outputs, c.Rows); err != nil {
		return nil, err
	}
	probs := outputs[in.output].Float32
	scores := make([]float64, c.Rows)
	for r, label := range labels {
		if best, ok := finiteArgmax(probs[r*NumClasses : (r+1)*NumClasses]); ok && best == label {
			scores[r] = 1
		}
	}
	return scores, nil
}

// truth returns c's labels, checking that c is a digits challenge.
func truth(c task.Challenge) ([]int, error) {
	labels, ok := c.Truth.([]int)
	if !ok || len(labels) != c.Rows {
		return nil, fmt.Errorf("not a digits challenge: truth %T for %d rows", c.Truth, c.Rows)
	}
	return labels, nil
}

// finiteArgmax returns the index of the first highest value of row, and
// false when a value is NaN or infinite.
func finiteArgmax(row []float32) (int, bool) {
	best := 0
	for k, p := range row {
		if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
			return 0, false
		}
		if p > row[best] {
			best = k
		}
	}
	return best, true
}

// Sample implements task.Instance.
func (in *Instance) Sample(c task.Challenge, outputs task.Tensors, idx []int) (inputs, minerOutputs task.Tensors, err error) {
	if err := task.CheckOutputs(in.spec, outputs, c.Rows); err != nil {
		return nil, nil, err
	}
	if inputs, err = task.Rows(c.Inputs, idx); err != nil {
		return nil, nil, err
	}
	if minerOutputs, err = task.Rows(task.Tensors{in.output: outputs[in.output]}, idx); err != nil {
		return nil, nil, err
	}
	return inputs, minerOutputs, nil
}

// Codec implements task.Instance.
func (in *Instance) Codec() task.Codec { return codec{input: in.input, output: in.output} }

// Data is the data set the challenges are drawn from.
func (in *Instance) Data() *Dataset { return in.data }

// Augment is the variant every challenge image gets.
func (in *Instance) Augment() Augment { return in.aug }
