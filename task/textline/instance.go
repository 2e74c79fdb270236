package textline

import (
	"fmt"
	"math/rand/v2"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Instance is the textline task bound to a subnet's TaskSpec. It is safe
// for concurrent use.
type Instance struct {
	spec    subnettypes.TaskSpec
	inName  string
	outName string
	dict    *Dictionary
	corpus  *Corpus
}

var _ task.Instance = (*Instance)(nil)

func newInstance(spec subnettypes.TaskSpec, dict *Dictionary, corpus *Corpus) *Instance {
	return &Instance{spec: spec, inName: spec.Inputs[0].Name, outName: spec.Outputs[0].Name, dict: dict, corpus: corpus}
}

// Truth is a challenge's ground truth: the text of each row.
type Truth struct {
	Texts []string
}

// Spec returns the TaskSpec the instance was made for.
func (in *Instance) Spec() subnettypes.TaskSpec { return in.spec }

// Dictionary returns the subnet's character dictionary.
func (in *Instance) Dictionary() *Dictionary { return in.dict }

// Corpus returns the fonts and words lines are made of.
func (in *Instance) Corpus() *Corpus { return in.corpus }

// Challenge renders rows fresh lines (Corpus.Line in Corpus.RandomStyle),
// preprocesses them and pads them to one width. Everything random comes
// from rng.
func (in *Instance) Challenge(rng *rand.Rand, rows int) (task.Challenge, error) {
	if rows < 1 || rows > MaxRows {
		return task.Challenge{}, fmt.Errorf("textline: %d rows, want 1..%d", rows, MaxRows)
	}
	lines := make([]Line, rows)
	truth := Truth{Texts: make([]string, rows)}
	for i := range lines {
		text := in.corpus.Line(rng)
		img, err := in.corpus.Render(rng, text, in.corpus.RandomStyle(rng))
		if err != nil {
			return task.Challenge{}, fmt.Errorf("textline: render %q: %w", text, err)
		}
		if lines[i], err = Preprocess(img); err != nil {
			return task.Challenge{}, fmt.Errorf("textline: preprocess %q: %w", text, err)
		}
		truth.Texts[i] = text
	}
	return task.Challenge{Inputs: task.Tensors{in.inName: Batch(lines)}, Rows: rows, Truth: truth}, nil
}

// Score decodes each row's output greedily (Dictionary.DecodeRow) and
// scores it 1 - CER against the truth, clipped to [0, 1]; rows with NaN or
// infinite scores get 0.
func (in *Instance) Score(c task.Challenge, outputs task.Tensors) ([]float64, error) {
	truth, err := truthOf(c)
	if err != nil {
		return nil, err
	}
	out, steps, err := in.output(c, outputs)
	if err != nil {
		return nil, err
	}
	scores := make([]float64, c.Rows)
	stride := steps * in.dict.Classes()
	for r := range scores {
		d := in.dict.DecodeRow(out.Float32[r*stride:(r+1)*stride], steps)
		if d.Finite {
			scores[r] = LineScore(d.Text, truth.Texts[r])
		}
	}
	return scores, nil
}

// Decode greedily decodes every row of a model's output for c.
func (in *Instance) Decode(c task.Challenge, outputs task.Tensors) ([]Decoded, error) {
	out, steps, err := in.output(c, outputs)
	if err != nil {
		return nil, err
	}
	res := make([]Decoded, c.Rows)
	stride := steps * in.dict.Classes()
	for r := range res {
		res[r] = in.dict.DecodeRow(out.Float32[r*stride:(r+1)*stride], steps)
	}
	return res, nil
}

// Sample returns rows idx of c's input and of the miner's output.
func (in *Instance) Sample(c task.Challenge, outputs task.Tensors, idx []int) (task.Tensors, task.Tensors, error) {
	out, _, err := in.output(c, outputs)
	if err != nil {
		return nil, nil, err
	}
	x, ok := c.Inputs[in.inName]
	if !ok {
		return nil, nil, fmt.Errorf("textline: challenge has no input %q", in.inName)
	}
	ins, err := task.Rows(task.Tensors{in.inName: x}, idx)
	if err != nil {
		return nil, nil, fmt.Errorf("textline: sample: %w", err)
	}
	outs, err := task.Rows(task.Tensors{in.outName: out}, idx)
	if err != nil {
		return nil, nil, fmt.Errorf("textline: sample: %w", err)
	}
	return ins, outs, nil
}

func truthOf(c task.Challenge) (Truth, error) {
	t, ok := c.Truth.(Truth)
	if !ok || len(t.Texts) != c.Rows {
		return Truth{}, fmt.Errorf("textline: the challenge was not made by a textline instance (truth %T)", c.Truth)
	}
	return t, nil
}

// output checks the miner's output for c: the spec's output, float32
// [rows, T, classes] (task.CheckOutputs), and at most one step per input
// column. Errors wrap task.ErrBadOutput.
func (in *Instance) output(c task.Challenge, outputs task.Tensors) (onnx.Tensor, int, error) {
	if err := task.CheckOutputs(in.spec, outputs, c.Rows); err != nil {
		return onnx.Tensor{}, 0, err
	}
	out := outputs[in.outName]
	width := int64(MaxWidth)
	if x, ok := c.Inputs[in.inName]; ok && len(x.Shape) == 4 {
		width = x.Shape[3]
	}
	if out.Shape[1] > width {
		return onnx.Tensor{}, 0, fmt.Errorf("%w: output %q has %d time steps for %d input columns", task.ErrBadOutput, in.outName, out.Shape[1], width)
	}
	return out, int(out.Shape[1]), nil
}
