package digits

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/internal/onnxpb"
)

const (
	// IRVersion is the ONNX IR version of exported models. IR 8 (ONNX 1.10)
	// is old enough for every ONNX Runtime the miner supports.
	IRVersion = 8
	// Opset is the ai.onnx operator set version of exported models.
	Opset = 13
	// ProducerName is written into exported models.
	ProducerName = "tensorcosm"
	// ProducerVersion is written into exported models; bump it when the
	// exported graph changes shape, so files from different exporters can be
	// told apart.
	ProducerVersion = "1"
	// BatchDim names the dynamic first dimension of the input and output.
	BatchDim = "batch"
)

// ONNX returns the model as an ONNX graph: MatMul, Add, Relu, MatMul, Add,
// Softmax, with the weights as float32 initializers, input InputName float32
// [batch, NumFeatures] and output OutputName float32 [batch, NumClasses].
func (m *MLP) ONNX() (*onnxpb.ModelProto, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	h := int64(m.Hidden)
	graph := &onnxpb.GraphProto{
		Name: proto.String("digits_mlp"),
		Node: []*onnxpb.NodeProto{
			node("MatMul", "fc1_matmul", []string{InputName, "W1"}, "fc1_mm"),
			node("Add", "fc1_add", []string{"fc1_mm", "B1"}, "fc1"),
			node("Relu", "relu", []string{"fc1"}, "hidden"),
			node("MatMul", "fc2_matmul", []string{"hidden", "W2"}, "fc2_mm"),
			node("Add", "fc2_add", []string{"fc2_mm", "B2"}, "logits"),
			softmaxNode("softmax", "logits", OutputName),
		},
		Initializer: []*onnxpb.TensorProto{
			floatInitializer("W1", []int64{NumFeatures, h}, m.W1),
			floatInitializer("B1", []int64{h}, m.B1),
			floatInitializer("W2", []int64{h, NumClasses}, m.W2),
			floatInitializer("B2", []int64{NumClasses}, m.B2),
		},
		Input:  []*onnxpb.ValueInfoProto{batchValueInfo(InputName, NumFeatures)},
		Output: []*onnxpb.ValueInfoProto{batchValueInfo(OutputName, NumClasses)},
	}
	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String(ProducerName),
		ProducerVersion: proto.String(ProducerVersion),
		DocString:       proto.String(fmt.Sprintf("digits MLP %d-%d-%d, ReLU, softmax", NumFeatures, m.Hidden, NumClasses)),
		Graph:           graph,
	}, nil
}

// MarshalONNX returns the ONNX file bytes. The encoding is deterministic, so
// the same weights always give the same file and the same on-chain hash.
func (m *MLP) MarshalONNX() ([]byte, error) {
	mp, err := m.ONNX()
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("export: marshal ONNX: %w", err)
	}
	return b, nil
}

// WriteONNX writes the model to path as an ONNX file. It writes a temporary
// file next to path and renames it, so a miner serving path never reads a
// half-written model.
func (m *MLP) WriteONNX(path string) error {
	b, err := m.MarshalONNX()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // fails harmlessly once renamed
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("export: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: close %s: %w", tmp.Name(), err)
	}
	// CreateTemp makes the file private; a model is public by design (its
	// hash is on chain and validators may download it).
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { //nolint:gosec // G302: see above
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func node(op, name string, inputs []string, output string) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{
		OpType: proto.String(op),
		Name:   proto.String(name),
		Input:  inputs,
		Output: []string{output},
	}
}

// softmaxNode normalises over the class axis. Opset 13 defaults to the last
// axis already; the attribute is written out so the file says what it means.
func softmaxNode(name, input, output string) *onnxpb.NodeProto {
	n := node("Softmax", name, []string{input}, output)
	n.Attribute = []*onnxpb.AttributeProto{{
		Name: proto.String("axis"),
		Type: onnxpb.AttributeProto_INT.Enum(),
		I:    proto.Int64(-1),
	}}
	return n
}

// floatInitializer stores values as little-endian raw_data, which is what the
// ONNX spec requires for raw_data and what ONNX Runtime reads fastest.
func floatInitializer(name string, dims []int64, values []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnxpb.TensorProto{
		Name:     proto.String(name),
		Dims:     dims,
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
		RawData:  raw,
	}
}

// batchValueInfo describes a float32 [batch, width] tensor.
func batchValueInfo(name string, width int64) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape: &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{
				{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: BatchDim}},
				{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: width}},
			}},
		}}},
	}
}
