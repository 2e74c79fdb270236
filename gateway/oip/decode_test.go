package oip

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
)

func TestDecodeInferRequestGood(t *testing.T) {
	tests := []struct {
		name string
		body string
		want map[string]onnx.Tensor
		id   string
		outs []string
	}{
		{
			name: "flat fp32",
			body: `{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2.5,-3e2,0]}]}`,
			want: map[string]onnx.Tensor{"x": onnx.NewFloat32Tensor([]int64{2, 2}, []float32{1, 2.5, -300, 0})},
		},
		{
			name: "nested fp32",
			body: `{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]}]}`,
			want: map[string]onnx.Tensor{"x": onnx.NewFloat32Tensor([]int64{2, 3}, []float32{1, 2, 3, 4, 5, 6})},
		},
		{
			name: "nested rank 3 with whitespace",
			body: "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2,2],\"datatype\":\"INT64\",\"data\":\n[ [ [1 , 2] ,\t[3,4] ] ] }]}",
			want: map[string]onnx.Tensor{"x": onnx.NewInt64Tensor([]int64{1, 2, 2}, []int64{1, 2, 3, 4})},
		},
		{
			name: "int64 extremes",
			body: `{"inputs":[{"name":"ids","shape":[3],"datatype":"INT64","data":[9223372036854775807,-9223372036854775808,-0]}]}`,
			want: map[string]onnx.Tensor{"ids": onnx.NewInt64Tensor([]int64{3}, []int64{9223372036854775807, -9223372036854775808, 0})},
		},
		{
			name: "scalar",
			body: `{"inputs":[{"name":"s","shape":[],"datatype":"FP32","data":[7]}]}`,
			want: map[string]onnx.Tensor{"s": onnx.NewFloat32Tensor([]int64{}, []float32{7})},
		},
		{
			name: "two inputs, id, parameters and outputs",
			body: `{"id":"r1","parameters":{"priority":1},"inputs":[` +
				`{"name":"a","shape":[1,2],"datatype":"FP32","parameters":{"x":"y"},"data":[0.5,1]},` +
				`{"name":"b","shape":[1],"datatype":"INT64","data":[3]}],` +
				`"outputs":[{"name":"probs"},{"name":"label","parameters":{"binary_data":false}}]}`,
			want: map[string]onnx.Tensor{
				"a": onnx.NewFloat32Tensor([]int64{1, 2}, []float32{0.5, 1}),
				"b": onnx.NewInt64Tensor([]int64{1}, []int64{3}),
			},
			id:   "r1",
			outs: []string{"probs", "label"},
		},
		{
			name: "escaped key, parameters with any keys",
			body: `{"\u0069nputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":{"INPUTS":1,"name":{"Data":[{"a":"]}"}]}}}],"parameters":{"inputs":"x","id":{}}}`,
			want: map[string]onnx.Tensor{"x": onnx.NewFloat32Tensor([]int64{1}, []float32{1})},
		},
		{
			name: "tiny float underflows to zero",
			body: `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1e-60]}]}`,
			want: map[string]onnx.Tensor{"x": onnx.NewFloat32Tensor([]int64{1}, []float32{0})},
		},
		{
			name: "trailing whitespace",
			body: "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}\n\t ",
			want: map[string]onnx.Tensor{"x": onnx.NewFloat32Tensor([]int64{1}, []float32{1})},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, got, err := DecodeInferRequest([]byte(tc.body))
			if err != nil {
				t.Fatalf("DecodeInferRequest: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("tensors = %#v, want %#v", got, tc.want)
			}
			if req.ID != tc.id {
				t.Errorf("id = %q, want %q", req.ID, tc.id)
			}
			var outs []string
			for _, o := range req.Outputs {
				outs = append(outs, o.Name)
			}
			if !reflect.DeepEqual(outs, tc.outs) {
				t.Errorf("outputs = %v, want %v", outs, tc.outs)
			}
		})
	}
}

