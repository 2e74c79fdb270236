package miner_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func loadSession(t *testing.T, path string) *onnx.Session {
	t.Helper()
	s, err := onnx.LoadSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSessionModelInfo(t *testing.T) {
	path, _ := trainModel(t)
	sm, err := miner.NewSessionModel(loadSession(t, path), path, "digits-classification")
	if err != nil {
		t.Fatal(err)
	}
	sum, size, err := onnx.Hash(path)
	if err != nil {
		t.Fatal(err)
	}
	info := sm.Info()
	if hex.EncodeToString(info.SHA256[:]) != sum || int64(info.Size) != size || info.TaskKind != "digits-classification" {
		t.Fatalf("info = %x %d %q, want %s %d", info.SHA256, info.Size, info.TaskKind, sum, size)
	}
	in, out := info.Inputs[0], info.Outputs[0]
	if len(info.Inputs) != 1 || in.Name != "input" || in.Dtype != axonpb.DataType_DATA_TYPE_FLOAT32 || !equalShape(in.Shape, []int64{-1, 64}) {
		t.Errorf("inputs = %v", info.Inputs)
	}
	if len(info.Outputs) != 1 || out.Name != "probabilities" || out.Dtype != axonpb.DataType_DATA_TYPE_FLOAT32 || !equalShape(out.Shape, []int64{-1, 10}) {
		t.Errorf("outputs = %v", info.Outputs)
	}
	rc, err := sm.OpenModel()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Error("OpenModel does not return the model file")
	}
}

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSessionModelRun(t *testing.T) {
	path, held := trainModel(t)
	s := loadSession(t, path)
	sm, err := miner.NewSessionModel(s, path, "digits-classification")
	if err != nil {
		t.Fatal(err)
	}
	rows := held.Features[:3*digits.NumFeatures]
	out, err := sm.Run(context.Background(), []*axonpb.Tensor{axon.Float32Tensor("input", []int64{3, 64}, rows)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Run(map[string]onnx.Tensor{"input": onnx.NewFloat32Tensor([]int64{3, 64}, rows)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Name != "probabilities" || !equalShape(out[0].Shape, []int64{3, 10}) {
		t.Fatalf("outputs = %v", out)
	}
	got, err := out[0].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range want["probabilities"].Float32 {
		if got[i] != v {
			t.Fatalf("probability %d = %v, the session says %v", i, got[i], v)
		}
	}
}

func TestSessionModelRunErrors(t *testing.T) {
	path, _ := trainModel(t)
	sm, err := miner.NewSessionModel(loadSession(t, path), path, "digits-classification")
	if err != nil {
		t.Fatal(err)
	}
	ok := make([]float32, 64)
	short := axon.Float32Tensor("input", []int64{1, 64}, ok[:10])
	tests := []struct {
		name string
		in   []*axonpb.Tensor
	}{
		{"wrong width", []*axonpb.Tensor{axon.Float32Tensor("input", []int64{1, 63}, ok[:63])}},
		{"unknown name", []*axonpb.Tensor{axon.Float32Tensor("pixels", []int64{1, 64}, ok)}},
		{"wrong dtype", []*axonpb.Tensor{axon.Int64Tensor("input", []int64{1, 64}, make([]int64, 64))}},
		{"data shorter than the shape", []*axonpb.Tensor{short}},
		{"no inputs", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sm.Run(context.Background(), tc.in)
			if !errors.Is(err, axon.ErrInvalidInput) {
				t.Fatalf("err = %v, want axon.ErrInvalidInput", err)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := sm.Run(ctx, []*axonpb.Tensor{axon.Float32Tensor("input", []int64{1, 64}, ok)}); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestCheckTask(t *testing.T) {
	digits := subnettypes.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []subnettypes.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []subnettypes.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
	}
	in := func(shape ...int64) []onnx.TensorInfo {
		return []onnx.TensorInfo{{Name: "input", DType: onnx.Float32, Shape: shape}}
	}
	out := []onnx.TensorInfo{{Name: "probabilities", DType: onnx.Float32, Shape: []int64{-1, 10}}}
	tests := []struct {
		name    string
		ins     []onnx.TensorInfo
		outs    []onnx.TensorInfo
		wantErr string
	}{
		{name: "exact", ins: in(-1, 64), outs: out},
		{name: "dynamic where the task is fixed", ins: in(-1, -1), outs: out},
		{name: "fixed batch", ins: in(1, 64), outs: out, wantErr: "input 0: the task wants input float32 [-1 64], the model has input float32 [1, 64]"},
		{name: "wrong width", ins: in(-1, 63), outs: out, wantErr: "[?, 63]"},
		{name: "wrong rank", ins: in(-1, 8, 8), outs: out, wantErr: "input 0"},
		{name: "wrong output classes", ins: in(-1, 64), outs: []onnx.TensorInfo{{Name: "probabilities", DType: onnx.Float32, Shape: []int64{-1, 3}}}, wantErr: "output 0"},
		{name: "wrong name", ins: []onnx.TensorInfo{{Name: "x", DType: onnx.Float32, Shape: []int64{-1, 64}}}, outs: out, wantErr: "has x float32"},
		{name: "wrong dtype", ins: []onnx.TensorInfo{{Name: "input", DType: onnx.Int64, Shape: []int64{-1, 64}}}, outs: out, wantErr: "input int64"},
		{name: "extra output", ins: in(-1, 64), outs: append(out, out[0]), wantErr: "the task has 1 outputs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := miner.CheckTask(digits, tc.ins, tc.outs)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, miner.ErrTaskMismatch) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrTaskMismatch containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestNewOnCUDA asks for the CUDA provider. The CPU build of ONNX Runtime
// that the tests load cannot provide it, so New must fail cleanly with
// ErrDeviceUnavailable; where a CUDA build and a GPU work, the model must
// load on CUDA.
func TestNewOnCUDA(t *testing.T) {
	path, _ := trainModel(t)
	dir := t.TempDir()
	newKeyring(t, dir, "hot")
	cfg := validConfig()
	cfg.Keyring.Dir, cfg.Model.Path, cfg.Model.Device = dir, path, "cuda"
	cfg.Keyring.Backend, cfg.Dev, cfg.StateDir = "test", true, t.TempDir()
	m, err := miner.New(cfg, testLogger(t), nil)
	if err == nil {
		t.Logf("CUDA works here: miner %s loaded the model on the GPU", m.Hotkey())
		return
	}
	if !errors.Is(err, onnx.ErrDeviceUnavailable) || !strings.Contains(err.Error(), "miner: model:") {
		t.Fatalf("err = %v, want onnx.ErrDeviceUnavailable", err)
	}
	t.Logf("clean error: %v", err)
}
