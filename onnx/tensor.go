package onnx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DType names a tensor element type.
type DType string

const (
	// Float32 is ONNX FLOAT.
	Float32 DType = "float32"
	// Int64 is ONNX INT64.
	Int64 DType = "int64"
)

// ErrInvalidInput marks a Run input that does not fit the model: unknown or
// missing name, wrong element type, wrong shape, or data that does not match
// the shape. The axon server maps it to gRPC InvalidArgument; test for it
// with errors.Is.
var ErrInvalidInput = errors.New("invalid input")

// TensorInfo describes a model input or output.
type TensorInfo struct {
	// Name is the tensor's name in the graph.
	Name string `json:"name"`
	// DType is the element type.
	DType DType `json:"dtype"`
	// Shape holds one entry per dimension; -1 is a dynamic dimension such
	// as the batch size.
	Shape []int64 `json:"shape"`
	// DimNames holds the symbolic name of each dimension ("" for fixed
	// ones). Only Inspect fills it in: ONNX Runtime does not report names.
	DimNames []string `json:"dim_names,omitempty"`
}

// String formats the info as `name float32 [batch, 64]`.
func (ti TensorInfo) String() string {
	dims := make([]string, len(ti.Shape))
	for i, d := range ti.Shape {
		switch {
		case d >= 0:
			dims[i] = strconv.FormatInt(d, 10)
		case i < len(ti.DimNames) && ti.DimNames[i] != "":
			dims[i] = ti.DimNames[i]
		default:
			dims[i] = "?"
		}
	}
	return fmt.Sprintf("%s %s [%s]", ti.Name, ti.DType, strings.Join(dims, ", "))
}

// Tensor is a dense tensor passed to or returned by Session.Run. Exactly one
// of the data slices is used, the one matching DType, and it holds the
// product of Shape's entries, row-major.
type Tensor struct {
	// DType selects which data slice is used.
	DType DType
	// Shape has one entry per dimension, each at least 1.
	Shape []int64
	// Float32 holds the data of a Float32 tensor.
	Float32 []float32
	// Int64 holds the data of an Int64 tensor.
	Int64 []int64
}

// NewFloat32Tensor returns a float32 tensor over data (not copied).
func NewFloat32Tensor(shape []int64, data []float32) Tensor {
	return Tensor{DType: Float32, Shape: shape, Float32: data}
}

// NewInt64Tensor returns an int64 tensor over data (not copied).
func NewInt64Tensor(shape []int64, data []int64) Tensor {
	return Tensor{DType: Int64, Shape: shape, Int64: data}
}

// Len returns the number of elements the data slice for DType holds.
func (t Tensor) Len() int {
	switch t.DType {
	case Float32:
		return len(t.Float32)
	case Int64:
		return len(t.Int64)
	}
	return 0
}

// MaxElements bounds the elements in one Run input, so that a request
// cannot make the shape arithmetic overflow or ask ONNX Runtime for an
// absurd allocation; 2^28 float32 values are 1 GiB.
const MaxElements = 1 << 28

// validateAgainst checks t against the model's description of the input.
// The errors wrap ErrInvalidInput.
func (t Tensor) validateAgainst(info TensorInfo) error {
	if t.DType != info.DType {
		return fmt.Errorf("%w: %q has dtype %q, the model wants %q", ErrInvalidInput, info.Name, t.DType, info.DType)
	}
	if len(t.Shape) != len(info.Shape) {
		return fmt.Errorf("%w: %q has shape %v, the model wants rank %d %s",
			ErrInvalidInput, info.Name, t.Shape, len(info.Shape), shapeString(info.Shape))
	}
	n := int64(1)
	for i, d := range t.Shape {
		if d < 1 {
			return fmt.Errorf("%w: %q dimension %d is %d, want at least 1", ErrInvalidInput, info.Name, i, d)
		}
		if want := info.Shape[i]; want >= 0 && d != want {
			return fmt.Errorf("%w: %q has shape %v, the model wants %s", ErrInvalidInput, info.Name, t.Shape, shapeString(info.Shape))
		}
		if d > MaxElements/n {
			return fmt.Errorf("%w: %q has shape %v, more than %d elements", ErrInvalidInput, info.Name, t.Shape, MaxElements)
		}
		n *= d
	}
	if int64(t.Len()) != n {
		return fmt.Errorf("%w: %q has %d values for shape %v, want %d", ErrInvalidInput, info.Name, t.Len(), t.Shape, n)
	}
	return nil
}

// shapeString formats a model shape with "?" for dynamic dimensions.
func shapeString(shape []int64) string {
	dims := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			dims[i] = "?"
		} else {
			dims[i] = strconv.FormatInt(d, 10)
		}
	}
	return "[" + strings.Join(dims, ", ") + "]"
}
