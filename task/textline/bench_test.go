package textline

import (
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
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

// BenchmarkReferenceBatch measures the PP-OCRv4 recognizer on one challenge
// batch of 16 lines through ONNX Runtime (CPU, its default threads): a
// thirty-second of Eval's model time.
func BenchmarkReferenceBatch(b *testing.B) {
	initRuntime(b)
	in := testInstance(b)
	s, err := onnx.LoadSession(ortlib.OCRModelPath(b), onnx.SessionOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	c, err := in.Challenge(newRand(1), 16)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Run(c.Inputs); err != nil {
			b.Fatal(err)
		}
	}
}