func TestDecodeInferRequestBad(t *testing.T) {
	in := func(fields string) string { return `{"inputs":[{` + fields + `}]}` }
	tests := []struct {
		name, body, wantMsg string
	}{
		{"empty body", ``, "empty body"},
		{"not an object", `[1,2]`, "must be a JSON object"},
		{"malformed JSON", `{"inputs":[`, "invalid JSON"},
		{"unknown top-level field", `{"inputs":[],"model":"x"}`, `unknown field "model"`},
		{"unknown input field", in(`"name":"x","shape":[1],"datatype":"FP32","data":[1],"dims":[1]`), `unknown field "dims"`},
		{"miscased top-level field", `{"INPUTS":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}`, `the request has unknown field "INPUTS"`},
		{"repeated top-level field", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"inputs":[{"name":"y","shape":[1],"datatype":"FP32","data":[1]}]}`, `the request repeats field "inputs"`},
		{"miscased input field", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"Name":"y","shape":[1],"datatype":"FP32","data":[1]}]}`, `input 1 has unknown field "Name"`},
		{"repeated input field", in(`"name":"x","shape":[1],"datatype":"FP32","data":[1],"data":[2]`), `input 0 repeats field "data"`},
		{"miscased output field", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"NAME":"y"}]}`, `output 0 has unknown field "NAME"`},
		{"trailing data", in(`"name":"x","shape":[1],"datatype":"FP32","data":[1]`) + `{}`, "data after the request object"},
		{"trailing garbage", in(`"name":"x","shape":[1],"datatype":"FP32","data":[1]`) + `x`, "invalid JSON"},
		{"no inputs", `{"inputs":[]}`, "no inputs"},
		{"inputs missing", `{"id":"a"}`, "no inputs"},
		{"wrong field type", `{"inputs":{}}`, `field "inputs" cannot hold a JSON object`},
		{"no name", in(`"shape":[1],"datatype":"FP32","data":[1]`), "input 0 has no name"},
		{"duplicate name", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"x","shape":[1],"datatype":"FP32","data":[2]}]}`, `input "x" appears twice`},
		{"unsupported datatype", in(`"name":"x","shape":[1],"datatype":"FP16","data":[1]`), "datatype FP16 is not supported (supported: FP32, INT64)"},
		{"unknown datatype", in(`"name":"x","shape":[1],"datatype":"float32","data":[1]`), `unknown datatype "float32" (supported: FP32, INT64)`},
		{"missing datatype", in(`"name":"x","shape":[1],"data":[1]`), "datatype is missing"},
		{"missing shape", in(`"name":"x","datatype":"FP32","data":[1]`), "has no shape"},
		{"zero dimension", in(`"name":"x","shape":[2,0],"datatype":"FP32","data":[]`), "dimension 1 is 0"},
		{"negative dimension", in(`"name":"x","shape":[-1],"datatype":"FP32","data":[1]`), "dimension 0 is -1"},
		{"huge shape", in(`"name":"x","shape":[100000,100000],"datatype":"FP32","data":[1]`), "more than"},
		{"rank too high", in(`"name":"x","shape":[` + strings.Repeat("1,", MaxRank) + `1],"datatype":"FP32","data":[1]`), "rank 33"},
		{"missing data", in(`"name":"x","shape":[1],"datatype":"FP32"`), "has no data"},
		{"null data", in(`"name":"x","shape":[1],"datatype":"FP32","data":null`), "has no data"},
		{"data not array", in(`"name":"x","shape":[1],"datatype":"FP32","data":1`), "must be an array"},
		{"too few values", in(`"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3]`), "3 values for shape [2 2], want 4"},
		{"too many values", in(`"name":"x","shape":[2],"datatype":"INT64","data":[1,2,3]`), "3 values for shape [2], want 2"},
		{"nested row too short", in(`"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3]]`), "level 1 has 1 entries"},
		{"nested too few rows", in(`"name":"x","shape":[3,2],"datatype":"FP32","data":[[1,2],[3,4]]`), "level 0 has 2 entries"},
		{"nested deeper than rank", in(`"name":"x","shape":[1,1],"datatype":"FP32","data":[[[1]]]`), "deeper than the shape's rank 2"},
		{"nested shallower than rank", in(`"name":"x","shape":[1,1,2],"datatype":"FP32","data":[[1,2]]`), "holds a number where"},
		{"nested for a scalar", in(`"name":"x","shape":[],"datatype":"FP32","data":[[1]]`), "deeper than the shape's rank 0"},
		{"mixed flat", in(`"name":"x","shape":[2],"datatype":"FP32","data":[1,[2]]`), "mixes numbers and arrays"},
		{"mixed nested", in(`"name":"x","shape":[2,1],"datatype":"FP32","data":[[1],2]`), "holds a number where"},
		{"string value", in(`"name":"x","shape":[1],"datatype":"FP32","data":["1"]`), "not a number"},
		{"bool value", in(`"name":"x","shape":[1],"datatype":"INT64","data":[true]`), "not a number"},
		{"null value", in(`"name":"x","shape":[1],"datatype":"FP32","data":[null]`), "not a number"},
		{"float for int64", in(`"name":"x","shape":[1],"datatype":"INT64","data":[1.5]`), "not an int64 integer"},
		{"exponent for int64", in(`"name":"x","shape":[1],"datatype":"INT64","data":[1e3]`), "not an int64 integer"},
		{"int64 overflow", in(`"name":"x","shape":[1],"datatype":"INT64","data":[9223372036854775808]`), "not an int64 integer"},
		{"float32 overflow", in(`"name":"x","shape":[1],"datatype":"FP32","data":[1e39]`), "not a float32 number"},
		{"output without name", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{}]}`, "requested output 0 has no name"},
		{"output twice", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"y"},{"name":"y"}]}`, `output "y" is requested twice`},
		{"unknown output field", `{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"y","binary":true}]}`, `unknown field "binary"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, tensors, err := DecodeInferRequest([]byte(tc.body))
			if err == nil {
				t.Fatalf("DecodeInferRequest accepted %s", tc.body)
			}
			if !errors.Is(err, ErrBadRequest) {
				t.Errorf("error %v does not wrap ErrBadRequest", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			if req != nil || tensors != nil {
				t.Errorf("got values with an error: %v %v", req, tensors)
			}
		})
	}
}

// TestDecodeBoundsAllocation checks that a huge claimed shape with a tiny
// body does not make the decoder reserve the claimed size (1 GiB here).
func TestDecodeBoundsAllocation(t *testing.T) {
	body := []byte(`{"inputs":[{"name":"x","shape":[16384,16384],"datatype":"FP32","data":[1]}]}`)
	before := allocatedBytes()
	_, _, err := DecodeInferRequest(body)
	grew := allocatedBytes() - before
	if !errors.Is(err, ErrBadRequest) {
		t.Fatalf("err = %v, want ErrBadRequest", err)
	}
	if grew > 1<<20 {
		t.Errorf("decoding a %d-byte body allocated %d bytes", len(body), grew)
	}
}
