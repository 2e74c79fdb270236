package textline

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/internal/onnxpb"
	"github.com/tensorcosm/tensorcosm/task"
)

// The untrained baseline's shape. One convolution reads each 48x8 column
// strip of the line (one output step per StepWidth columns, as PP-OCRv4),
// and a linear layer scores the classes.
const (
	baselineFeatures = 32
	// baselineIRVersion and baselineOpset match the digits export: old
	// enough for every ONNX Runtime the miner supports.
	baselineIRVersion = 8
	baselineOpset     = 13
)

var _ task.ModelMaker = Task{}

// InitModel writes an untrained recognizer with the task's signature:
// input InputName float32 [batch, 3, 48, width], output OutputName float32
// [batch, width/8, 6625] (softmax over the classes of the pinned
// dictionary). Its weights are random from seed, so it reads nothing and
// scores near 0; miners start from it or replace it with a real model. The
// same seed always gives the same bytes.
func (Task) InitModel(seed uint64) ([]byte, error) {
	rng := rand.New(rand.NewPCG(seed, 0x7465787431696e65)) //nolint:gosec // G404: reproducible weights, not a secret ("textline")
	d, c := int64(baselineFeatures), int64(referenceClasses)
	convW := randomNormal(rng, int(d*3*Height*StepWidth), 1/math.Sqrt(3*Height*StepWidth))
	fcW := randomNormal(rng, int(d*c), 1/math.Sqrt(float64(d)))
	graph := &onnxpb.GraphProto{
		Name: proto.String("textline_baseline"),
		Node: []*onnxpb.NodeProto{
			node("Conv", "strip_conv", []string{InputName, "conv_w", "conv_b"}, "strips",
				ints("kernel_shape", Height, StepWidth), ints("strides", 1, StepWidth)),
			node("Relu", "relu", []string{"strips"}, "features4d"),
			node("Squeeze", "squeeze_height", []string{"features4d", "height_axis"}, "features_dt"),
			node("Transpose", "to_steps", []string{"features_dt"}, "features", ints("perm", 0, 2, 1)),
			node("MatMul", "fc_matmul", []string{"features", "fc_w"}, "fc_mm"),
			node("Add", "fc_add", []string{"fc_mm", "fc_b"}, "logits"),
			node("Softmax", "softmax", []string{"logits"}, OutputName, intAttr("axis", -1)),
		},
		Initializer: []*onnxpb.TensorProto{
			floatInitializer("conv_w", []int64{d, 3, Height, StepWidth}, convW),
			floatInitializer("conv_b", []int64{d}, make([]float32, d)),
			{Name: proto.String("height_axis"), Dims: []int64{1}, DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: []int64{2}},
			floatInitializer("fc_w", []int64{d, c}, fcW),
			floatInitializer("fc_b", []int64{c}, make([]float32, c)),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo(InputName, dimParam("batch"), dimValue(3), dimValue(Height), dimParam("width"))},
		Output: []*onnxpb.ValueInfoProto{valueInfo(OutputName, dimParam("batch"), dimParam("steps"), dimValue(c))},
	}
	m := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(baselineIRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(baselineOpset)}},
		ProducerName:    proto.String("tensorcosm"),
		ProducerVersion: proto.String("1"),
		DocString:       proto.String(fmt.Sprintf("untrained textline baseline (seed %d): 48x8 strip conv to %d features, ReLU, linear to %d classes, softmax", seed, d, c)),
		Graph:           graph,
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("textline: marshal baseline: %w", err)
	}
	return b, nil
}

func randomNormal(rng *rand.Rand, n int, std float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64() * std)
	}
	return out
}

func node(op, name string, inputs []string, output string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Name: proto.String(name), Input: inputs, Output: []string{output}, Attribute: attrs}
}

func ints(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

// floatInitializer stores values as little-endian raw_data, as the ONNX
// spec requires for raw_data.
func floatInitializer(name string, dims []int64, values []float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw}
}

func dimParam(name string) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: name}}
}

func dimValue(v int64) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: v}}
}

// valueInfo describes a float32 tensor.
func valueInfo(name string, dims ...*onnxpb.TensorShapeProto_Dimension) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}
