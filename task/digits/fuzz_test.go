package digits_test

import (
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// patchMarker starts a fuzz input that is a patch rather than a file. No
// ONNX file starts with 0xFF (field 31 with an invalid wire type), so raw
// inputs lose nothing.
const patchMarker = 0xFF

// FuzzLoadModel feeds arbitrary bytes to the loader as an ONNX file: it must
// return an error or a working session, never panic or crash. A miner loads
// only its own file, but validators load models other people committed.
//
// Random bytes almost never parse as an ONNX protobuf, which would leave
// ONNX Runtime's own checks untested, so an input that starts with
// patchMarker is read as a list of (offset high, offset low, value) byte
// triples that overwrite bytes of a small valid model: those stay mostly
// parseable and reach ONNX Runtime with broken shapes, types and graphs.
func FuzzLoadModel(f *testing.F) {
	_, _, trained, _ := fixtureData(f)
	initRuntime(f)
	good, err := trained.MarshalONNX()
	if err != nil {
		f.Fatal(err)
	}
	base := patchBase(f)
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x08, 0x3a, 0x00})
	fl := onnxpbFloat
	f.Add(handMadeModel(f, "Relu", tensorValue("x", fl, 1, 4), tensorValue("y", fl, 1, 4), 13))
	f.Add([]byte{patchMarker})
	f.Add([]byte{patchMarker, 0x00, 0x10, 0x7f, 0x01, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0 && b[0] == patchMarker {
			b = applyPatch(base, b[1:])
		}
		s, err := onnx.LoadSessionBytes(b, onnx.SessionOptions{IntraOpThreads: 1})
		if err != nil {
			return
		}
		defer closeSession(t, s)
		// A model that loads must also survive a run with valid inputs.
		runZeros(s)
	})
}

// patchBase returns a valid digits model with a one-unit hidden layer, so
// that most of its bytes are graph structure rather than weights.
func patchBase(f *testing.F) []byte {
	train, _, _, _ := fixtureData(f)
	o := digits.DefaultTrainOptions()
	o.Hidden, o.Epochs = 1, 0
	m, err := digits.Train(train, nil, o)
	if err != nil {
		f.Fatal(err)
	}
	b, err := m.MarshalONNX()
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func applyPatch(base, patch []byte) []byte {
	out := append([]byte(nil), base...)
	for ; len(patch) >= 3; patch = patch[3:] {
		out[(int(patch[0])<<8|int(patch[1]))%len(out)] = patch[2]
	}
	return out
}

// runZeros runs s once with all-zero inputs, dynamic dimensions set to 1.
func runZeros(s *onnx.Session) {
	inputs := map[string]onnx.Tensor{}
	for _, in := range s.Inputs() {
		shape := make([]int64, len(in.Shape))
		n := int64(1)
		for i, d := range in.Shape {
			shape[i] = max(d, 1)
			if shape[i] > (1<<16)/n {
				return // a huge fixed shape: nothing to learn from allocating it
			}
			n *= shape[i]
		}
		if in.DType == onnx.Float32 {
			inputs[in.Name] = onnx.NewFloat32Tensor(shape, make([]float32, n))
		} else {
			inputs[in.Name] = onnx.NewInt64Tensor(shape, make([]int64, n))
		}
	}
	_, _ = s.Run(inputs) // errors are fine, crashes are not
}
