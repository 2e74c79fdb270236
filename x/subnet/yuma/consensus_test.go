package yuma

import (
	"slices"
	"testing"
)

// votesOf builds packed votes and their voters' stakes from (weight, stake) pairs,
// weights given in 1/10, one voter per pair.
func votesOf(pairs ...uint64) (votes, stake []uint64) {
	for k := 0; k+1 < len(pairs); k += 2 {
		votes = append(votes, packVote(ratio(pairs[k], 10), len(stake)))
		stake = append(stake, pairs[k+1])
	}
	return votes, stake
}

func TestWeightedQuantile(t *testing.T) {
	// Three validators gave 0.8 (stake 1), 0.4 (stake 1) and 0.6 (stake 2); in some
	// cases a fourth validator with stake 4 gave nothing. The consensus is the largest w
	// such that the stake voting >= w reaches ceil(kappa * total).
	three := []uint64{8, 1, 4, 1, 6, 2}
	tests := []struct {
		name  string
		votes []uint64
		total uint64
		kappa Fixed
		want  Fixed
	}{
		// theta = 2: stake >= 0.8 is 1, stake >= 0.6 is 3.
		{"median", three, 4, One / 2, ratio(6, 10)},
		// theta = 1: the single validator at 0.8 is enough.
		{"low kappa", three, 4, One / 4, ratio(8, 10)},
		// theta = 3: 0.6 is supported by exactly 3.
		{"high kappa exactly reached", three, 4, 3 * One / 4, ratio(6, 10)},
		// theta = 4: everyone supports 0.4.
		{"unanimity", three, 4, One, ratio(4, 10)},
		// kappa 0: theta 0, the largest weight.
		{"kappa zero", three, 4, 0, ratio(8, 10)},
		// With the silent validator: theta = 4 of 8, reached only at 0.4.
		{"silent stake counts", three, 8, One / 2, ratio(4, 10)},
		// theta = ceil(0.6 * 8) = 5: even 0.4 has only 4: the silent stake wins, 0.
		{"silent majority", three, 8, 3 * One / 5, 0},
		// Two equal stakes at 0.2 and 0.9, kappa exactly 1/2: 0.9 already has half.
		{"exact tie resolves up", []uint64{2, 1, 9, 1}, 2, One / 2, ratio(9, 10)},
		{"no votes", nil, 5, One / 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			theta := kappaThreshold(tt.kappa, tt.total)
			votes, stake := votesOf(tt.votes...)
			if got := weightedQuantile(votes, stake, theta); got != tt.want {
				t.Fatalf("consensus = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestKappaThreshold(t *testing.T) {
	tests := []struct {
		name  string
		kappa Fixed
		total uint64
		want  uint64
	}{
		{"half of even", One / 2, 10, 5},
		{"half of odd rounds up", One / 2, 7, 4},
		{"one", One, 1 << 63, 1 << 63},
		{"zero", 0, 99, 0},
		{"tiny kappa of a big total rounds up", 1, 1 << 40, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kappaThreshold(tt.kappa, tt.total); got != tt.want {
				t.Fatalf("threshold = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestQuickselectMatchesSort checks the quickselect against the plain sort on random
// and adversarial vote orders (sorted, reversed, all equal, organ pipe, few values).
func TestQuickselectMatchesSort(t *testing.T) {
	g := &gen{s: 3}
	shapes := []func(w []Fixed){
		func(w []Fixed) {},
		func(w []Fixed) { slices.Sort(w) },
		func(w []Fixed) { slices.SortFunc(w, func(a, b Fixed) int { return cmpFixed(b, a) }) },
		func(w []Fixed) {
			for i := range w {
				w[i] = One / 3
			}
		},
		func(w []Fixed) {
			for i := range w {
				w[i] = Fixed(1 + min(i, len(w)-1-i))
			}
		},
		func(w []Fixed) {
			for i := range w {
				w[i] = Fixed(1 + i%3)
			}
		},
	}
	for c := range 3000 {
		w := make([]Fixed, 1+g.intn(300))
		stake := make([]uint64, len(w))
		var total uint64
		for i := range w {
			w[i], stake[i] = 1+Fixed(g.u64()%uint64(One)), uint64(g.intn(1000))
			total += stake[i]
		}
		shapes[c%len(shapes)](w)
		v := make([]uint64, len(w))
		for i := range w {
			v[i] = packVote(w[i], i)
		}
		theta := kappaThreshold(g.fixed(), total+uint64(g.intn(500)))
		want := sortedQuantile(slices.Clone(v), stake, theta, 0)
		if got := weightedQuantile(v, stake, theta); got != want {
			t.Fatalf("case %d: quickselect %s, sort %s", c, got, want)
		}
	}
}

func cmpFixed(a, b Fixed) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// twoValidators is the small subnet several tests share: validators 0 and 1 with stakes
// 3 and 1 (active stake 3/4 and 1/4), miners 2 and 3. Validator 0 weights the miners
// 1:1 (1/2 each), validator 1 weights them 3:1 (3/4, 1/4).
func twoValidators() Input {
	in := fixture(3, 1, 0, 0)
	in.Weights = [][]Weight{ws(2, 1, 3, 1), ws(2, 3, 3, 1), nil, nil}
	in.ValidatorPermit = []bool{true, true, false, false}
	return in
}

// TestClipTrustRankIncentive checks steps 3 and 4 on twoValidators with kappa 1/2.
func TestClipTrustRankIncentive(t *testing.T) {
	out := mustRun(t, twoValidators())
	// Column 2 has votes 1/2 (stake 3) and 3/4 (stake 1): only 1 of 4 supports 3/4,
	// all 4 support 1/2. Column 3 has 1/2 (stake 3) and 1/4 (stake 1): 3 of 4 support 1/2.
	wantC := []Fixed{0, 0, One / 2, One / 2}
	// Validator 1's 3/4 is clipped to 1/2: trust 1/2 + 1/4 = 3/4; validator 0 keeps 1.
	wantVT := []Fixed{One, 3 * One / 4, 0, 0}
	// Rank 2 = 3/4 * 1/2 + 1/4 * 1/2 = 1/2; rank 3 = 3/4 * 1/2 + 1/4 * 1/4 = 7/16.
	wantRank := []Fixed{0, 0, One / 2, 7 * One / 16}
	if !slices.Equal(out.Consensus, wantC) || !slices.Equal(out.ValidatorTrust, wantVT) || !slices.Equal(out.Rank, wantRank) {
		t.Fatalf("consensus %v trust %v rank %v", out.Consensus, out.ValidatorTrust, out.Rank)
	}
	// Incentive normalises rank: (1/2) / (15/16) = 8/15 and (7/16) / (15/16) = 7/15.
	if !near(out.Incentive[2], ratio(8, 15), 1) || !near(out.Incentive[3], ratio(7, 15), 1) {
		t.Fatalf("incentive = %v, want 8/15, 7/15", out.Incentive)
	}
	// Trust is rank over pre-rank. Column 2 before clipping: 3/4 * 1/2 + 1/4 * 3/4 = 9/16,
	// after 1/2 = 8/16, so 8/9 (exact: the sums are integer stakes times exact weights).
	// Nothing in column 3 is clipped: exactly 1. Nobody weights the validators: 0.
	if want := []Fixed{0, 0, ratio(8, 9), One}; !slices.Equal(out.Trust, want) {
		t.Fatalf("trust = %v, want %v", out.Trust, want)
	}
}

// TestTrustWithoutSupport checks the columns whose trust is zero: weighted only by a
// validator without a permit (no pre-rank), or only by a minority below kappa
// (consensus 0, so everything is clipped).
func TestTrustWithoutSupport(t *testing.T) {
	in := fixture(3, 1, 5, 0, 0, 0)
	// Validator 0 (stake 3 of 4 active) weights 3 only; validator 1 (1 of 4) weights 3
	// and 4; UID 2 has no permit, its row on 5 does not count.
	in.Weights = [][]Weight{ws(3, 1), ws(3, 1, 4, 1), ws(5, 1), nil, nil, nil}
	in.ValidatorPermit[2] = false
	out := mustRun(t, in)
	// Column 3: 1 (stake 3) and 1/2 (stake 1): consensus 1, validator 1 is not clipped.
	if want := []Fixed{0, 0, 0, One, 0, 0}; !slices.Equal(out.Trust, want) {
		t.Fatalf("trust = %v, want %v (consensus %v)", out.Trust, want, out.Consensus)
	}
}

// TestTrustRatio checks the division on the 128-bit sums: exact One without clipping,
// zero without pre-rank, and the shift that brings sums of 2^64 and more into 64 bits.
func TestTrustRatio(t *testing.T) {
	big := u128{hi: 3, lo: 1 << 63} // 3.5 * 2^64
	tests := []struct {
		name         string
		clipped, pre u128
		want         Fixed
	}{
		{"no pre-rank", u128{}, u128{}, 0},
		{"nothing clipped", big, big, One},
		{"all clipped", u128{}, big, 0},
		{"a quarter of a small sum", u128{lo: 1}, u128{lo: 4}, One / 4},
		// 1.75 * 2^64 / (3.5 * 2^64): shifted by 2 bits, both stay exact.
		{"half of a sum above 2^64", u128{hi: 1, lo: 3 << 62}, big, One / 2},
		// One unit clipped off 3.5 * 2^64 + 1 is lost in the shift, the ratio is One; off
		// 3.5 * 2^64 it is kept and the ratio rounds down to One - 2^-48.
		{"unit lost in the shift", big, u128{hi: 3, lo: 1<<63 + 1}, One},
		{"unit kept by the shift", u128{hi: 3, lo: 1<<63 - 1}, big, One - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trustRatio(tt.clipped, tt.pre); got != tt.want {
				t.Fatalf("trustRatio = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMajorityValidatorSetsConsensus checks that with kappa 1/2 a validator holding more
// than half the active stake alone sets consensus, whatever the others weight.
func TestMajorityValidatorSetsConsensus(t *testing.T) {
	in := fixture(51, 25, 24, 0, 0)
	in.Weights = [][]Weight{ws(3, 1, 4, 3), ws(3, 1), ws(3, 1), nil, nil}
	out := mustRun(t, in)
	if out.Consensus[3] != One/4 || out.Consensus[4] != 3*One/4 {
		t.Fatalf("consensus = %v, want validator 0's weights 1/4, 3/4", out.Consensus)
	}
}
