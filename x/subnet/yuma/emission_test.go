package yuma

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSplitExact(t *testing.T) {
	tests := []struct {
		name   string
		amount uint64
		shares []uint64
		want   []uint64
	}{
		// 10/3 each: floors 3, 3, 3 and one unit left; equal remainders: lowest index.
		{"equal remainders", 10, []uint64{1, 1, 1}, []uint64{4, 3, 3}},
		// 7*1/4 = 1.75, 7*3/4 = 5.25: the larger remainder (0.75) gets the unit.
		{"largest remainder", 7, []uint64{1, 3}, []uint64{2, 5}},
		{"zero shares get nothing", 7, []uint64{0, 5, 0}, []uint64{0, 7, 0}},
		{"nothing to split", 0, []uint64{2, 3}, []uint64{0, 0}},
		{"full range", math.MaxUint64, []uint64{1, 2}, []uint64{6148914691236517205, 12297829382473034410}},
		{"no shares", 5, []uint64{0, 0}, []uint64{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitExact(tt.amount, tt.shares); !slices.Equal(got, tt.want) {
				t.Fatalf("splitExact = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEmissionSplit(t *testing.T) {
	tests := []struct {
		name      string
		in        func() Input
		miner     []uint64
		validator []uint64
	}{{
		// Incentive 8/15, 7/15 and dividends 0.8, 0.2 share 1000 over a total of 2:
		// miners 266.67 and 233.33, validators 400 and 100; the unit left over goes
		// to the largest remainder, miner 2.
		name: "incentive and dividends", in: twoValidators,
		miner: []uint64{0, 0, 267, 233}, validator: []uint64{400, 100, 0, 0},
	}, {
		// No weights at all: validators are paid by active stake, 3/4 and 1/4.
		name: "fallback to active stake", in: func() Input {
			in := twoValidators()
			in.Weights = nil
			return in
		},
		miner: []uint64{0, 0, 0, 0}, validator: []uint64{750, 250, 0, 0},
	}, {
		// Nobody holds a permit yet (the first epoch): paid by stake, miners' too.
		name: "fallback to stake", in: func() Input {
			in := fixture(3, 1, 0, 4)
			in.ValidatorPermit = []bool{false, false, false, false}
			return in
		},
		miner: []uint64{0, 0, 0, 0}, validator: []uint64{375, 125, 0, 500},
	}, {
		// No stake anywhere: equal shares, 250 each.
		name: "fallback to equal shares", in: func() Input { return fixture(0, 0, 0, 0) },
		miner: []uint64{0, 0, 0, 0}, validator: []uint64{250, 250, 250, 250},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, tt.in())
			if !slices.Equal(out.MinerEmission, tt.miner) || !slices.Equal(out.ValidatorEmission, tt.validator) {
				t.Fatalf("miner %v validator %v, want %v %v", out.MinerEmission, out.ValidatorEmission, tt.miner, tt.validator)
			}
			for i := range out.Emission {
				if out.Emission[i] != out.MinerEmission[i]+out.ValidatorEmission[i] {
					t.Fatalf("emission[%d] = %d is not miner + validator", i, out.Emission[i])
				}
			}
		})
	}
}

func TestRunRejectsMalformedInput(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Input)
		want   string
	}{
		{"no UIDs", func(in *Input) { *in = Input{Params: DefaultParams()} }, "no UIDs"},
		{"short LastUpdate", func(in *Input) { in.LastUpdate = in.LastUpdate[:1] }, "LastUpdate has 1 entries"},
		{"short RegisteredAt", func(in *Input) { in.RegisteredAt = nil }, "RegisteredAt has 0 entries"},
		{"short permits", func(in *Input) { in.ValidatorPermit = in.ValidatorPermit[:3] }, "ValidatorPermit has 3 entries"},
		{"weights rows", func(in *Input) { in.Weights = in.Weights[:2] }, "Weights has 2 rows"},
		{"bonds rows", func(in *Input) { in.Bonds = make([][]Bond, 5) }, "Bonds has 5 rows"},
		{"owner out of range", func(in *Input) { in.HasOwner, in.OwnerUID = true, 4 }, "OwnerUID 4 out of range"},
		{"weight target out of range", func(in *Input) { in.Weights[1] = ws(9, 1) }, "Weights[1]: target UID 9 out of range (n=4)"},
		{"duplicate weight target", func(in *Input) { in.Weights[0] = ws(3, 1, 2, 1, 3, 2) }, "Weights[0]: duplicate target UID 3"},
		{"bond target out of range", func(in *Input) { in.Bonds[0] = []Bond{{7, 1}} }, "Bonds[0]: target UID 7 out of range"},
		{"duplicate bond target", func(in *Input) { in.Bonds[0] = []Bond{{2, 1}, {2, 1}} }, "Bonds[0]: duplicate target UID 2"},
		{"bond above one", func(in *Input) { in.Bonds[0] = []Bond{{2, One + 1}} }, "is above 1"},
		{"kappa above one", func(in *Input) { in.Params.Kappa = One + 1 }, "kappa"},
		{"moving average above one", func(in *Input) { in.Params.BondsMovingAverage = 1_000_001 }, "bonds_moving_average"},
		{"no validators", func(in *Input) { in.Params.MaxAllowedValidators = 0 }, "max_allowed_validators"},
		{"zero tempo", func(in *Input) { in.Params.Tempo = 0 }, "tempo"},
		{"alpha bounds crossed", func(in *Input) { in.Params.AlphaLow = One }, "alpha_low"},
		{"too many UIDs", func(in *Input) { in.Stake = make([]uint64, MaxUIDs+1) }, "more than 65536"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := twoValidators()
			tt.modify(&in)
			_, err := Run(in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestRunAcceptsUnsortedRowsWithoutChangingThem checks that unsorted rows give the same
// result as sorted ones and that Run leaves the caller's rows as they were.
func TestRunAcceptsUnsortedRowsWithoutChangingThem(t *testing.T) {
	sorted := twoValidators()
	unsorted := twoValidators()
	unsorted.Weights[1] = ws(3, 1, 2, 3)
	unsorted.Bonds[0] = []Bond{{3, One / 2}, {2, One}}
	sorted.Bonds[0] = []Bond{{2, One}, {3, One / 2}}
	a, b := mustRun(t, sorted), mustRun(t, unsorted)
	if digest(a) != digest(b) {
		t.Fatal("unsorted rows changed the result")
	}
	if unsorted.Weights[1][0].UID != 3 || unsorted.Bonds[0][0].UID != 3 {
		t.Fatal("Run sorted the caller's rows in place")
	}
}
