package yuma

import (
	"math"
	"testing"
)

// bondRow returns a dense view of an output bonds row as float64, for comparisons with
// hand-computed fractions.
func bondRow(out Output, i int) []float64 { return denseRow(out.Bonds[i], len(out.Bonds)) }

// closeTo compares float views of Fixed results with hand-computed fractions.
func closeTo(got, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			return false
		}
	}
	return true
}

func flv(xs []Fixed) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = fl(x)
	}
	return out
}

const handTol = 1e-12

// TestDefaultBonds checks step 5 (default mode) on twoValidators, where consensus is
// 1/2 on both miners and incentive is 8/15 and 7/15 (TestClipTrustRankIncentive).
func TestDefaultBonds(t *testing.T) {
	tests := []struct {
		name     string
		penalty  Fixed
		old      [][]Bond
		bonds    [2][]float64
		dividend []float64
	}{{
		// Penalty 1: bonds grow from clipped weights. Delta = Wc * S: validator 0 has
		// 1/2*3, 1/2*3; validator 1 has 1/2*1, 1/4*1. Columns normalise to 3/4, 1/4 and
		// 6/7, 1/7. Without old bonds the EMA is alpha times that, normalised back.
		// Stored max-upscaled: column 2 is 1, 1/3; column 3 is 1, 1/6.
		// Dividends: 3/4*8/15 + 6/7*7/15 = 0.8 and 1/4*8/15 + 1/7*7/15 = 0.2.
		name: "fresh bonds", penalty: One,
		bonds:    [2][]float64{{0, 0, 1, 1}, {0, 0, 1.0 / 3, 1.0 / 6}},
		dividend: []float64{0.8, 0.2, 0, 0},
	}, {
		// Penalty 0: bonds grow from raw weights: column 2 is 3/2 and 3/4, i.e. 2/3, 1/3.
		// Dividends 2/3*8/15 + 6/7*7/15 = 34/45 and 1/3*8/15 + 1/7*7/15 = 11/45.
		name: "no penalty", penalty: 0,
		bonds:    [2][]float64{{0, 0, 1, 1}, {0, 0, 0.5, 1.0 / 6}},
		dividend: []float64{34.0 / 45, 11.0 / 45, 0, 0},
	}, {
		// Old bonds (max-upscaled): validator 0 {2: 1, 3: 1}, validator 1 {2: 1}, i.e.
		// columns 1/2, 1/2 and 1, 0. EMA with alpha 0.1: column 2 is
		// 0.1*3/4 + 0.9/2 = 0.525 and 0.1/4 + 0.9/2 = 0.475; column 3 is
		// 0.1*6/7 + 0.9 = 0.98571 and 0.1/7 = 0.0142857. Dividends:
		// 0.525*8/15 + 0.98571*7/15 = 0.74 and 0.475*8/15 + 0.0142857*7/15 = 0.26.
		name: "moving average", penalty: One,
		old:      [][]Bond{{{2, One}, {3, One}}, {{2, One}}, nil, nil},
		bonds:    [2][]float64{{0, 0, 1, 1}, {0, 0, 0.475 / 0.525, (0.1 / 7) / (0.6/7 + 0.9)}},
		dividend: []float64{0.74, 0.26, 0, 0},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := twoValidators()
			in.Params.BondsPenalty = tt.penalty
			if tt.old != nil {
				in.Bonds = tt.old
			}
			out := mustRun(t, in)
			for i := range 2 {
				if got := bondRow(out, i); !closeTo(got, tt.bonds[i], handTol) {
					t.Fatalf("bonds[%d] = %v, want %v", i, got, tt.bonds[i])
				}
			}
			if got := flv(out.Dividends); !closeTo(got, tt.dividend, handTol) {
				t.Fatalf("dividends = %v, want %v", got, tt.dividend)
			}
		})
	}
}

