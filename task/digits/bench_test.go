package digits_test

import (
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// benchBatches are the batch sizes benchmarked: a single request and a
// validator-sized batch.
var benchBatches = []int{1, 64}

// BenchmarkRun measures a bare ONNX Runtime Run of the default digits MLP on
// one CPU thread, with the input and output tensors allocated once: the
// floor under Session.Run.
func BenchmarkRun(b *testing.B) {
	_, held, trained, _ := fixtureData(b)
	initRuntime(b)
	path := writeModel(b, trained)
	so, err := ort.NewSessionOptions()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = so.Destroy() }()
	if err := so.SetIntraOpNumThreads(1); err != nil {
		b.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSession(path, []string{digits.InputName}, []string{digits.OutputName}, so)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Destroy() }()
	for _, batch := range benchBatches {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			in, err := ort.NewTensor(ort.NewShape(int64(batch), digits.NumFeatures), held.Features[:batch*digits.NumFeatures])
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = in.Destroy() }()
			out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(batch), digits.NumClasses))
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = out.Destroy() }()
			for b.Loop() {
				if err := s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSessionRun measures Session.Run, what the axon pays per request:
// input validation, wrapping the input, ONNX Runtime allocating the output
// and copying it back to Go.
func BenchmarkSessionRun(b *testing.B) {
	_, held, trained, _ := fixtureData(b)
	s := openSession(b, writeModel(b, trained))
	for _, batch := range benchBatches {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			in := map[string]onnx.Tensor{digits.InputName: onnx.NewFloat32Tensor(
				[]int64{int64(batch), digits.NumFeatures}, held.Features[:batch*digits.NumFeatures])}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Run(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkForward is the pure-Go forward pass, for comparison.
func BenchmarkForward(b *testing.B) {
	_, held, trained, _ := fixtureData(b)
	for _, batch := range benchBatches {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			x := held.Features[:batch*digits.NumFeatures]
			for b.Loop() {
				if _, err := trained.Forward(x, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTrain measures training with the default options.
func BenchmarkTrain(b *testing.B) {
	train, held, _, _ := fixtureData(b)
	for b.Loop() {
		if _, err := digits.Train(train, held, digits.DefaultTrainOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

// ocrShape is the recognizer input benchmarked: one 48x320 RGB text line.
var ocrShape = []int64{1, 3, 48, 320}

// BenchmarkOCRRecognizer measures the PP-OCRv4 text recognizer (10.8 MB,
// fetched by scripts/fetch-ocr-model.sh the first time) on one CPU thread:
// a bare ONNX Runtime Run with tensors allocated once, and Session.Run with
// its input checks, output allocation and copy. The axon's BenchmarkAxonORT
// compares its signed round trip with the first.
func BenchmarkOCRRecognizer(b *testing.B) {
	initRuntime(b)
	path := ocrModelPath(b)
	x := make([]float32, 3*48*320)
	for i := range x {
		x[i] = float32(math.Sin(float64(i) * 0.01))
	}
	b.Run("ort-run", func(b *testing.B) {
		so, err := ort.NewSessionOptions()
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = so.Destroy() }()
		if err := so.SetIntraOpNumThreads(1); err != nil {
			b.Fatal(err)
		}
		s, err := ort.NewDynamicAdvancedSession(path, []string{"x"}, []string{"softmax_11.tmp_0"}, so)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = s.Destroy() }()
		in, err := ort.NewTensor(ort.NewShape(ocrShape...), x)
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = in.Destroy() }()
		out, err := ort.NewEmptyTensor[float32](ort.NewShape(1, 40, 6625))
		if err != nil {
			b.Fatal(err)
		}
		defer func() { _ = out.Destroy() }()
		for b.Loop() {
			if err := s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("session-run", func(b *testing.B) {
		s := openSession(b, path)
		in := map[string]onnx.Tensor{"x": onnx.NewFloat32Tensor(ocrShape, x)}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Run(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// ocrModelPath runs scripts/fetch-ocr-model.sh, which fetches the
// recognizer into the cache when it is missing and prints its path.
func ocrModelPath(b *testing.B) string {
	b.Helper()
	root, err := ortlib.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, "scripts", "fetch-ocr-model.sh")).Output()
	if err != nil {
		b.Fatalf("scripts/fetch-ocr-model.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}
