package yuma

import (
	"math"
	"math/bits"
)

// divisor divides 128-bit numerators by one 64-bit divisor many times over. A hardware
// 128/64 division costs tens of cycles, and normalising a 4096 x 256 matrix divides a
// million entries by a few thousand distinct sums, so each sum gets a precomputed
// reciprocal and every division becomes two multiplications and two corrections
// (Moller and Granlund, "Improved division by invariant integers", IEEE TC 2011, alg. 4).
// The quotient is exact: floor(numerator / d).
type divisor struct {
	norm  uint64 // d shifted left until its top bit is set
	inv   uint64 // floor((2^128 - 1) / norm) - 2^64
	shift uint   // leading zeros of d
}

// newDivisor prepares division by d, which must not be zero.
func newDivisor(d uint64) divisor {
	s := uint(bits.LeadingZeros64(d))
	n := d << s
	inv, _ := bits.Div64(^n, ^uint64(0), n)
	return divisor{norm: n, inv: inv, shift: s}
}

// quo returns floor((hi*2^64 + lo) / d). The caller guarantees hi < d, i.e. that the
// quotient fits in 64 bits.
func (v divisor) quo(hi, lo uint64) uint64 {
	s := v.shift
	hi = hi<<s | lo>>(64-s) // a shift by 64 yields 0 in Go, so s == 0 needs no branch
	lo <<= s
	qh, ql := bits.Mul64(v.inv, hi)
	ql, c := bits.Add64(ql, lo, 0)
	qh += hi + c + 1
	r := lo - qh*v.norm
	if r > ql {
		qh--
		r += v.norm
	}
	if r >= v.norm {
		qh++
	}
	return qh
}

// frac returns floor(x * 2^48 / d), i.e. x/d as a Fixed, for x/d below 2^16.
func (v divisor) frac(x uint64) Fixed {
	return Fixed(v.quo(x>>(64-FracBits), x<<FracBits))
}

// divisor64 divides 64-bit numerators by one divisor exactly with a multiplication by
// r = floor((2^64 - 1) / d), which leaves the quotient at most two below the true one,
// and a correction on the remainder. It is cheaper than divisor when the numerator fits
// in 64 bits, as a u16 weight times 2^48 does.
type divisor64 struct{ d, r uint64 }

func newDivisor64(d uint64) divisor64 { return divisor64{d: d, r: math.MaxUint64 / d} }

// quo returns floor(x / d).
func (v divisor64) quo(x uint64) uint64 {
	q, _ := bits.Mul64(x, v.r)
	r := x - q*v.d
	if r >= v.d {
		q++
		r -= v.d
	}
	if r >= v.d {
		q++
	}
	return q
}

// u128 is an unsigned 128-bit integer for stake totals, which can exceed 2^64 when many
// UIDs hold large stakes, and for exact products.
type u128 struct{ hi, lo uint64 }

func (a u128) add64(x uint64) u128 {
	lo, c := bits.Add64(a.lo, x, 0)
	return u128{a.hi + c, lo}
}

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	return u128{a.hi + b.hi + c, lo}
}

func (a u128) isZero() bool { return a.hi == 0 && a.lo == 0 }

// fitShift returns the right shift that brings a below 2^64.
func (a u128) fitShift() uint {
	return uint(bits.Len64(a.hi))
}

// shl returns a << s for 0 < s < 64; the caller guarantees that nothing is shifted out.
func (a u128) shl(s uint) u128 {
	return u128{a.hi<<s | a.lo>>(64-s), a.lo << s}
}

// shr returns a >> s, truncated to 64 bits.
func (a u128) shr(s uint) uint64 {
	switch {
	case s >= 128:
		return 0
	case s >= 64:
		return a.hi >> (s - 64)
	}
	return a.hi<<(64-s) | a.lo>>s // a shift by 64 yields 0, so s == 0 needs no branch
}

// mul128 returns the full product of two 64-bit integers.
func mul128(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

// scaler multiplies many values by one ratio k/sum, one 64x64-bit multiplication each,
// where a division per value would cost several times more. The sum is brought into
// [2^63, 2^64) by a shift that is applied to every value as well (a sum shifted right is
// rounded up, a value rounded down), and r = floor(k * 2^64 / shifted sum). For x <= sum
// and k < 2^63 the result floor(shifted x * r / 2^64) is rounded down: at most the exact
// k*x/sum and less than 4 below it (one unit each from r, the product, and the two
// roundings of a right shift, which only happens for sums of 2^64 or more).
// newScaler costs one hardware division, so it pays off from a handful of values on.
type scaler struct {
	r     uint64
	left  uint // shift applied to values when the sum is below 2^63
	right uint // shift applied to values when the sum is 2^64 or more
}

// newScaler prepares multiplication by k/sum; a zero sum gives a scaler that returns 0.
func newScaler(k uint64, sum u128) scaler {
	if sum.isZero() {
		return scaler{}
	}
	s := scaler{right: sum.fitShift()}
	top := sum.shr(s.right)
	if s.right > 0 && sum.lo<<(64-s.right) != 0 { // bits shifted out: round the sum up
		if top == math.MaxUint64 {
			s.right++
			top = sum.shr(s.right)
		}
		top++
	}
	s.left = uint(bits.LeadingZeros64(top))
	s.r, _ = bits.Div64(k, 0, top<<s.left)
	return s
}

// of returns x*k/sum, rounded down, for a 128-bit x.
func (s scaler) of(x u128) uint64 {
	hi, _ := bits.Mul64(x.shr(s.right)<<s.left, s.r)
	return hi
}

// of64 returns x*k/sum, rounded down.
func (s scaler) of64(x uint64) uint64 {
	hi, _ := bits.Mul64(x>>s.right<<s.left, s.r)
	return hi
}

// scalers prepares a scaler with numerator k for every column sum.
func scalers(k uint64, sums []u128) []scaler {
	out := make([]scaler, len(sums))
	for j, s := range sums {
		out[j] = newScaler(k, s)
	}
	return out
}
