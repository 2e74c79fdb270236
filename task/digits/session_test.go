package digits_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/internal/onnxpb"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// tensorValue describes a graph input or output for handMadeModel.
func tensorValue(name string, elem onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{
			Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(elem)), Shape: shape}}}}
}

// handMadeModel returns an opset-13 model with one node.
func handMadeModel(t testing.TB, op string, in, out *onnxpb.ValueInfoProto, opset int64, attrs ...*onnxpb.AttributeProto) []byte {
	t.Helper()
	mp := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph: &onnxpb.GraphProto{
			Name: proto.String("test"),
			Node: []*onnxpb.NodeProto{{OpType: proto.String(op), Input: []string{in.GetName()},
				Output: []string{out.GetName()}, Attribute: attrs}},
			Input:  []*onnxpb.ValueInfoProto{in},
			Output: []*onnxpb.ValueInfoProto{out},
		},
	}
	b, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// onnxpbFloat shortens test tables.
const onnxpbFloat = onnxpb.TensorProto_FLOAT

// withoutIO returns b, a handMadeModel, with its graph inputs or outputs
// removed: both are valid ONNX that Run could not serve.
func withoutIO(t testing.TB, b []byte, inputs bool) []byte {
	t.Helper()
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatal(err)
	}
	if inputs {
		// A Constant node needs no input.
		n := mp.Graph.Node[0]
		n.OpType, n.Input = proto.String("Constant"), nil
		n.Attribute = []*onnxpb.AttributeProto{{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
			T: &onnxpb.TensorProto{Dims: []int64{1}, DataType: proto.Int32(int32(onnxpbFloat)), FloatData: []float32{1}}}}
		mp.Graph.Input = nil
	} else {
		mp.Graph.Output = nil
	}
	out, err := proto.Marshal(&mp)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func castTo(elem onnxpb.TensorProto_DataType) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String("to"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(elem))}
}

func TestLoadSessionRejectsBadModels(t *testing.T) {
	initRuntime(t)
	_, _, trained, _ := fixtureData(t)
	good, err := trained.MarshalONNX()
	if err != nil {
		t.Fatal(err)
	}
	f := onnxpb.TensorProto_FLOAT
	tests := []struct {
		name    string
		content []byte
		wantErr string
	}{
		{name: "empty file", content: nil, wantErr: "empty graph"},
		{name: "text", content: []byte("not a model"), wantErr: "not an ONNX protobuf"},
		{name: "truncated model", content: good[:len(good)/2], wantErr: "invalid ONNX model"},
		{name: "unknown operator", content: handMadeModel(t, "NoSuchOp", tensorValue("x", f, 1), tensorValue("y", f, 1), 13),
			wantErr: "ONNX Runtime rejected it"},
		{name: "unsupported opset", content: handMadeModel(t, "Relu", tensorValue("x", f, 1), tensorValue("y", f, 1), 9999),
			wantErr: "ONNX Runtime rejected it"},
		{name: "no outputs", content: withoutIO(t, handMadeModel(t, "Relu", tensorValue("x", f, 1), tensorValue("y", f, 1), 13), false),
			wantErr: "1 inputs and 0 outputs"},
		{name: "no inputs", content: withoutIO(t, handMadeModel(t, "Relu", tensorValue("x", f, 1), tensorValue("y", f, 1), 13), true),
			wantErr: "0 inputs and 1 outputs"},
		{name: "uint8 input", content: handMadeModel(t, "Cast", tensorValue("x", onnxpb.TensorProto_UINT8, 2),
			tensorValue("y", f, 2), 13, castTo(f)), wantErr: `input "x" has element type`},
		{name: "double output", content: handMadeModel(t, "Cast", tensorValue("x", f, 2),
			tensorValue("y", onnxpb.TensorProto_DOUBLE, 2), 13, castTo(onnxpb.TensorProto_DOUBLE)), wantErr: `output "y" has element type`},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".onnx")
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := onnx.LoadSession(path, onnx.SessionOptions{})
			if err == nil {
				closeSession(t, s)
				t.Fatal("LoadSession succeeded")
			}
			if !errors.Is(err, onnx.ErrInvalidModel) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want ErrInvalidModel naming the file and containing %q", err, tc.wantErr)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := onnx.LoadSession(filepath.Join(dir, "missing.onnx"), onnx.SessionOptions{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("err = %v, want os.ErrNotExist", err)
		}
	})
}

