package axonpb

import (
	"errors"
	"fmt"
	"math"
)

// MaxRank is the largest number of dimensions a Tensor may have; it bounds
// the work done on a shape before anything else is checked.
const MaxRank = 8

// ErrMalformedTensor is wrapped by every error about a tensor whose shape,
// dtype and data do not agree.
var ErrMalformedTensor = errors.New("malformed tensor")

// ElementSize returns the size in bytes of one element of d, or 0 for an
// unknown type.
func ElementSize(d DataType) int {
	switch d {
	case DataType_DATA_TYPE_FLOAT32:
		return 4
	case DataType_DATA_TYPE_INT64:
		return 8
	default:
		return 0
	}
}

// NumElements returns the number of elements a tensor of the given shape
// holds. Negative dimensions, more than MaxRank dimensions and products that
// overflow are errors, so the result can size an allocation safely.
func NumElements(shape []int64) (int64, error) {
	if len(shape) > MaxRank {
		return 0, fmt.Errorf("%w: rank %d exceeds %d", ErrMalformedTensor, len(shape), MaxRank)
	}
	n := int64(1)
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: dimension %d is negative (%d)", ErrMalformedTensor, i, d)
		}
		if d != 0 && n > math.MaxInt64/d {
			return 0, fmt.Errorf("%w: shape %v overflows", ErrMalformedTensor, shape)
		}
		n *= d
	}
	return n, nil
}

// CheckData reports whether the tensor's data length equals its element
// count times its element size, and returns the element count.
func (x *Tensor) CheckData() (int64, error) {
	size := ElementSize(x.GetDtype())
	if size == 0 {
		return 0, fmt.Errorf("%w: %q has unsupported dtype %s", ErrMalformedTensor, x.GetName(), x.GetDtype())
	}
	n, err := NumElements(x.GetShape())
	if err != nil {
		return 0, fmt.Errorf("tensor %q: %w", x.GetName(), err)
	}
	if n > math.MaxInt64/int64(size) || int64(len(x.GetData())) != n*int64(size) {
		return 0, fmt.Errorf("%w: %q has %d data bytes, shape %v of %s needs %d elements of %d bytes",
			ErrMalformedTensor, x.GetName(), len(x.GetData()), x.GetShape(), x.GetDtype(), n, size)
	}
	return n, nil
}

// Float32s decodes a FLOAT32 tensor's data after checking it against the
// shape.
func (x *Tensor) Float32s() ([]float32, error) {
	if x.GetDtype() != DataType_DATA_TYPE_FLOAT32 {
		return nil, fmt.Errorf("%w: %q is %s, not FLOAT32", ErrMalformedTensor, x.GetName(), x.GetDtype())
	}
	n, err := x.CheckData()
	if err != nil {
		return nil, err
	}
	return decodeFloat32s(x.GetData(), n), nil
}

// Int64s decodes an INT64 tensor's data after checking it against the shape.
func (x *Tensor) Int64s() ([]int64, error) {
	if x.GetDtype() != DataType_DATA_TYPE_INT64 {
		return nil, fmt.Errorf("%w: %q is %s, not INT64", ErrMalformedTensor, x.GetName(), x.GetDtype())
	}
	n, err := x.CheckData()
	if err != nil {
		return nil, err
	}
	return decodeInt64s(x.GetData(), n), nil
}
