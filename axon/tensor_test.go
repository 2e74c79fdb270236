package axon

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/onnx"
)

func TestTensorRoundTrip(t *testing.T) {
	f := []float32{0, -1.5, float32(math.Inf(1)), math.SmallestNonzeroFloat32, 3e38, -0}
	ft := Float32Tensor("f", []int64{2, 3}, f)
	gotF, err := ft.Float32s()
	if err != nil || !slices.Equal(gotF, f) {
		t.Fatalf("Float32s = %v, %v; want %v", gotF, err, f)
	}
	i := []int64{math.MinInt64, -1, 0, 1, math.MaxInt64}
	it := Int64Tensor("i", []int64{5}, i)
	gotI, err := it.Int64s()
	if err != nil || !slices.Equal(gotI, i) {
		t.Fatalf("Int64s = %v, %v; want %v", gotI, err, i)
	}
	// little-endian, as the proto documents
	if b := Float32Tensor("one", []int64{1}, []float32{1}).Data; !slices.Equal(b, []byte{0, 0, 0x80, 0x3f}) {
		t.Fatalf("float32 1 encodes as %x", b)
	}
}

func TestTensorDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		tensor *axonpb.Tensor
		int64s bool
	}{
		{"data too short", &axonpb.Tensor{Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{2}, Data: make([]byte, 7)}, false},
		{"data too long", &axonpb.Tensor{Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{2}, Data: make([]byte, 9)}, false},
		{"wrong dtype for Float32s", Int64Tensor("i", []int64{1}, []int64{1}), false},
		{"wrong dtype for Int64s", Float32Tensor("f", []int64{2}, []float32{1, 2}), true},
		{"unspecified dtype", &axonpb.Tensor{Shape: []int64{1}, Data: make([]byte, 4)}, false},
		{"negative dimension", &axonpb.Tensor{Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{-1}}, false},
		{"overflowing shape", &axonpb.Tensor{Dtype: axonpb.DataType_DATA_TYPE_INT64, Shape: []int64{math.MaxInt64 / 2, 3}}, true},
		{"overflowing byte size", &axonpb.Tensor{Dtype: axonpb.DataType_DATA_TYPE_INT64, Shape: []int64{math.MaxInt64 / 4}}, true},
		{"rank above MaxRank", &axonpb.Tensor{Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: make([]int64, axonpb.MaxRank+1)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.int64s {
				_, err = tc.tensor.Int64s()
			} else {
				_, err = tc.tensor.Float32s()
			}
			if !errors.Is(err, axonpb.ErrMalformedTensor) {
				t.Fatalf("error = %v, want ErrMalformedTensor", err)
			}
		})
	}
}

func TestMatchSpecs(t *testing.T) {
	specs := []*axonpb.TensorSpec{
		{Name: "input", Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{-1, 4}},
		{Name: "mask", Dtype: axonpb.DataType_DATA_TYPE_INT64, Shape: []int64{2}},
	}
	in := func(shape []int64, n int) *axonpb.Tensor { return Float32Tensor("input", shape, make([]float32, n)) }
	mask := Int64Tensor("mask", []int64{2}, []int64{1, 0})
	tests := []struct {
		name    string
		tensors []*axonpb.Tensor
		wantErr bool
	}{
		{"spec order", []*axonpb.Tensor{in([]int64{3, 4}, 12), mask}, false},
		{"other order is reordered", []*axonpb.Tensor{mask, in([]int64{1, 4}, 4)}, false},
		{"missing input", []*axonpb.Tensor{in([]int64{1, 4}, 4)}, true},
		{"extra input", []*axonpb.Tensor{in([]int64{1, 4}, 4), mask, mask}, true},
		{"duplicate name", []*axonpb.Tensor{mask, mask}, true},
		{"unknown name", []*axonpb.Tensor{Float32Tensor("other", []int64{1, 4}, make([]float32, 4)), mask}, true},
		{"wrong dtype", []*axonpb.Tensor{Int64Tensor("input", []int64{1, 4}, make([]int64, 4)), mask}, true},
		{"wrong rank", []*axonpb.Tensor{in([]int64{4}, 4), mask}, true},
		{"fixed dimension differs", []*axonpb.Tensor{in([]int64{1, 5}, 5), mask}, true},
		{"dynamic dimension zero", []*axonpb.Tensor{in([]int64{0, 4}, 0), mask}, true},
		{"data length differs", []*axonpb.Tensor{in([]int64{2, 4}, 4), mask}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := matchSpecs(specs, tc.tensors)
			if tc.wantErr {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("error = %v, want errMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Name != "input" || got[1].Name != "mask" {
				t.Fatalf("tensors not in spec order: %s, %s", got[0].Name, got[1].Name)
			}
		})
	}
}

func TestCheckLimits(t *testing.T) {
	l := limits{maxTensors: 2, maxElements: 100}
	f := func(shape ...int64) *axonpb.Tensor { return &axonpb.Tensor{Shape: shape} }
	tests := []struct {
		name    string
		tensors []*axonpb.Tensor
		want    error
	}{
		{"at the limits", []*axonpb.Tensor{f(10, 5), f(50)}, nil},
		{"too many tensors", []*axonpb.Tensor{f(1), f(1), f(1)}, errTooLarge},
		{"too many elements in one", []*axonpb.Tensor{f(101)}, errTooLarge},
		{"too many elements together", []*axonpb.Tensor{f(60), f(41)}, errTooLarge},
		{"huge shape that would overflow", []*axonpb.Tensor{f(math.MaxInt64, 2)}, errMalformed},
		{"negative dimension", []*axonpb.Tensor{f(-5)}, errMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := l.checkLimits(tc.tensors)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("checkLimits = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestONNXConversion: FromONNX keeps the names' order and leaves out
// missing names; ToONNX gives the same tensors back and drops one whose
// data does not fit its shape.
func TestONNXConversion(t *testing.T) {
	in := map[string]onnx.Tensor{
		"b": onnx.NewInt64Tensor([]int64{2}, []int64{7, -7}),
		"a": onnx.NewFloat32Tensor([]int64{1, 2}, []float32{0.5, -1}),
	}
	ax := FromONNX([]string{"a", "missing", "b"}, in)
	if len(ax) != 2 || ax[0].GetName() != "a" || ax[1].GetName() != "b" ||
		ax[0].GetDtype() != axonpb.DataType_DATA_TYPE_FLOAT32 || ax[1].GetDtype() != axonpb.DataType_DATA_TYPE_INT64 {
		t.Fatalf("FromONNX = %v", ax)
	}
	back := ToONNX(ax)
	if len(back) != 2 || !slices.Equal(back["a"].Float32, in["a"].Float32) || !slices.Equal(back["a"].Shape, in["a"].Shape) ||
		!slices.Equal(back["b"].Int64, in["b"].Int64) || back["b"].DType != onnx.Int64 {
		t.Fatalf("ToONNX(FromONNX) = %v, want %v", back, in)
	}
	short := Float32Tensor("short", []int64{3}, []float32{1})
	if got := ToONNX([]*axonpb.Tensor{short}); len(got) != 0 {
		t.Fatalf("a tensor with 1 value for shape [3] was kept: %v", got)
	}
}