func TestSessionInfo(t *testing.T) {
	_, _, trained, _ := fixtureData(t)
	path := writeModel(t, trained)
	s := openSession(t, path)
	sum, size, err := onnx.Hash(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.SHA256() != sum || s.Size() != size || s.Device() != onnx.DeviceCPU {
		t.Fatalf("session reports %s %d %s, want %s %d cpu", s.SHA256(), s.Size(), s.Device(), sum, size)
	}
	if got, want := s.Inputs()[0].String(), "input float32 [?, 64]"; got != want || len(s.Inputs()) != 1 {
		t.Fatalf("Inputs() = %v, want [%s]", s.Inputs(), want)
	}
	if got, want := s.Outputs()[0].String(), "probabilities float32 [?, 10]"; got != want || len(s.Outputs()) != 1 {
		t.Fatalf("Outputs() = %v, want [%s]", s.Outputs(), want)
	}
}

func TestRunValidatesInputs(t *testing.T) {
	_, _, trained, _ := fixtureData(t)
	s := openSession(t, writeModel(t, trained))
	f32 := func(shape ...int64) onnx.Tensor {
		n := int64(1)
		for _, d := range shape {
			n *= max(d, 0)
		}
		return onnx.NewFloat32Tensor(shape, make([]float32, min(n, 1<<20)))
	}
	tests := []struct {
		name    string
		inputs  map[string]onnx.Tensor
		wantErr string
	}{
		{name: "unknown name", inputs: map[string]onnx.Tensor{"pixels": f32(1, 64)}, wantErr: `no input "pixels"`},
		{name: "extra name", inputs: map[string]onnx.Tensor{"input": f32(1, 64), "extra": f32(1)}, wantErr: `no input "extra"`},
		{name: "no inputs", inputs: nil, wantErr: `missing input "input"`},
		{name: "int64 data", inputs: map[string]onnx.Tensor{"input": onnx.NewInt64Tensor([]int64{1, 64}, make([]int64, 64))}, wantErr: `dtype "int64"`},
		{name: "unknown dtype", inputs: map[string]onnx.Tensor{"input": {DType: "float16", Shape: []int64{1, 64}}}, wantErr: `dtype "float16"`},
		{name: "rank 1", inputs: map[string]onnx.Tensor{"input": f32(64)}, wantErr: "rank 2"},
		{name: "rank 3", inputs: map[string]onnx.Tensor{"input": f32(1, 1, 64)}, wantErr: "rank 2"},
		{name: "63 features", inputs: map[string]onnx.Tensor{"input": f32(1, 63)}, wantErr: "wants [?, 64]"},
		{name: "zero batch", inputs: map[string]onnx.Tensor{"input": f32(0, 64)}, wantErr: "dimension 0 is 0"},
		{name: "negative batch", inputs: map[string]onnx.Tensor{"input": f32(-1, 64)}, wantErr: "dimension 0 is -1"},
		{name: "too few values", inputs: map[string]onnx.Tensor{"input": onnx.NewFloat32Tensor([]int64{2, 64}, make([]float32, 64))}, wantErr: "has 64 values"},
		{name: "too many values", inputs: map[string]onnx.Tensor{"input": onnx.NewFloat32Tensor([]int64{1, 64}, make([]float32, 65))}, wantErr: "has 65 values"},
		{name: "overflowing shape", inputs: map[string]onnx.Tensor{"input": f32(1<<60, 64)}, wantErr: "elements"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Run(tc.inputs)
			if !errors.Is(err, onnx.ErrInvalidInput) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrInvalidInput containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestRunInt64Model(t *testing.T) {
	initRuntime(t)
	b := handMadeModel(t, "Cast", tensorValue("x", onnxpb.TensorProto_INT64, 3),
		tensorValue("y", onnxpb.TensorProto_FLOAT, 3), 13, castTo(onnxpb.TensorProto_FLOAT))
	s, err := onnx.LoadSessionBytes(b, onnx.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSession(t, s)
	out, err := s.Run(map[string]onnx.Tensor{"x": onnx.NewInt64Tensor([]int64{3}, []int64{-2, 0, 40})})
	if err != nil {
		t.Fatal(err)
	}
	if y := out["y"].Float32; len(y) != 3 || y[0] != -2 || y[2] != 40 {
		t.Fatalf("y = %v, want [-2 0 40]", y)
	}
	_, err = s.Run(map[string]onnx.Tensor{"x": onnx.NewInt64Tensor([]int64{4}, make([]int64, 4))})
	if !errors.Is(err, onnx.ErrInvalidInput) || !strings.Contains(err.Error(), "wants [3]") {
		t.Fatalf("fixed dimension: err = %v", err)
	}
}

func TestRunConcurrent(t *testing.T) {
	_, held, trained, _ := fixtureData(t)
	s := openSession(t, writeModel(t, trained))
	want, err := trained.Forward(held.Features, held.Len())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < held.Len(); i += 8 {
				out, err := s.Run(map[string]onnx.Tensor{digits.InputName: onnx.NewFloat32Tensor([]int64{1, 64}, held.Row(i))})
				if err != nil {
					errs <- err
					return
				}
				p := out[digits.OutputName].Float32
				for k := range p {
					if d := p[k] - want[i*10+k]; d > 1e-5 || d < -1e-5 {
						errs <- errors.New("concurrent run gave a different answer")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestSessionClose(t *testing.T) {
	_, held, trained, _ := fixtureData(t)
	initRuntime(t)
	s, err := onnx.LoadSession(writeModel(t, trained), onnx.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err = s.Run(map[string]onnx.Tensor{digits.InputName: onnx.NewFloat32Tensor([]int64{1, 64}, held.Row(0))})
	if !errors.Is(err, onnx.ErrSessionClosed) {
		t.Fatalf("Run after Close: err = %v, want ErrSessionClosed", err)
	}
}
