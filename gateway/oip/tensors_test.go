package oip

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func f32(shape []int64, n int) onnx.Tensor {
	return onnx.NewFloat32Tensor(shape, make([]float32, n))
}

func i64(shape []int64, n int) onnx.Tensor {
	return onnx.NewInt64Tensor(shape, make([]int64, n))
}

func TestCheckInputs(t *testing.T) {
	spec := []subnettypes.TensorSpec{
		{Name: "pixels", Dtype: "float32", Shape: []int64{-1, 64}},
		{Name: "mask", Dtype: "int64", Shape: []int64{-1, -1}},
	}
	tests := []struct {
		name     string
		spec     []subnettypes.TensorSpec
		in       map[string]onnx.Tensor
		wantRows int
		wantErr  string
	}{
		{"ok batch 3", spec, map[string]onnx.Tensor{"pixels": f32([]int64{3, 64}, 192), "mask": i64([]int64{3, 5}, 15)}, 3, ""},
		{"ok batch 1", spec, map[string]onnx.Tensor{"pixels": f32([]int64{1, 64}, 64), "mask": i64([]int64{1, 1}, 1)}, 1, ""},
		{"scalar only", []subnettypes.TensorSpec{{Name: "t", Dtype: "float32", Shape: []int64{}}}, map[string]onnx.Tensor{"t": f32([]int64{}, 1)}, 1, ""},
		{"missing input", spec, map[string]onnx.Tensor{"pixels": f32([]int64{1, 64}, 64)}, 0, `input "mask" is missing`},
		{"unknown input", spec, map[string]onnx.Tensor{"pixels": f32([]int64{1, 64}, 64), "mask": i64([]int64{1, 1}, 1), "extra": f32([]int64{1}, 1)}, 0, `unknown input "extra"`},
		{"wrong dtype", spec, map[string]onnx.Tensor{"pixels": i64([]int64{1, 64}, 64), "mask": i64([]int64{1, 1}, 1)}, 0, `"pixels" has datatype INT64, the task wants FP32`},
		{"wrong rank", spec, map[string]onnx.Tensor{"pixels": f32([]int64{64}, 64), "mask": i64([]int64{1, 1}, 1)}, 0, "wants rank 2 [? 64]"},
		{"wrong fixed dim", spec, map[string]onnx.Tensor{"pixels": f32([]int64{2, 32}, 64), "mask": i64([]int64{2, 1}, 2)}, 0, "the task wants [? 64]"},
		{"row count differs", spec, map[string]onnx.Tensor{"pixels": f32([]int64{2, 64}, 128), "mask": i64([]int64{3, 1}, 3)}, 0, `"mask" has 3 rows, input "pixels" has 2`},
		{"data does not fill shape", spec, map[string]onnx.Tensor{"pixels": f32([]int64{2, 64}, 64), "mask": i64([]int64{2, 1}, 2)}, 0, "64 values for shape [2 64], want 128"},
		{"zero dim", spec, map[string]onnx.Tensor{"pixels": f32([]int64{0, 64}, 0), "mask": i64([]int64{0, 1}, 0)}, 0, "the task wants"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := CheckInputs(tc.spec, tc.in)
			if tc.wantErr == "" {
				if err != nil || rows != tc.wantRows {
					t.Fatalf("CheckInputs = %d, %v; want %d, nil", rows, err, tc.wantRows)
				}
				return
			}
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("CheckInputs error = %v, want ErrBadRequest containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestEncodeOutputs(t *testing.T) {
	outputs := map[string]onnx.Tensor{
		"probs": onnx.NewFloat32Tensor([]int64{2, 2}, []float32{0.25, 0.75, 1, 0}),
		"label": onnx.NewInt64Tensor([]int64{2}, []int64{1, 0}),
	}
	probs := ResponseOutput{Name: "probs", Shape: []int64{2, 2}, Datatype: "FP32", Data: []float32{0.25, 0.75, 1, 0}}
	label := ResponseOutput{Name: "label", Shape: []int64{2}, Datatype: "INT64", Data: []int64{1, 0}}
	tests := []struct {
		name      string
		outputs   map[string]onnx.Tensor
		requested []RequestOutput
		want      []ResponseOutput
		wantErr   error
		wantMsg   string
	}{
		{name: "all, sorted by name", outputs: outputs, want: []ResponseOutput{label, probs}},
		{name: "requested order", outputs: outputs, requested: []RequestOutput{{Name: "probs"}, {Name: "label"}}, want: []ResponseOutput{probs, label}},
		{name: "one requested", outputs: outputs, requested: []RequestOutput{{Name: "label"}}, want: []ResponseOutput{label}},
		{name: "none", outputs: map[string]onnx.Tensor{}, want: []ResponseOutput{}},
		{name: "unknown requested", outputs: outputs, requested: []RequestOutput{{Name: "logits"}}, wantErr: ErrBadRequest, wantMsg: `unknown output "logits"`},
		{name: "requested twice", outputs: outputs, requested: []RequestOutput{{Name: "label"}, {Name: "label"}}, wantErr: ErrBadRequest, wantMsg: "requested twice"},
		{name: "NaN", outputs: map[string]onnx.Tensor{"y": onnx.NewFloat32Tensor([]int64{2}, []float32{1, float32(math.NaN())})}, wantErr: ErrBadOutput, wantMsg: "value 1 is NaN"},
		{name: "infinity", outputs: map[string]onnx.Tensor{"y": onnx.NewFloat32Tensor([]int64{1}, []float32{float32(math.Inf(-1))})}, wantErr: ErrBadOutput, wantMsg: "-Inf"},
		{name: "unsupported dtype", outputs: map[string]onnx.Tensor{"y": {DType: "string", Shape: []int64{1}}}, wantErr: ErrBadOutput, wantMsg: `unsupported dtype "string"`},
		{name: "short data", outputs: map[string]onnx.Tensor{"y": onnx.NewInt64Tensor([]int64{3}, []int64{1})}, wantErr: ErrBadOutput, wantMsg: "1 values for shape [3]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EncodeOutputs(tc.outputs, tc.requested)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("EncodeOutputs error = %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("EncodeOutputs: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EncodeOutputs = %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestEncodeOutputsJSON checks the wire form: flat data, empty tensors as
// [] rather than null, float32 values printed at float32 precision.
func TestEncodeOutputsJSON(t *testing.T) {
	got, err := EncodeOutputs(map[string]onnx.Tensor{
		"a": onnx.NewFloat32Tensor([]int64{1, 2}, []float32{0.1, 2}),
		"b": {DType: onnx.Int64, Shape: []int64{0}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(InferResponse{ModelName: "digits", Outputs: got})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model_name":"digits","outputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[0.1,2]},{"name":"b","shape":[0],"datatype":"INT64","data":[]}]}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}

// TestDecodeEncodeRoundTrip decodes a request and encodes its tensors back:
// the values survive exactly.
func TestDecodeEncodeRoundTrip(t *testing.T) {
	body := `{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[0.1,-2.5],[3.4028235e38,1e-45]]},{"name":"n","shape":[1],"datatype":"INT64","data":[-42]}]}`
	_, tensors, err := DecodeInferRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	outs, err := EncodeOutputs(tensors, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(outs)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"n","shape":[1],"datatype":"INT64","data":[-42]},{"name":"x","shape":[2,2],"datatype":"FP32","data":[0.1,-2.5,3.4028235e+38,1e-45]}]`
	if string(b) != want {
		t.Errorf("round trip = %s\nwant         %s", b, want)
	}
}

func TestDatatypeDType(t *testing.T) {
	for _, d := range []onnx.DType{onnx.Float32, onnx.Int64} {
		back, err := DType(Datatype(d))
		if err != nil || back != d {
			t.Errorf("DType(Datatype(%q)) = %q, %v", d, back, err)
		}
	}
	if got := Datatype("bfloat16"); got != "" {
		t.Errorf("Datatype(bfloat16) = %q, want empty", got)
	}
	for _, name := range []string{"", "FP16", "fp32", "BYTES", "x"} {
		if _, err := DType(name); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "supported: FP32, INT64") {
			t.Errorf("DType(%q) error = %v", name, err)
		}
	}
}

func TestMetadata(t *testing.T) {
	spec := subnettypes.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []subnettypes.TensorSpec{{Name: "pixels", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []subnettypes.TensorSpec{{Name: "probs", Dtype: "float32", Shape: []int64{-1, 10}}, {Name: "label", Dtype: "int64", Shape: []int64{-1}}},
		Scoring: "accuracy",
	}
	got := Metadata("digits", spec)
	want := ModelMetadata{
		Name:       "digits",
		Platform:   "tensorcosm-subnet",
		Inputs:     []TensorMetadata{{Name: "pixels", Datatype: "FP32", Shape: []int64{-1, 64}}},
		Outputs:    []TensorMetadata{{Name: "probs", Datatype: "FP32", Shape: []int64{-1, 10}}, {Name: "label", Datatype: "INT64", Shape: []int64{-1}}},
		Parameters: Parameters{"task_kind": "digits-classification", "scoring": "accuracy"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Metadata = %#v\nwant %#v", got, want)
	}
	spec.Inputs[0].Shape[1] = 8
	if got.Inputs[0].Shape[1] != 64 {
		t.Error("Metadata shares shape slices with the spec")
	}
	empty, err := json.Marshal(Metadata("x", subnettypes.TaskSpec{}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"x","platform":"tensorcosm-subnet","inputs":[],"outputs":[]}`; string(empty) != want {
		t.Errorf("empty metadata JSON = %s, want %s", empty, want)
	}
}
