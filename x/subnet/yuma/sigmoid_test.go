package yuma

import (
	"math"
	"testing"
)

// sigmoidBound is the documented error bound of sigmoid: 2^-46.
var sigmoidBound = math.Ldexp(1, -46)

// TestSigmoidErrorBound compares the fixed-point sigmoid with float64 over the whole
// domain: every 256th difference value for a spread of steepnesses, both signs, plus the
// extremes. float64's own error (about 1e-16) is far below the bound checked.
func TestSigmoidErrorBound(t *testing.T) {
	steeps := []int16{math.MinInt16, -20000, -1000, -7, -1, 1, 3, 50, 100, 999, 1000, 4300, 20000, math.MaxInt16}
	worst := 0.0
	for _, s := range steeps {
		for d := Fixed(0); d <= One; d += One / (1 << 16) {
			got := fl(sigmoid(s, d))
			want := refSigmoid(s, fl(d))
			worst = math.Max(worst, math.Abs(got-want))
			if math.Abs(got-want) > sigmoidBound {
				t.Fatalf("sigmoid(%d, %s) = %.17g, want %.17g (error %.3g > 2^-46)", s, d.Decimal(12), got, want, math.Abs(got-want))
			}
		}
	}
	t.Logf("largest sigmoid error %.3g (bound %.3g)", worst, sigmoidBound)
}

func TestSigmoidValues(t *testing.T) {
	tests := []struct {
		name  string
		steep int16
		d     Fixed
		want  Fixed
	}{
		// The exponent is zero at d = 1/2 or steepness 0: 1/(1+e^0) = 1/2 exactly.
		{"midpoint", 1000, One / 2, One / 2},
		{"flat", 0, One / 10, One / 2},
		// steepness 32767 at d = 0: exponent 163.8, e^-163.8 underflows: exactly 0 or 1.
		{"steep low end", math.MaxInt16, 0, 0},
		{"steep high end", math.MaxInt16, One, One - 0},
		// A negative steepness mirrors the curve.
		{"negative steep low end", math.MinInt16, 0, One},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sigmoid(tt.steep, tt.d); got != tt.want {
				t.Fatalf("sigmoid(%d, %s) = %s, want %s", tt.steep, tt.d, got, tt.want)
			}
		})
	}
}

// TestSigmoidSymmetry checks sigmoid(-x) = 1 - sigmoid(x) up to the rounding of each.
func TestSigmoidSymmetry(t *testing.T) {
	for d := Fixed(0); d <= One; d += One / 1000 {
		a, b := sigmoid(1000, d), sigmoid(-1000, d)
		if sum := a + b; sum > One || One-sum > 2 {
			t.Fatalf("sigmoid(1000, %s) + sigmoid(-1000, %s) = %s, want 1 within 2 units", d, d, sum)
		}
	}
}

// TestLiquidAlpha checks subtensor's alpha_sigmoid branches with low 0.7, high 0.9 and
// steepness 1000 (exponent -10 * (diff - 1/2)).
func TestLiquidAlpha(t *testing.T) {
	p := DefaultParams()
	lr := newLiquidRate(p)
	mid := p.AlphaLow + mulFixed(One/2, p.AlphaHigh-p.AlphaLow) // sigmoid 1/2: 0.8
	tests := []struct {
		name    string
		c, w, b Fixed
		diff    Fixed
	}{
		// Buying (w >= b): the distance above consensus, here 0.75 - 0.25 = 1/2.
		{"buy above consensus", One / 4, 3 * One / 4, 0, One / 2},
		// Buying at or below consensus: no divergence, diff 0.
		{"buy below consensus", 3 * One / 4, One / 4, 0, 0},
		// Selling (w < b): how far the weight fell below the bond, 0.9 - 0.4 = 0.5.
		{"sell", One / 2, 2 * One / 5, 9 * One / 10, 9*One/10 - 2*One/5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := p.AlphaLow + mulFixed(sigmoid(p.AlphaSigmoidSteepness, tt.diff), p.AlphaHigh-p.AlphaLow)
			got := lr.alpha(tt.c, tt.w, tt.b)
			if got != want || got < p.AlphaLow || got > p.AlphaHigh {
				t.Fatalf("alpha = %s, want %s in [%s, %s]", got, want, p.AlphaLow, p.AlphaHigh)
			}
		})
	}
	if got := lr.alpha(One/4, 3*One/4, 0); got != mid {
		t.Fatalf("alpha at diff 1/2 = %s, want the midpoint %s", got, mid)
	}
	// diff 0 gives sigmoid(-5) = 0.0066929, alpha = 0.7 + 0.2 * 0.0066929 = 0.7013386.
	if got := fl(lr.alpha(One, 0, 0)); math.Abs(got-0.70133857) > 1e-8 {
		t.Fatalf("alpha at diff 0 = %.8f, want 0.70133857", got)
	}
}
