package onnx

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/internal/onnxpb"
)

// MaxModelSize bounds the size of an ONNX file that Inspect and LoadSession
// read into memory. Real protobuf-encoded ONNX files cannot exceed 2 GiB.
const MaxModelSize = 2 << 30

// ErrInvalidModel marks a file that is not a usable ONNX model: not protobuf,
// no graph, or rejected by ONNX Runtime. Test for it with errors.Is.
var ErrInvalidModel = errors.New("invalid ONNX model")

// Hash returns the lowercase hex sha256 of the file at path and its size in
// bytes: the model commitment a miner announces on chain.
func Hash(path string) (sum string, size int64, err error) {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return "", 0, fmt.Errorf("hash model: %w", err)
	}
	defer closeQuietly(f)
	h := sha256.New()
	size, err = io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash model %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// HashBytes returns the lowercase hex sha256 of an in-memory model file.
func HashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// OpsetID is one operator set a model imports.
type OpsetID struct {
	// Domain is "" (written "ai.onnx" by tools) for the standard operators.
	Domain string `json:"domain"`
	// Version is the operator set version.
	Version int64 `json:"version"`
}

// ModelInfo describes an ONNX file as read by Inspect.
type ModelInfo struct {
	// SHA256 and Size are the model commitment, as Hash computes them.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// IRVersion is the ONNX IR version the file declares.
	IRVersion int64 `json:"ir_version"`
	// Opsets lists the operator sets the model imports.
	Opsets []OpsetID `json:"opsets"`
	// ProducerName and ProducerVersion name the tool that wrote the file.
	ProducerName    string `json:"producer_name"`
	ProducerVersion string `json:"producer_version"`
	// GraphName is the main graph's name.
	GraphName string `json:"graph_name"`
	// Nodes counts the main graph's nodes (subgraphs not included).
	Nodes int `json:"nodes"`
	// Initializers counts the weight tensors; Parameters sums their elements.
	Initializers int   `json:"initializers"`
	Parameters   int64 `json:"parameters"`
	// Inputs are the graph inputs a caller feeds (initializers excluded).
	Inputs []TensorInfo `json:"inputs"`
	// Outputs are the graph outputs.
	Outputs []TensorInfo `json:"outputs"`
}

// Opset returns the version of the standard ("ai.onnx") operator set, or 0
// when the model does not import it.
func (mi *ModelInfo) Opset() int64 {
	for _, o := range mi.Opsets {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			return o.Version
		}
	}
	return 0
}

// Inspect reads the ONNX file at path with the project's own protobuf types,
// so it works without the ONNX Runtime library.
func Inspect(path string) (*ModelInfo, error) {
	b, err := readModelFile(path)
	if err != nil {
		return nil, err
	}
	mi, err := InspectBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return mi, nil
}

// InspectBytes is Inspect for an in-memory ONNX file.
func InspectBytes(b []byte) (*ModelInfo, error) {
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, fmt.Errorf("%w: not an ONNX protobuf: %v", ErrInvalidModel, err)
	}
	g := mp.GetGraph()
	if g == nil || len(g.GetNode()) == 0 {
		return nil, fmt.Errorf("%w: no graph or an empty graph", ErrInvalidModel)
	}
	mi := &ModelInfo{
		SHA256:          HashBytes(b),
		Size:            int64(len(b)),
		IRVersion:       mp.GetIrVersion(),
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		GraphName:       g.GetName(),
		Nodes:           len(g.GetNode()),
		Initializers:    len(g.GetInitializer()),
	}
	for _, o := range mp.GetOpsetImport() {
		mi.Opsets = append(mi.Opsets, OpsetID{Domain: o.GetDomain(), Version: o.GetVersion()})
	}
	// Before IR 4 initializers had to be listed as graph inputs too; they
	// are weights, not something a caller feeds.
	weights := make(map[string]bool, len(g.GetInitializer()))
	for _, t := range g.GetInitializer() {
		weights[t.GetName()] = true
		mi.Parameters += elementCount(t.GetDims())
	}
	for _, vi := range g.GetInput() {
		if !weights[vi.GetName()] {
			mi.Inputs = append(mi.Inputs, valueInfo(vi))
		}
	}
	for _, vi := range g.GetOutput() {
		mi.Outputs = append(mi.Outputs, valueInfo(vi))
	}
	return mi, nil
}

// readModelFile reads a whole model file, refusing files too large to be
// ONNX protobufs before allocating for them.
func readModelFile(path string) ([]byte, error) {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	defer closeQuietly(f)
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open model: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("model %s is not a regular file", path)
	}
	if st.Size() > MaxModelSize {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d an ONNX protobuf can hold",
			ErrInvalidModel, path, st.Size(), int64(MaxModelSize))
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}
	return b, nil
}

// closeQuietly closes a file that was only read: a read that succeeded is
// not undone by a failing Close.
func closeQuietly(c io.Closer) { _ = c.Close() }

func elementCount(dims []int64) int64 {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

// valueInfo converts a graph input or output to a TensorInfo; symbolic and
// unknown dimensions become -1, as ONNX Runtime reports them.
func valueInfo(vi *onnxpb.ValueInfoProto) TensorInfo {
	ti := TensorInfo{Name: vi.GetName()}
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		ti.DType = DType("non-tensor")
		return ti
	}
	ti.DType = dtypeFromONNX(onnxpb.TensorProto_DataType(tt.GetElemType()))
	for _, d := range tt.GetShape().GetDim() {
		if v, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
			ti.Shape = append(ti.Shape, v.DimValue)
		} else {
			ti.Shape = append(ti.Shape, -1)
		}
		ti.DimNames = append(ti.DimNames, d.GetDimParam())
	}
	return ti
}

// dtypeFromONNX names an ONNX element type the way DType does: "float32" and
// "int64" for the types Session.Run supports, the lowercased ONNX name for
// the rest.
func dtypeFromONNX(t onnxpb.TensorProto_DataType) DType {
	switch t {
	case onnxpb.TensorProto_FLOAT:
		return Float32
	case onnxpb.TensorProto_INT64:
		return Int64
	}
	return DType(strings.ToLower(t.String()))
}