// TestBondsReset checks the resets: bonds on a UID registered since the previous epoch,
// the bonds row of a UID that re-registered itself, and the row of a UID losing its
// permit.
func TestBondsReset(t *testing.T) {
	old := [][]Bond{{{2, One}, {3, One}}, {{2, One}, {3, One / 2}}, nil, nil}
	t.Run("re-registered miner", func(t *testing.T) {
		in := twoValidators()
		in.Bonds = old
		in.RegisteredAt[3] = 100 // miner 3 has a new hotkey since the last epoch (tempo 360)
		out := mustRun(t, in)
		// Weights on 3 were set at block 100, not after its registration: masked, so
		// consensus and bonds on 3 are gone and column 2 is unchanged from its own EMA.
		if out.Consensus[3] != 0 || bondRow(out, 0)[3] != 0 || bondRow(out, 1)[3] != 0 {
			t.Fatalf("consensus %v bonds %v %v: want nothing on UID 3", out.Consensus, out.Bonds[0], out.Bonds[1])
		}
	})
	t.Run("re-registered validator", func(t *testing.T) {
		in := twoValidators()
		in.Bonds = old
		in.RegisteredAt[1] = 100 // validator 1 has a new hotkey that set weights at block 100
		out := mustRun(t, in)
		// Its old row is dropped: column 2's old bonds are validator 0's alone, so
		// EMA column 2 is 0.1*3/4 + 0.9 = 0.975 and 0.1*1/4 = 0.025; upscaled 1 and 1/39.
		if got := bondRow(out, 1)[2]; math.Abs(got-0.025/0.975) > handTol {
			t.Fatalf("re-registered validator's bond = %v, want %v", got, 0.025/0.975)
		}
	})
	t.Run("lost permit", func(t *testing.T) {
		in := twoValidators()
		in.Bonds = old
		in.Params.MaxAllowedValidators = 1 // validator 1 loses its permit to validator 0
		out := mustRun(t, in)
		if out.ValidatorPermit[1] || out.Bonds[1] != nil || out.Dividends[1] == 0 {
			t.Fatalf("permit %v bonds %v dividends %v: want no permit, no bonds, but this epoch's dividends",
				out.ValidatorPermit[1], out.Bonds[1], out.Dividends[1])
		}
	})
}

// TestYuma3Bonds checks the Yuma3 formula on twoValidators with a fixed alpha of 0.1 and
// an old absolute bond of 1/2 from validator 0 on miner 2. Bond weights are the clipped
// weights: validator 0 (1/2, 1/2), validator 1 (1/2, 1/4).
func TestYuma3Bonds(t *testing.T) {
	in := twoValidators()
	in.Params.Yuma3 = true
	in.Bonds[0] = []Bond{{2, One / 2}}
	out := mustRun(t, in)
	// B = 0.9 * B_old + 0.1 * Wb: validator 0 gets 0.5 and 0.05, validator 1 0.05, 0.025.
	if got := bondRow(out, 0); !closeTo(got, []float64{0, 0, 0.5, 0.05}, 1e-13) {
		t.Fatalf("bonds[0] = %v", got)
	}
	if got := bondRow(out, 1); !closeTo(got, []float64{0, 0, 0.05, 0.025}, 1e-13) {
		t.Fatalf("bonds[1] = %v", got)
	}
	// Normalised columns: 10/11, 1/11 and 2/3, 1/3. Per validator, bonds times incentive:
	// 10/11*8/15 + 2/3*7/15 and 1/11*8/15 + 1/3*7/15, times active stake 3/4 and 1/4.
	d0 := (10.0/11*8/15 + 2.0/3*7/15) * 0.75
	d1 := (1.0/11*8/15 + 1.0/3*7/15) * 0.25
	if got := flv(out.Dividends); !closeTo(got, []float64{d0 / (d0 + d1), d1 / (d0 + d1), 0, 0}, 1e-12) {
		t.Fatalf("dividends = %v", got)
	}
}

// TestYuma3LiquidAlpha checks that liquid alpha replaces the fixed rate: every bond here
// has diff 0 (no weight above consensus, no weight below its bond), so the rate is
// 0.7 + 0.2 * sigmoid(-5) for every entry.
func TestYuma3LiquidAlpha(t *testing.T) {
	in := twoValidators()
	in.Params.Yuma3, in.Params.LiquidAlpha = true, true
	out := mustRun(t, in)
	a := fl(newLiquidRate(in.Params).alpha(One, 0, 0))
	if got := bondRow(out, 0); !closeTo(got, []float64{0, 0, a / 2, a / 2}, 1e-13) {
		t.Fatalf("bonds[0] = %v, want %v * (1/2, 1/2)", got, a)
	}
	if got := bondRow(out, 1); !closeTo(got, []float64{0, 0, a / 2, a / 4}, 1e-13) {
		t.Fatalf("bonds[1] = %v, want %v * (1/2, 1/4)", got, a)
	}
}

// TestYuma3InactiveValidatorEarnsNothing checks that Yuma3 dividends follow active stake:
// a validator past the activity cutoff earns nothing, while its bonds keep following its
// standing weights (as in subtensor, weights are masked by permit, not by activity):
// 0.9 * 1 + 0.1 * 1/2 = 0.95 on miner 2 and 0.1 * 1/4 on miner 3.
func TestYuma3InactiveValidatorEarnsNothing(t *testing.T) {
	in := twoValidators()
	in.Params.Yuma3 = true
	in.Params.ActivityCutoff = 10
	in.LastUpdate[1] = 50
	in.Bonds[1] = []Bond{{2, One}}
	out := mustRun(t, in)
	if out.Dividends[1] != 0 || out.Dividends[0] != One || !closeTo(bondRow(out, 1), []float64{0, 0, 0.95, 0.025}, 1e-13) {
		t.Fatalf("dividends %v bonds[1] %v: want (1, 0) and bonds (0.95, 0.025)", out.Dividends, bondRow(out, 1))
	}
}
