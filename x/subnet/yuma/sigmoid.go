package yuma

import "math/bits"

// Liquid alpha (Yuma3 only) gives each bond its own EMA rate
//
//	a = low + (high - low) * sigmoid((steepness/100) * (diff - 1/2))
//
// where diff is max(0, w - c) when the bond weight w is at least the old bond b (the
// validator is buying into a miner above consensus c) and b - w otherwise (selling), as
// subtensor's alpha_sigmoid. The sigmoid is computed in integers:
//
//  1. y = |steepness| * |diff - 1/2| / 100 exactly, as an integer over 100 * 2^48;
//  2. e^-y = 2^-u with u = y / ln 2 = m + k/64 + rho (m integer, k < 64, rho < 1/64):
//     2^-m is a shift, 2^(-k/64) comes from a 64-entry table and 2^-rho = e^(-rho ln 2)
//     from five Taylor terms (truncation below 2^-49);
//  3. sigmoid = 1 / (1 + e^-y), or e^-y / (1 + e^-y) for a negative exponent, by one
//     128/64 division, rounded down.
//
// Error bound: e^-y is within 2^-47 of the true value, so the sigmoid is within 2^-46
// (about 1.4e-14: the 2^-47 above plus the final rounding down to 2^-48) of the exact
// sigmoid. TestSigmoidErrorBound checks this
// against float64 over the whole domain. Unlike subtensor, whose I32F32 exp saturates to
// zero for exponents above about 21.5 (turning a sigmoid near 0 into 1), the result here
// stays correct for every steepness.

const (
	// ln2Q64 is floor(ln(2) * 2^64).
	ln2Q64 = 0xB17217F7D1CF79AB
	// invLn2Per100Q64 is round(2^64 / (100 * ln(2))): it turns steepness/100 * diff
	// (with diff in Fixed units) into a power of two.
	invLn2Per100Q64 = 266130261956886450
	// q63One is 1 in the Q1.63 format used inside the exponential.
	q63One = 1 << 63
)

// pow2Frac[k] is 2^(-k/64) in Q1.63, computed once by a long Taylor series.
var pow2Frac = pow2FracTable()

func pow2FracTable() [64]uint64 {
	var t [64]uint64
	step := uint64(ln2Q64) >> 7 // ln(2)/64 in Q1.63
	for k := range t {
		t[k] = expNegSeries(step*uint64(k), 30)
	}
	return t
}

// expNegSeries returns e^-x in Q1.63 for x in Q1.63 below 1, summing terms terms of the
// Taylor series (positive and negative terms apart, so no intermediate goes negative).
func expNegSeries(x uint64, terms int) uint64 {
	pos, neg := uint64(q63One), uint64(0)
	term := uint64(q63One)
	for i := 1; i <= terms && term != 0; i++ {
		term = mulQ63(term, x) / uint64(i)
		if i%2 == 1 {
			neg += term
		} else {
			pos += term
		}
	}
	return pos - neg
}

// mulQ63 multiplies two Q1.63 numbers, rounding down.
func mulQ63(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi<<1 | lo>>63
}

// expSmall returns e^-z in Q1.63 for z in Q0.64 below 1/64.
func expSmall(z uint64) uint64 {
	z >>= 1 // to Q1.63
	t1 := z
	t2 := mulQ63(t1, z) / 2
	t3 := mulQ63(t2, z) / 3
	t4 := mulQ63(t3, z) / 4
	t5 := mulQ63(t4, z) / 5
	return q63One - t1 + t2 - t3 + t4 - t5
}

// expNegScaled returns e^(-p / (100 * 2^48)) with 62 fractional bits.
func expNegScaled(p uint64) uint64 {
	hi, lo := bits.Mul64(p, invLn2Per100Q64) // u * 2^(64+FracBits)
	m := hi >> FracBits
	if m >= 62 {
		return 0
	}
	f := hi<<(64-FracBits) | lo>>FracBits // fractional part of u in Q0.64
	k := f >> 58
	rho := f & (1<<58 - 1)
	z, _ := bits.Mul64(rho, ln2Q64) // rho * ln 2 in Q0.64
	t := mulQ63(pow2Frac[k], expSmall(z))
	return t >> 1 >> m
}

// sigmoid returns 1 / (1 + e^(-(steep/100) * (d - 1/2))) for d in [0, One], rounded down.
func sigmoid(steep int16, d Fixed) Fixed {
	dd := int64(min(d, One)) - int64(One/2)
	neg := (steep < 0) != (dd < 0)
	p := uint64(absInt64(int64(steep))) * uint64(absInt64(dd))
	if p == 0 {
		return One / 2
	}
	t := expNegScaled(p)
	den := uint64(1)<<62 + t
	var q uint64
	if neg {
		q, _ = bits.Div64(t>>(64-FracBits), t<<FracBits, den)
	} else {
		q, _ = bits.Div64(1<<(wideBits+FracBits-64), 0, den)
	}
	return Fixed(q)
}

func absInt64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// liquidRate evaluates subtensor's alpha_sigmoid for one epoch's parameters.
type liquidRate struct {
	low, span Fixed
	steep     int16
}

func newLiquidRate(p Params) liquidRate {
	return liquidRate{low: p.AlphaLow, span: p.AlphaHigh - p.AlphaLow, steep: p.AlphaSigmoidSteepness}
}

// alpha returns the EMA rate of a bond with consensus c, bond weight w and old bond b.
func (r liquidRate) alpha(c, w, b Fixed) Fixed {
	var diff Fixed
	switch {
	case w >= b && w > c:
		diff = w - c
	case w < b:
		diff = b - w
	}
	return r.low + mulFixed(sigmoid(r.steep, diff), r.span)
}
