package textline

import (
	"fmt"
	"math/rand/v2"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
)

// The evaluation set: EvalBatches batches of EvalBatchRows lines, made by
// Challenge from a PCG seeded with (EvalSeed, EvalStream), so every run on
// every machine of the same architecture sees the same 512 lines.
const (
	EvalSeed      = 17
	EvalStream    = 2026
	EvalBatches   = 32
	EvalBatchRows = 16
)

var _ task.Evaluator = Task{}

// Eval runs the model on the evaluation set and reports the mean line score
// (the validator's 1 - CER, clipped, per line) and as metrics "cer" (all
// edits over all truth characters) and "exact_line_accuracy" (lines read
// exactly). A model with exactly one input and one output is fed under its
// own names, so a recognizer exported with other names than the default
// spec's can be evaluated as it is.
func (t Task) Eval(s *onnx.Session, env task.Env) (task.EvalReport, error) {
	spec := t.DefaultSpec()
	if ins, outs := s.Inputs(), s.Outputs(); len(ins) == 1 && len(outs) == 1 {
		spec.Inputs[0].Name, spec.Outputs[0].Name = ins[0].Name, outs[0].Name
	}
	inst, err := t.New(spec, env)
	if err != nil {
		return task.EvalReport{}, err
	}
	return EvalInstance(inst.(*Instance), s.Run)
}

// RunFunc runs a model on inputs (Session.Run's signature).
type RunFunc func(inputs map[string]onnx.Tensor) (map[string]onnx.Tensor, error)

// EvalInstance is Eval with an instance already made and any way of running
// the model.
func EvalInstance(in *Instance, run RunFunc) (task.EvalReport, error) {
	rng := rand.New(rand.NewPCG(EvalSeed, EvalStream)) //nolint:gosec // G404: a fixed public evaluation set, not a secret
	var scoreSum float64
	edits, chars, exact, items := 0, 0, 0, 0
	for b := 0; b < EvalBatches; b++ {
		c, err := in.Challenge(rng, EvalBatchRows)
		if err != nil {
			return task.EvalReport{}, err
		}
		out, err := run(c.Inputs)
		if err != nil {
			return task.EvalReport{}, fmt.Errorf("textline eval batch %d: %w", b, err)
		}
		scores, err := in.Score(c, out)
		if err != nil {
			return task.EvalReport{}, fmt.Errorf("textline eval batch %d: %w", b, err)
		}
		decoded, err := in.Decode(c, out)
		if err != nil {
			return task.EvalReport{}, err
		}
		for i, truth := range c.Truth.(Truth).Texts {
			scoreSum += scores[i]
			edits += EditDistance(decoded[i].Text, truth)
			chars += len([]rune(truth))
			if decoded[i].Text == truth {
				exact++
			}
			items++
		}
	}
	return task.EvalReport{
		Items: items,
		Score: scoreSum / float64(items),
		Metrics: map[string]float64{
			"cer":                 float64(edits) / float64(chars),
			"exact_line_accuracy": float64(exact) / float64(items),
		},
	}, nil
}
