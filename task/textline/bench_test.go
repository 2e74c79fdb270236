package textline

import (
	"testing"

	"github.com/tensorcosm/tensorcosm/task"
)

// BenchmarkChallenge measures rendering and preprocessing a batch of 16
// lines, the validator's per-batch cost before the miner is asked.
func BenchmarkChallenge(b *testing.B) {
	in := testInstance(b)
	rng := newRand(1)
	for b.Loop() {
		if _, err := in.Challenge(rng, 16); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScore measures decoding and scoring 16 rows of 40 steps.
func BenchmarkScore(b *testing.B) {
	in := testInstance(b)
	c, err := in.Challenge(newRand(1), 16)
	if err != nil {
		b.Fatal(err)
	}
	out := task.Tensors{OutputName: oneHot(b, in.dict, c.Truth.(Truth).Texts, int(c.Inputs[InputName].Shape[3])/StepWidth)}
	for b.Loop() {
		if _, err := in.Score(c, out); err != nil {
			b.Fatal(err)
		}
	}
}
