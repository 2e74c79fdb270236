package yuma

import (
	"math"
	"slices"
	"testing"
)

// fixture returns an epoch at block 100 with the given stakes: every UID registered at
// block 0, updated at block 100, permitted by the previous epoch, default params.
func fixture(stakes ...uint64) Input {
	n := len(stakes)
	in := Input{
		Block:           100,
		Stake:           stakes,
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]Weight, n),
		Bonds:           make([][]Bond, n),
		Emission:        1000,
		Params:          DefaultParams(),
	}
	for i := range n {
		in.LastUpdate[i] = 100
		in.ValidatorPermit[i] = true
	}
	return in
}

// ws builds a weight row from (uid, weight) pairs.
func ws(pairs ...uint16) []Weight {
	row := make([]Weight, 0, len(pairs)/2)
	for k := 0; k+1 < len(pairs); k += 2 {
		row = append(row, Weight{UID: pairs[k], Value: pairs[k+1]})
	}
	return row
}

// prepare runs the steps of Run up to and including the weights mask.
func prepare(t *testing.T, in Input) *epoch {
	t.Helper()
	if err := in.validate(); err != nil {
		t.Fatal(err)
	}
	e, err := newEpoch(&in)
	if err != nil {
		t.Fatal(err)
	}
	e.activity()
	e.activeStake()
	e.permits()
	e.maskWeights()
	return e
}

func mustRun(t *testing.T, in Input) Output {
	t.Helper()
	out, err := Run(in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// near reports whether got is within ulps units of want.
func near(got, want Fixed, ulps uint64) bool {
	if got > want {
		return uint64(got-want) <= ulps
	}
	return uint64(want-got) <= ulps
}

// ratio is num/den as a Fixed, for expectations written as fractions.
func ratio(num, den uint64) Fixed {
	f, _ := FromRatio(num, den)
	return f
}

func TestActivity(t *testing.T) {
	in := fixture(1, 1, 1, 1)
	in.Params.ActivityCutoff = 10
	// Active means last_update + cutoff >= block (100): 90 is the oldest update that
	// counts, 89 is one block too old, and a huge update saturates instead of wrapping.
	in.LastUpdate = []uint64{90, 89, 100, math.MaxUint64}
	got := mustRun(t, in).Active
	if want := []bool{true, false, true, true}; !slices.Equal(got, want) {
		t.Fatalf("Active = %v, want %v", got, want)
	}
}

func TestActiveStake(t *testing.T) {
	tests := []struct {
		name    string
		stakes  []uint64
		permit  []bool
		updated []uint64
		want    []Fixed
	}{
		// UID 2 has no permit and UID 3 no stake: 6 and 2 out of 8 are 3/4 and 1/4.
		{"permit masks stake", []uint64{6, 2, 8, 0}, []bool{true, true, false, true}, []uint64{100, 100, 100, 100}, []Fixed{3 * One / 4, One / 4, 0, 0}},
		// UID 1 last updated at block 50, past the cutoff of 10: UID 0 holds it all.
		{"inactive masks stake", []uint64{6, 2, 8, 0}, []bool{true, true, false, true}, []uint64{100, 50, 100, 100}, []Fixed{One, 0, 0, 0}},
		// Nothing active and permitted: all shares stay zero.
		{"no active stake", []uint64{6, 2}, []bool{false, false}, []uint64{100, 100}, []Fixed{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture(tt.stakes...)
			in.Params.ActivityCutoff = 10
			in.ValidatorPermit, in.LastUpdate = tt.permit, tt.updated
			if got := prepare(t, in).sa; !slices.Equal(got, tt.want) {
				t.Fatalf("active stake = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestActiveStakeAbove64Bits checks the normalisation of totals that do not fit in 64
// bits: four stakes of 2^63 are a quarter each.
func TestActiveStakeAbove64Bits(t *testing.T) {
	e := prepare(t, fixture(1<<63, 1<<63, 1<<63, 1<<63))
	for i, s := range e.sa {
		if s != One/4 {
			t.Fatalf("sa[%d] = %s, want 0.25", i, s)
		}
	}
}

func TestPermits(t *testing.T) {
	stakes := []uint64{5, 9, 5, 0, 7}
	tests := []struct {
		name string
		k    uint16
		want []bool
	}{
		// The two largest stakes: 9 (UID 1) and 7 (UID 4).
		{"top two", 2, []bool{false, true, false, false, true}},
		// The third place is a tie at 5 between UIDs 0 and 2: the higher UID wins, as
		// subtensor's stable ascending sort drops the lower one first.
		{"tie goes to the higher UID", 3, []bool{false, true, true, false, true}},
		// More permits than UIDs: every UID with stake, never the zero stake.
		{"more permits than stakers", 10, []bool{true, true, true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fixture(stakes...)
			in.Params.MaxAllowedValidators = tt.k
			if got := mustRun(t, in).ValidatorPermit; !slices.Equal(got, tt.want) {
				t.Fatalf("permits = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMaskWeights(t *testing.T) {
	in := fixture(1, 1, 1, 1, 1, 1)
	in.Weights = [][]Weight{
		// UID 0: its self-weight is dropped, the zero weight too; 1:3 normalises to 1/4, 3/4.
		ws(0, 9, 1, 1, 2, 3, 5, 0),
		// UID 1 has no permit: its row is ignored.
		ws(0, 5),
		// UID 2 set weights at block 50, before UID 1 registered at block 60: outdated.
		// Its weight on UID 0 (registered at 0) stays and is the whole row.
		ws(1, 7, 0, 1),
		// UID 3 is the subnet owner: it keeps its self-weight, 1:1 is 1/2, 1/2.
		ws(3, 1, 0, 1),
		// UID 4 re-registered at block 80 and its row (set at 70) is the old hotkey's.
		ws(0, 1),
		// UID 5 weights nothing.
		nil,
	}
	in.ValidatorPermit[1] = false
	in.LastUpdate[2], in.RegisteredAt[1] = 50, 60
	in.HasOwner, in.OwnerUID = true, 3
	in.LastUpdate[4], in.RegisteredAt[4] = 70, 80
	e := prepare(t, in)
	want := [][]Weight{{{1, 0}, {2, 0}}, nil, {{0, 0}}, {{0, 0}, {3, 0}}, nil, nil}
	vals := [][]Fixed{{One / 4, 3 * One / 4}, nil, {One}, {One / 2, One / 2}, nil, nil}
	for i := range want {
		cols, got := e.w.row(i)
		if len(cols) != len(want[i]) || !slices.Equal(got, vals[i]) {
			t.Fatalf("row %d = %v %v, want %v %v", i, cols, got, want[i], vals[i])
		}
		for k := range cols {
			if cols[k] != want[i][k].UID {
				t.Fatalf("row %d targets %v, want %v", i, cols, want[i])
			}
		}
	}
}

// TestRowNormalisationRoundsDown checks a row that does not divide evenly: 1:1:1 gives
// floor(2^48/3) each, so the row sums to one unit less than One.
func TestRowNormalisationRoundsDown(t *testing.T) {
	in := fixture(1, 1, 1, 1)
	in.Weights[0] = ws(1, 7, 2, 7, 3, 7)
	_, vals := prepare(t, in).w.row(0)
	third := Fixed(uint64(One) / 3)
	if !slices.Equal(vals, []Fixed{third, third, third}) || One-3*third != 1 {
		t.Fatalf("row = %v, want three times %d", vals, third)
	}
}
