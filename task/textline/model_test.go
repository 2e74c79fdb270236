package textline

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// TestReferenceRecognizerAndBaseline is acceptance 1 of issue 17: on the
// seeded evaluation set the PP-OCRv4 recognizer scores at least 0.85
// (1 - CER) and the untrained baseline at most 0.1.
func TestReferenceRecognizerAndBaseline(t *testing.T) {
	initRuntime(t)
	env := testEnv(t)
	ref, err := onnx.LoadSession(ortlib.OCRModelPath(t), onnx.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ref.Close() }()
	start := time.Now()
	rep, err := Task{}.Eval(ref, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PP-OCRv4: %d lines, score %.4f, CER %.4f, exact lines %.3f (%v)",
		rep.Items, rep.Score, rep.Metrics["cer"], rep.Metrics["exact_line_accuracy"], time.Since(start).Round(time.Millisecond))
	if rep.Items < 500 || rep.Score < 0.85 {
		t.Errorf("PP-OCRv4 scored %.4f on %d lines, want at least 0.85 on at least 500", rep.Score, rep.Items)
	}
	if rep.Metrics["cer"] > 0.15 || rep.Metrics["exact_line_accuracy"] < 0.5 {
		t.Errorf("PP-OCRv4 metrics %v: CER above 0.15 or under half the lines exact", rep.Metrics)
	}

	b, err := Task{}.InitModel(1)
	if err != nil {
		t.Fatal(err)
	}
	base, err := onnx.LoadSessionBytes(b, onnx.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = base.Close() }()
	start = time.Now()
	brep, err := Task{}.Eval(base, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline: %d lines, score %.4f, CER %.4f, exact lines %.3f (%v)",
		brep.Items, brep.Score, brep.Metrics["cer"], brep.Metrics["exact_line_accuracy"], time.Since(start).Round(time.Millisecond))
	if brep.Score > 0.1 || brep.Metrics["exact_line_accuracy"] != 0 {
		t.Errorf("the untrained baseline scored %.4f (exact %v), want at most 0.1 and no exact line", brep.Score, brep.Metrics["exact_line_accuracy"])
	}
}

// TestBaselineSignature checks the untrained baseline against the spec and
// that a seed fixes its bytes.
func TestBaselineSignature(t *testing.T) {
	initRuntime(t)
	a, err := Task{}.InitModel(7)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Task{}.InitModel(7)
	other, _ := Task{}.InitModel(8)
	if !bytes.Equal(a, again) || bytes.Equal(a, other) {
		t.Fatal("InitModel is not a function of its seed")
	}
	s, err := onnx.LoadSessionBytes(a, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	spec := Task{}.DefaultSpec()
	ins, outs := s.Inputs(), s.Outputs()
	if len(ins) != 1 || len(outs) != 1 || ins[0].Name != spec.Inputs[0].Name || outs[0].Name != spec.Outputs[0].Name ||
		!slices.Equal(ins[0].Shape, spec.Inputs[0].Shape) || !slices.Equal(outs[0].Shape, spec.Outputs[0].Shape) {
		t.Fatalf("baseline signature %v -> %v, want the default spec %v -> %v", ins, outs, spec.Inputs, spec.Outputs)
	}
	in := testInstance(t)
	c, err := in.Challenge(newRand(31), 3)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(c.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	W := c.Inputs[InputName].Shape[3]
	if got := out[OutputName].Shape; !slices.Equal(got, []int64{3, W / StepWidth, referenceClasses}) {
		t.Fatalf("baseline output shape %v, want [3, %d, %d]", got, W/StepWidth, referenceClasses)
	}
	if _, err := in.Score(c, out); err != nil {
		t.Fatalf("the validator cannot score the baseline: %v", err)
	}
}
