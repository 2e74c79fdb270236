package digits_test

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// TestExportRoundTrip checks that ONNX Runtime, running the exported file,
// computes what the pure-Go forward pass computes.
func TestExportRoundTrip(t *testing.T) {
	_, held, trained, initial := fixtureData(t)
	tests := []struct {
		name  string
		m     *digits.MLP
		batch int
	}{
		{name: "trained, batch 1", m: trained, batch: 1},
		{name: "trained, batch 7", m: trained, batch: 7},
		{name: "trained, whole held-out set", m: trained, batch: held.Len()},
		{name: "untrained, batch 64", m: initial, batch: 64},
		{name: "hidden 3", m: tinyMLP(t, 3), batch: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openSession(t, writeModel(t, tc.m))
			x := held.Features[:tc.batch*digits.NumFeatures]
			want, err := tc.m.Forward(x, tc.batch)
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Run(map[string]onnx.Tensor{
				digits.InputName: onnx.NewFloat32Tensor([]int64{int64(tc.batch), digits.NumFeatures}, x),
			})
			if err != nil {
				t.Fatal(err)
			}
			got := out[digits.OutputName]
			if !reflect.DeepEqual(got.Shape, []int64{int64(tc.batch), digits.NumClasses}) || got.DType != onnx.Float32 {
				t.Fatalf("output %s %v, want float32 [%d, %d]", got.DType, got.Shape, tc.batch, digits.NumClasses)
			}
			var worst float64
			for i := range want {
				worst = max(worst, math.Abs(float64(got.Float32[i]-want[i])))
			}
			t.Logf("largest difference %.3g", worst)
			if worst > 1e-5 {
				t.Fatalf("ONNX Runtime and Forward differ by %.3g, want at most 1e-5", worst)
			}
		})
	}
}

// tinyMLP trains a small model briefly, to vary the hidden width.
func tinyMLP(t *testing.T, hidden int) *digits.MLP {
	train, _, _, _ := fixtureData(t)
	o := digits.DefaultTrainOptions()
	o.Hidden, o.Epochs = hidden, 2
	m, err := digits.Train(train, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExportRejectsInvalidMLP(t *testing.T) {
	_, _, trained, _ := fixtureData(t)
	tests := []struct {
		name string
		edit func(m *digits.MLP)
	}{
		{name: "short W1", edit: func(m *digits.MLP) { m.W1 = m.W1[1:] }},
		{name: "hidden does not match", edit: func(m *digits.MLP) { m.Hidden++ }},
		{name: "NaN weight", edit: func(m *digits.MLP) { m.B2[0] = float32(math.NaN()) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := *trained
			m.W1 = append([]float32(nil), trained.W1...)
			m.B2 = append([]float32(nil), trained.B2...)
			tc.edit(&m)
			if _, err := m.MarshalONNX(); err == nil {
				t.Fatal("MarshalONNX succeeded")
			}
		})
	}
}

func TestInspect(t *testing.T) {
	_, _, trained, _ := fixtureData(t)
	path := writeModel(t, trained)
	mi, err := onnx.Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	want := &onnx.ModelInfo{
		SHA256:          hex.EncodeToString(sum[:]),
		Size:            int64(len(b)),
		IRVersion:       digits.IRVersion,
		Opsets:          []onnx.OpsetID{{Domain: "", Version: digits.Opset}},
		ProducerName:    digits.ProducerName,
		ProducerVersion: digits.ProducerVersion,
		GraphName:       "digits_mlp",
		Nodes:           6,
		Initializers:    4,
		Parameters:      int64(trained.NumParams()),
		Inputs: []onnx.TensorInfo{{Name: digits.InputName, DType: onnx.Float32,
			Shape: []int64{-1, digits.NumFeatures}, DimNames: []string{digits.BatchDim, ""}}},
		Outputs: []onnx.TensorInfo{{Name: digits.OutputName, DType: onnx.Float32,
			Shape: []int64{-1, digits.NumClasses}, DimNames: []string{digits.BatchDim, ""}}},
	}
	if !reflect.DeepEqual(mi, want) {
		t.Fatalf("Inspect:\n got %+v\nwant %+v", mi, want)
	}
	if mi.Opset() != 13 {
		t.Fatalf("Opset() = %d, want 13", mi.Opset())
	}
	if got := mi.Inputs[0].String(); got != "input float32 [batch, 64]" {
		t.Fatalf("input String() = %q", got)
	}
}

func TestInspectRejectsNonModels(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content []byte
	}{
		{name: "empty file", content: nil},
		{name: "text", content: []byte("this is not an onnx model\n")},
		{name: "protobuf without a graph", content: []byte{0x08, 0x08}}, // ir_version: 8
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := dir + "/" + tc.name
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := onnx.Inspect(path); err == nil {
				t.Fatal("Inspect succeeded")
			}
		})
	}
}

func TestHash(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{name: "empty", content: "", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "abc", content: "abc", want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := dir + "/" + tc.name
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			sum, size, err := onnx.Hash(path)
			if err != nil {
				t.Fatal(err)
			}
			if sum != tc.want || size != int64(len(tc.content)) {
				t.Fatalf("Hash = %s, %d; want %s, %d", sum, size, tc.want, len(tc.content))
			}
			if got := onnx.HashBytes([]byte(tc.content)); got != tc.want {
				t.Fatalf("HashBytes = %s, want %s", got, tc.want)
			}
		})
	}
	if _, _, err := onnx.Hash(dir + "/missing"); err == nil {
		t.Fatal("Hash of a missing file succeeded")
	}
}
