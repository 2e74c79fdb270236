package textline

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

var shared struct {
	once sync.Once
	inst *Instance
	err  error
}

// testEnv fetches the dictionary, fonts and word list with the repository's
// scripts where they are missing and returns the environment to find them.
func testEnv(t testing.TB) task.Env {
	t.Helper()
	ortlib.OCRModelPath(t)
	ortlib.TextlineDataDir(t)
	return task.Env{CacheDir: ortlib.CacheDir(t)}
}

// testInstance is one instance of the default spec for the whole test
// binary: loading the fonts and words takes a moment.
func testInstance(t testing.TB) *Instance {
	t.Helper()
	env := testEnv(t)
	shared.once.Do(func() {
		var inst task.Instance
		inst, shared.err = Task{}.New(Task{}.DefaultSpec(), env)
		if shared.err == nil {
			shared.inst = inst.(*Instance)
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.inst
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// initRuntime loads ONNX Runtime, installing it first where it is missing.
func initRuntime(t testing.TB) {
	t.Helper()
	if err := onnx.InitRuntime(ortlib.LibraryPath(t)); err != nil {
		t.Fatal(err)
	}
}

// oneHot builds a model output that reads each text exactly: per row, the
// text's classes with a blank between equal neighbours, then blanks up to
// steps; every chosen class scores 1.
func oneHot(t testing.TB, d *Dictionary, texts []string, steps int) onnx.Tensor {
	t.Helper()
	C := d.Classes()
	data := make([]float32, len(texts)*steps*C)
	for r, text := range texts {
		classes, err := d.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		var seq []int32
		for i, c := range classes {
			if i > 0 && classes[i-1] == c {
				seq = append(seq, Blank)
			}
			seq = append(seq, c)
		}
		if len(seq) > steps {
			t.Fatalf("%q needs %d steps, have %d", text, len(seq), steps)
		}
		for s := 0; s < steps; s++ {
			c := int32(Blank)
			if s < len(seq) {
				c = seq[s]
			}
			data[(r*steps+s)*C+int(c)] = 1
		}
	}
	return onnx.NewFloat32Tensor([]int64{int64(len(texts)), int64(steps), int64(C)}, data)
}
