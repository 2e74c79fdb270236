package axonpb

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// littleEndianHost reports whether this machine lays numbers out
// little-endian, as tensor data is: then the data of a tensor is the memory
// of its elements, and encoding or decoding it is one copy instead of a
// loop over elements (several times faster on a 1 MB output).
var littleEndianHost = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Float32Data encodes values as tensor data: little-endian IEEE 754, each
// value's bits unchanged (NaN payloads included).
func Float32Data(values []float32) []byte {
	if !littleEndianHost {
		return float32DataPortable(values)
	}
	buf := make([]byte, 4*len(values))
	copy(buf, memory(values))
	return buf
}

// Int64Data encodes values as tensor data: little-endian two's complement.
func Int64Data(values []int64) []byte {
	if !littleEndianHost {
		return int64DataPortable(values)
	}
	buf := make([]byte, 8*len(values))
	copy(buf, memory(values))
	return buf
}

// decodeFloat32s decodes n values from data, which holds at least 4n bytes.
func decodeFloat32s(data []byte, n int64) []float32 {
	if !littleEndianHost {
		return decodeFloat32sPortable(data, n)
	}
	out := make([]float32, n)
	copy(memory(out), data)
	return out
}

// decodeInt64s decodes n values from data, which holds at least 8n bytes.
func decodeInt64s(data []byte, n int64) []int64 {
	if !littleEndianHost {
		return decodeInt64sPortable(data, n)
	}
	out := make([]int64, n)
	copy(memory(out), data)
	return out
}

// memory is the bytes of a slice of plain numbers (no pointers, no padding),
// for copying whole slices in and out of tensor data.
func memory[T float32 | int64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	//nolint:gosec // G103: the elements are plain numbers and the view does not outlive s
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}

// The portable codecs, for big-endian hosts (and to test the copies against).

func float32DataPortable(values []float32) []byte {
	buf := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return buf
}

func int64DataPortable(values []int64) []byte {
	buf := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(v))
	}
	return buf
}

func decodeFloat32sPortable(data []byte, n int64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func decodeInt64sPortable(data []byte, n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return out
}
