package yuma

import (
	"math"
	"math/big"
	"math/bits"
	"testing"
)

// TestDivisorMatchesHardware compares the reciprocal division with bits.Div64 on edge
// and random operands (any divisor, any high word below it).
func TestDivisorMatchesHardware(t *testing.T) {
	g := &gen{s: 7}
	check := func(hi, lo, d uint64) {
		t.Helper()
		want, _ := bits.Div64(hi, lo, d)
		if got := newDivisor(d).quo(hi, lo); got != want {
			t.Fatalf("quo(%#x, %#x) / %#x = %#x, want %#x", hi, lo, d, got, want)
		}
	}
	for _, d := range []uint64{1, 2, 3, 7, 1 << 31, 1<<32 - 1, 1 << 32, 1<<63 - 1, 1 << 63, math.MaxUint64} {
		for _, hi := range []uint64{0, 1, d / 2, d - 1} {
			if hi < d {
				for _, lo := range []uint64{0, 1, math.MaxUint64, 1 << 63} {
					check(hi, lo, d)
				}
			}
		}
	}
	for range 200000 {
		d := g.u64() >> g.intn(64)
		if d == 0 {
			d = 1
		}
		check(g.u64()%d, g.u64(), d)
	}
}

// TestDivisor64MatchesHardware checks the 64-bit reciprocal division on edge and random
// operands against the / operator.
func TestDivisor64MatchesHardware(t *testing.T) {
	g := &gen{s: 9}
	check := func(x, d uint64) {
		t.Helper()
		if got := newDivisor64(d).quo(x); got != x/d {
			t.Fatalf("%d / %d = %d, want %d", x, d, got, x/d)
		}
	}
	for _, d := range []uint64{1, 2, 3, 65535, 1 << 32, 1<<63 + 1, math.MaxUint64} {
		for _, x := range []uint64{0, 1, d - 1, d, d + 1, math.MaxUint64, math.MaxUint64 - 1} {
			check(x, d)
		}
	}
	for range 200000 {
		d := g.u64() >> g.intn(64)
		if d == 0 {
			d = 1
		}
		check(g.u64()>>g.intn(64), d)
	}
}

// TestScalerBound checks the documented rounding of scaler: never above the exact
// k*x/sum and less than 4 below it, for sums below and above 2^64.
func TestScalerBound(t *testing.T) {
	g := &gen{s: 8}
	for range 100000 {
		sum := u128{hi: g.u64() >> (1 + g.intn(64)), lo: g.u64()}
		if g.chance(1, 2) {
			sum.hi = 0
			sum.lo >>= g.intn(64)
		}
		if sum.isZero() {
			continue
		}
		k := g.u64() >> (1 + g.intn(63))
		xf := g.u64() >> g.intn(64)
		x := u128{hi: sum.hi, lo: sum.lo}
		if xf != 0 {
			x = mulDivU128(sum, xf, math.MaxUint64) // some x <= sum
		}
		got := newScaler(k, sum).of(x)
		exact := new(big.Int).Mul(toBig(x), new(big.Int).SetUint64(k))
		exact.Quo(exact, toBig(sum))
		diff := new(big.Int).Sub(exact, new(big.Int).SetUint64(got))
		if diff.Sign() < 0 || diff.Cmp(big.NewInt(4)) >= 0 {
			t.Fatalf("scaler(%d, %v).of(%v) = %d, exact floor %s", k, sum, x, got, exact)
		}
	}
	if got := newScaler(5, u128{}).of64(7); got != 0 {
		t.Fatalf("scaler of a zero sum = %d, want 0", got)
	}
}

func toBig(a u128) *big.Int {
	v := new(big.Int).Lsh(new(big.Int).SetUint64(a.hi), 64)
	return v.Or(v, new(big.Int).SetUint64(a.lo))
}

// mulDivU128 returns a*num/den for num <= den, in big integers.
func mulDivU128(a u128, num, den uint64) u128 {
	v := new(big.Int).Mul(toBig(a), new(big.Int).SetUint64(num))
	v.Quo(v, new(big.Int).SetUint64(den))
	lo := new(big.Int).And(v, new(big.Int).SetUint64(math.MaxUint64))
	return u128{hi: new(big.Int).Rsh(v, 64).Uint64(), lo: lo.Uint64()}
}

func TestU128Helpers(t *testing.T) {
	a := u128{lo: math.MaxUint64}.add64(1)
	if a != (u128{hi: 1}) {
		t.Fatalf("add64 carry = %v", a)
	}
	if s := a.add(u128{hi: 2, lo: 3}); s != (u128{hi: 3, lo: 3}) {
		t.Fatalf("add = %v", s)
	}
	tests := []struct {
		name string
		a    u128
		s    uint
		want uint64
	}{
		{"no shift", u128{lo: 9}, 0, 9},
		{"across words", u128{hi: 1, lo: 2}, 1, 1<<63 | 1},
		{"whole word", u128{hi: 5, lo: 7}, 64, 5},
		{"past the top", u128{hi: 5, lo: 7}, 128, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.shr(tt.s); got != tt.want {
				t.Fatalf("shr = %#x, want %#x", got, tt.want)
			}
		})
	}
	if s := (u128{hi: 1 << 5}).fitShift(); s != 6 {
		t.Fatalf("fitShift = %d, want 6", s)
	}
	// 14 bits carried from the low word into the high one, as the bonds delta is scaled
	if s := (u128{hi: 3, lo: 1<<63 | 5}).shl(wideUp); s != (u128{hi: 3<<14 | 1<<13, lo: 5 << 14}) {
		t.Fatalf("shl = %v", s)
	}
}
