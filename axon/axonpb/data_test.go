package axonpb

import (
	"bytes"
	"math"
	"slices"
	"testing"
)

// TestDataMatchesPortable checks the copying codecs against the portable
// loops, bit for bit: NaN payloads, negative zero, infinities, extremes.
func TestDataMatchesPortable(t *testing.T) {
	floats := [][]float32{
		nil,
		{0},
		{float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, math.SmallestNonzeroFloat32},
		{math.Float32frombits(0x7fc00001), math.Float32frombits(0xffbfffff), math.Float32frombits(0x7f800001), -1.5, 3.25},
	}
	for _, f := range floats {
		data := Float32Data(f)
		if want := float32DataPortable(f); !bytes.Equal(data, want) {
			t.Errorf("Float32Data(%v) = %x, want %x", f, data, want)
		}
		got := decodeFloat32s(data, int64(len(f)))
		want := decodeFloat32sPortable(data, int64(len(f)))
		if !slices.Equal(bits(got), bits(want)) || !slices.Equal(bits(got), bits(f)) {
			t.Errorf("decodeFloat32s(%x) = %v, portable %v, encoded %v", data, got, want, f)
		}
	}
	ints := [][]int64{nil, {0}, {math.MinInt64, -1, 1, math.MaxInt64, 0x0102030405060708}}
	for _, v := range ints {
		data := Int64Data(v)
		if want := int64DataPortable(v); !bytes.Equal(data, want) {
			t.Errorf("Int64Data(%v) = %x, want %x", v, data, want)
		}
		got := decodeInt64s(data, int64(len(v)))
		if want := decodeInt64sPortable(data, int64(len(v))); !slices.Equal(got, want) || !slices.Equal(got, v) && len(v) > 0 {
			t.Errorf("decodeInt64s(%x) = %v, portable %v, encoded %v", data, got, want, v)
		}
	}
}

func bits(f []float32) []uint32 {
	b := make([]uint32, len(f))
	for i, v := range f {
		b[i] = math.Float32bits(v)
	}
	return b
}
