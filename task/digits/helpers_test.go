package digits_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// fixture is trained once per test binary: training takes a fraction of a
// second, but many tests need a model.
var fixture struct {
	once             sync.Once
	train, heldOut   *digits.Dataset
	trained, initial *digits.MLP
	err              error
}

// fixtureData returns the split data set and the default-trained and untrained
// (0 epochs) models.
func fixtureData(t testing.TB) (train, heldOut *digits.Dataset, trained, initial *digits.MLP) {
	t.Helper()
	path := ortlib.DigitsPath(t)
	fixture.once.Do(func() {
		f := &fixture
		if f.train, f.heldOut, f.err = digits.LoadDigitsSplit(path); f.err != nil {
			return
		}
		if f.trained, f.err = digits.Train(f.train, f.heldOut, digits.DefaultTrainOptions()); f.err != nil {
			return
		}
		opts := digits.DefaultTrainOptions()
		opts.Epochs = 0
		f.initial, f.err = digits.Train(f.train, f.heldOut, opts)
	})
	if fixture.err != nil {
		t.Fatalf("fixture: %v", fixture.err)
	}
	return fixture.train, fixture.heldOut, fixture.trained, fixture.initial
}

// initRuntime loads the real ONNX Runtime library, installing it if needed.
func initRuntime(t testing.TB) {
	t.Helper()
	if err := onnx.InitRuntime(ortlib.LibraryPath(t)); err != nil {
		t.Fatal(err)
	}
}

// writeModel exports m into a temporary file and returns its path.
func writeModel(t testing.TB, m *digits.MLP) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := m.WriteONNX(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// closeSession closes s and fails the test if that fails.
func closeSession(t testing.TB, s *onnx.Session) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

// openSession loads path on the CPU and closes it when the test ends.
func openSession(t testing.TB, path string) *onnx.Session {
	t.Helper()
	initRuntime(t)
	s, err := onnx.LoadSession(path, onnx.SessionOptions{Device: onnx.DeviceCPU, IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeSession(t, s) })
	return s
}
