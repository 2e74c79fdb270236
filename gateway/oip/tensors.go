package oip

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Datatype returns OIP's name for d ("FP32", "INT64"), or "" for a dtype
// OIP support is not built for.
func Datatype(d onnx.DType) string {
	switch d {
	case onnx.Float32:
		return DatatypeFP32
	case onnx.Int64:
		return DatatypeINT64
	}
	return ""
}

// otherDatatypes are OIP datatypes the gateway knows but does not serve;
// naming them apart from typos makes the error say "not supported".
var otherDatatypes = []string{"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "FP16", "FP64", "BYTES", "BF16"}

// DType returns the onnx dtype of an OIP datatype name. Errors wrap
// ErrBadRequest and name the supported datatypes.
func DType(datatype string) (onnx.DType, error) {
	switch datatype {
	case DatatypeFP32:
		return onnx.Float32, nil
	case DatatypeINT64:
		return onnx.Int64, nil
	case "":
		return "", fmt.Errorf("%w: datatype is missing (supported: FP32, INT64)", ErrBadRequest)
	}
	if slices.Contains(otherDatatypes, datatype) {
		return "", fmt.Errorf("%w: datatype %s is not supported (supported: FP32, INT64)", ErrBadRequest, datatype)
	}
	return "", fmt.Errorf("%w: unknown datatype %.32q (supported: FP32, INT64)", ErrBadRequest, datatype)
}

// CheckInputs checks decoded tensors against a subnet's task inputs: every
// spec input present and no other, the dtype, the rank, every fixed
// dimension (-1 is dynamic), data that fills the shape, and one row count
// (dimension 0) shared by all inputs of rank 1 or more, which it returns (1
// when every input is a scalar). Errors wrap ErrBadRequest.
func CheckInputs(spec []subnettypes.TensorSpec, in map[string]onnx.Tensor) (rows int, err error) {
	rows = -1
	rowsFrom := ""
	for _, s := range spec {
		t, ok := in[s.Name]
		if !ok {
			return 0, fmt.Errorf("%w: input %q is missing", ErrBadRequest, s.Name)
		}
		if err := checkTensor(s, t); err != nil {
			return 0, err
		}
		if len(t.Shape) == 0 {
			continue
		}
		if r := int(t.Shape[0]); rows < 0 {
			rows, rowsFrom = r, s.Name
		} else if r != rows {
			return 0, fmt.Errorf("%w: input %q has %d rows, input %q has %d", ErrBadRequest, s.Name, r, rowsFrom, rows)
		}
	}
	if extra := unknownNames(spec, in); len(extra) > 0 {
		return 0, fmt.Errorf("%w: unknown input %q (the task takes %s)", ErrBadRequest, extra[0], specNames(spec))
	}
	if rows < 0 {
		rows = 1
	}
	return rows, nil
}

// checkTensor checks one tensor against its spec.
func checkTensor(s subnettypes.TensorSpec, t onnx.Tensor) error {
	if t.DType != onnx.DType(s.Dtype) {
		return fmt.Errorf("%w: input %q has datatype %s, the task wants %s",
			ErrBadRequest, s.Name, datatypeOrDType(t.DType), datatypeOrDType(onnx.DType(s.Dtype)))
	}
	if len(t.Shape) != len(s.Shape) {
		return fmt.Errorf("%w: input %q has shape %v, the task wants rank %d %s",
			ErrBadRequest, s.Name, t.Shape, len(s.Shape), specShape(s.Shape))
	}
	n := int64(1)
	for i, d := range t.Shape {
		if want := s.Shape[i]; d < 1 || (want >= 0 && d != want) {
			return fmt.Errorf("%w: input %q has shape %v, the task wants %s", ErrBadRequest, s.Name, t.Shape, specShape(s.Shape))
		}
		if d > onnx.MaxElements/n {
			return fmt.Errorf("%w: input %q has shape %v, more than %d elements", ErrBadRequest, s.Name, t.Shape, onnx.MaxElements)
		}
		n *= d
	}
	if int64(t.Len()) != n {
		return fmt.Errorf("%w: input %q has %d values for shape %v, want %d", ErrBadRequest, s.Name, t.Len(), t.Shape, n)
	}
	return nil
}

// datatypeOrDType names a dtype the OIP way when there is one.
func datatypeOrDType(d onnx.DType) string {
	if name := Datatype(d); name != "" {
		return name
	}
	return fmt.Sprintf("%q", string(d))
}

// specShape formats a task shape with "?" for dynamic dimensions.
func specShape(shape []int64) string {
	out := "["
	for i, d := range shape {
		if i > 0 {
			out += " "
		}
		if d < 0 {
			out += "?"
		} else {
			out += fmt.Sprint(d)
		}
	}
	return out + "]"
}

// unknownNames lists, sorted, the names in 'in' the spec does not have.
func unknownNames(spec []subnettypes.TensorSpec, in map[string]onnx.Tensor) []string {
	var extra []string
	for name := range in {
		if !slices.ContainsFunc(spec, func(s subnettypes.TensorSpec) bool { return s.Name == name }) {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	return extra
}

func specNames(spec []subnettypes.TensorSpec) string {
	names := make([]string, len(spec))
	for i, s := range spec {
		names[i] = fmt.Sprintf("%q", s.Name)
	}
	return fmt.Sprint(names)
}

// EncodeOutputs turns model outputs into response tensors with flat data
// and OIP datatype names. With requested empty it returns every output,
// sorted by name; otherwise the requested ones in the requested order, and
// a requested name the model did not produce (or one requested twice) is an
// error wrapping ErrBadRequest. Outputs that cannot be encoded (unsupported
// dtype, data that does not fill the shape, NaN or infinities, which JSON
// cannot carry) are errors wrapping ErrBadOutput. Data slices are shared
// with outputs, not copied.
func EncodeOutputs(outputs map[string]onnx.Tensor, requested []RequestOutput) ([]ResponseOutput, error) {
	names, err := outputNames(outputs, requested)
	if err != nil {
		return nil, err
	}
	res := make([]ResponseOutput, 0, len(names))
	for _, name := range names {
		o, err := encodeOutput(name, outputs[name])
		if err != nil {
			return nil, err
		}
		res = append(res, o)
	}
	return res, nil
}

// outputNames picks the outputs to return, in response order.
func outputNames(outputs map[string]onnx.Tensor, requested []RequestOutput) ([]string, error) {
	if len(requested) == 0 {
		names := make([]string, 0, len(outputs))
		for name := range outputs {
			names = append(names, name)
		}
		sort.Strings(names)
		return names, nil
	}
	names := make([]string, 0, len(requested))
	for _, r := range requested {
		if _, ok := outputs[r.Name]; !ok {
			return nil, fmt.Errorf("%w: unknown output %q requested", ErrBadRequest, r.Name)
		}
		if slices.Contains(names, r.Name) {
			return nil, fmt.Errorf("%w: output %q is requested twice", ErrBadRequest, r.Name)
		}
		names = append(names, r.Name)
	}
	return names, nil
}

// encodeOutput checks and converts one output tensor.
func encodeOutput(name string, t onnx.Tensor) (ResponseOutput, error) {
	datatype := Datatype(t.DType)
	if datatype == "" {
		return ResponseOutput{}, fmt.Errorf("%w: output %q has unsupported dtype %q", ErrBadOutput, name, t.DType)
	}
	n := int64(1)
	for _, d := range t.Shape {
		if d < 0 || (d > 0 && n > math.MaxInt64/d) {
			return ResponseOutput{}, fmt.Errorf("%w: output %q has shape %v", ErrBadOutput, name, t.Shape)
		}
		n *= d
	}
	if int64(t.Len()) != n {
		return ResponseOutput{}, fmt.Errorf("%w: output %q has %d values for shape %v", ErrBadOutput, name, t.Len(), t.Shape)
	}
	out := ResponseOutput{Name: name, Shape: append([]int64{}, t.Shape...), Datatype: datatype}
	if t.DType == onnx.Int64 {
		out.Data = t.Int64
		if t.Int64 == nil {
			out.Data = []int64{}
		}
		return out, nil
	}
	for i, v := range t.Float32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return ResponseOutput{}, fmt.Errorf("%w: output %q value %d is %v", ErrBadOutput, name, i, v)
		}
	}
	out.Data = t.Float32
	if t.Float32 == nil {
		out.Data = []float32{}
	}
	return out, nil
}

// Metadata describes a subnet's task as OIP model metadata: platform
// "tensorcosm-subnet", the task's tensors with OIP datatypes, and the task
// kind and scoring rule as parameters.
func Metadata(name string, spec subnettypes.TaskSpec) ModelMetadata {
	md := ModelMetadata{
		Name:     name,
		Platform: Platform,
		Inputs:   tensorMetadata(spec.Inputs),
		Outputs:  tensorMetadata(spec.Outputs),
	}
	if spec.Kind != "" || spec.Scoring != "" {
		md.Parameters = Parameters{"task_kind": spec.Kind, "scoring": spec.Scoring}
	}
	return md
}

func tensorMetadata(specs []subnettypes.TensorSpec) []TensorMetadata {
	out := make([]TensorMetadata, len(specs))
	for i, s := range specs {
		out[i] = TensorMetadata{Name: s.Name, Datatype: Datatype(onnx.DType(s.Dtype)), Shape: append([]int64{}, s.Shape...)}
	}
	return out
}
