package miner

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/onnx"
)

// SessionModel serves a onnx.Session as an axon.Model, and its file for
// ModelDownload.
type SessionModel struct {
	session *onnx.Session
	path    string
	info    axon.ModelInfo
}

var (
	_ axon.Model       = (*SessionModel)(nil)
	_ axon.ModelOpener = (*SessionModel)(nil)
)

// NewSessionModel wraps s, loaded from path, for a subnet of the given task kind.
func NewSessionModel(s *onnx.Session, path, taskKind string) (*SessionModel, error) {
	sum, err := hex.DecodeString(s.SHA256())
	if err != nil || len(sum) != 32 {
		return nil, fmt.Errorf("session sha256 %q is not 32 hex bytes", s.SHA256())
	}
	info := axon.ModelInfo{Size: uint64(s.Size()), TaskKind: taskKind}
	copy(info.SHA256[:], sum)
	if info.Inputs, err = tensorSpecs(s.Inputs()); err != nil {
		return nil, err
	}
	if info.Outputs, err = tensorSpecs(s.Outputs()); err != nil {
		return nil, err
	}
	return &SessionModel{session: s, path: path, info: info}, nil
}

func tensorSpecs(infos []onnx.TensorInfo) ([]*axonpb.TensorSpec, error) {
	specs := make([]*axonpb.TensorSpec, len(infos))
	for i, ti := range infos {
		dt, err := axonDType(ti.DType)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", ti.Name, err)
		}
		specs[i] = &axonpb.TensorSpec{Name: ti.Name, Dtype: dt, Shape: append([]int64(nil), ti.Shape...)}
	}
	return specs, nil
}

func axonDType(d onnx.DType) (axonpb.DataType, error) {
	switch d {
	case onnx.Float32:
		return axonpb.DataType_DATA_TYPE_FLOAT32, nil
	case onnx.Int64:
		return axonpb.DataType_DATA_TYPE_INT64, nil
	}
	return axonpb.DataType_DATA_TYPE_UNSPECIFIED, fmt.Errorf("dtype %q has no axon encoding", d)
}

// Info describes the served model.
func (m *SessionModel) Info() axon.ModelInfo { return m.info }

// Run converts the inputs, runs the session and returns the outputs in the
// model's output order. Inputs the session refuses wrap axon.ErrInvalidInput.
func (m *SessionModel) Run(ctx context.Context, inputs []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := make(map[string]onnx.Tensor, len(inputs))
	for _, t := range inputs {
		mt, err := toModelTensor(t)
		if err != nil {
			return nil, fmt.Errorf("%w: input %q: %v", axon.ErrInvalidInput, t.GetName(), err)
		}
		in[t.GetName()] = mt
	}
	out, err := m.session.Run(in)
	if errors.Is(err, onnx.ErrInvalidInput) {
		return nil, fmt.Errorf("%w: %v", axon.ErrInvalidInput, err)
	}
	if err != nil {
		return nil, err
	}
	res := make([]*axonpb.Tensor, len(m.info.Outputs))
	for i, spec := range m.info.Outputs {
		t, ok := out[spec.Name]
		if !ok {
			return nil, fmt.Errorf("model returned no output %q", spec.Name)
		}
		if res[i], err = toAxonTensor(spec.Name, t); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// OpenModel opens the model file for ModelDownload; the axon checks that it
// still hashes to the served SHA-256.
func (m *SessionModel) OpenModel() (io.ReadCloser, error) { return os.Open(m.path) }

func toModelTensor(t *axonpb.Tensor) (onnx.Tensor, error) {
	shape := append([]int64(nil), t.GetShape()...)
	switch t.GetDtype() {
	case axonpb.DataType_DATA_TYPE_FLOAT32:
		v, err := t.Float32s()
		return onnx.NewFloat32Tensor(shape, v), err
	case axonpb.DataType_DATA_TYPE_INT64:
		v, err := t.Int64s()
		return onnx.NewInt64Tensor(shape, v), err
	}
	return onnx.Tensor{}, fmt.Errorf("unsupported dtype %s", t.GetDtype())
}

func toAxonTensor(name string, t onnx.Tensor) (*axonpb.Tensor, error) {
	switch t.DType {
	case onnx.Float32:
		return axon.Float32Tensor(name, t.Shape, t.Float32), nil
	case onnx.Int64:
		return axon.Int64Tensor(name, t.Shape, t.Int64), nil
	}
	return nil, fmt.Errorf("output %q has unsupported dtype %q", name, t.DType)
}
