package task_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func TestLatencyFactor(t *testing.T) {
	for _, tc := range []struct {
		latency, timeout time.Duration
		want             float64
	}{
		{0, time.Second, 1},
		{500 * time.Millisecond, time.Second, 0.95},
		{time.Second, time.Second, 0.9},
		{3 * time.Second, time.Second, 0.9},
		{-time.Second, time.Second, 1},
		{time.Millisecond, 0, 0.9},
	} {
		if got := task.LatencyFactor(tc.latency, tc.timeout); got < tc.want-1e-12 || got > tc.want+1e-12 {
			t.Errorf("LatencyFactor(%s, %s) = %v, want %v", tc.latency, tc.timeout, got, tc.want)
		}
	}
	if got := task.Mean([]float64{1, 0, 1, 0.5}); got != 0.625 || task.Mean(nil) != 0 {
		t.Errorf("Mean = %v", got)
	}
}

func TestRows(t *testing.T) {
	ts := task.Tensors{
		"x":   onnx.NewFloat32Tensor([]int64{3, 2}, []float32{0, 1, 10, 11, 20, 21}),
		"ids": onnx.NewInt64Tensor([]int64{3}, []int64{7, 8, 9}),
	}
	got, err := task.Rows(ts, []int{2, 0})
	if err != nil {
		t.Fatal(err)
	}
	if x := got["x"]; !slices.Equal(x.Shape, []int64{2, 2}) || !slices.Equal(x.Float32, []float32{20, 21, 0, 1}) {
		t.Errorf("x rows: %v %v", x.Shape, x.Float32)
	}
	if ids := got["ids"]; !slices.Equal(ids.Shape, []int64{2}) || !slices.Equal(ids.Int64, []int64{9, 7}) {
		t.Errorf("ids rows: %v %v", ids.Shape, ids.Int64)
	}
	got["x"].Float32[0] = -1
	if ts["x"].Float32[4] != 20 {
		t.Error("Rows aliases its input")
	}
	if _, err := task.Rows(ts, []int{3}); err == nil {
		t.Error("row 3 of 3 accepted")
	}
}

func TestCheckOutputs(t *testing.T) {
	spec := subnettypes.TaskSpec{Outputs: []subnettypes.TensorSpec{{Name: "p", Dtype: "float32", Shape: []int64{-1, 2}}}}
	for _, tc := range []struct {
		name    string
		outputs task.Tensors
		wantErr string
	}{
		{"fits", task.Tensors{"p": onnx.NewFloat32Tensor([]int64{2, 2}, make([]float32, 4)), "extra": {}}, ""},
		{"missing", task.Tensors{}, `no output "p"`},
		{"rows", task.Tensors{"p": onnx.NewFloat32Tensor([]int64{1, 2}, make([]float32, 2))}, "1 rows, want 2"},
		{"width", task.Tensors{"p": onnx.NewFloat32Tensor([]int64{2, 3}, make([]float32, 6))}, "does not fit"},
		{"data", task.Tensors{"p": onnx.NewFloat32Tensor([]int64{2, 2}, make([]float32, 3))}, "3 values"},
		{"dtype", task.Tensors{"p": onnx.NewInt64Tensor([]int64{2, 2}, make([]int64, 4))}, "dtype"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := task.CheckOutputs(spec, tc.outputs, 2)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, task.ErrBadOutput) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want ErrBadOutput naming %q", err, tc.wantErr)
			}
		})
	}
}
