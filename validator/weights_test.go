package validator

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestComputeWeights(t *testing.T) {
	tests := []struct {
		name       string
		scores     map[uint32]float64
		pads       []uint32
		minAllowed uint32
		size       uint32
		limit      uint32
		wantUIDs   []uint32
		wantValues []uint32
		wantErr    error
	}{
		{name: "max-upscaled", scores: map[uint32]float64{3: 0.9, 1: 0.45}, minAllowed: 1, size: 4, limit: u16Max,
			wantUIDs: []uint32{1, 3}, wantValues: []uint32{32768, 65535}},
		{name: "a tiny score keeps a non-zero weight", scores: map[uint32]float64{0: 1, 1: 1e-9}, minAllowed: 1, size: 2, limit: u16Max,
			wantUIDs: []uint32{0, 1}, wantValues: []uint32{65535, 1}},
		{name: "zero scores are left out", scores: map[uint32]float64{0: 0.5, 1: 0, 2: 0.25}, minAllowed: 1, size: 3, limit: u16Max,
			wantUIDs: []uint32{0, 2}, wantValues: []uint32{65535, 32768}},
		{name: "nothing scored", scores: map[uint32]float64{0: 0, 1: 0}, minAllowed: 1, size: 2, limit: u16Max, wantErr: errNoScores},
		{name: "padded to min_allowed_weights in pad order", scores: map[uint32]float64{2: 0.5}, pads: []uint32{4, 0, 1},
			minAllowed: 3, size: 5, limit: u16Max, wantUIDs: []uint32{0, 2, 4}, wantValues: []uint32{1, 65535, 1}},
		{name: "pads skip scored UIDs", scores: map[uint32]float64{2: 0.5, 0: 0.5}, pads: []uint32{2, 0, 1},
			minAllowed: 3, size: 3, limit: u16Max, wantUIDs: []uint32{0, 1, 2}, wantValues: []uint32{65535, 1, 65535}},
		{name: "min_allowed_weights above the subnet size counts the subnet", scores: map[uint32]float64{0: 1}, pads: []uint32{1},
			minAllowed: 8, size: 2, limit: u16Max, wantUIDs: []uint32{0, 1}, wantValues: []uint32{65535, 1}},
		{name: "too few UIDs to pad", scores: map[uint32]float64{0: 1}, minAllowed: 3, size: 5, limit: u16Max, wantErr: errTooFewWeights},
		{name: "max_weight_limit clips the best", scores: map[uint32]float64{0: 1, 1: 0.1, 2: 0.1, 3: 0.1}, minAllowed: 1, size: 4,
			limit: 32767, wantUIDs: []uint32{0, 1, 2, 3}},
		{name: "max_weight_limit needs more scored miners", scores: map[uint32]float64{0: 1, 1: 1}, pads: []uint32{2, 3},
			minAllowed: 1, size: 4, limit: 16384, wantErr: errTooFewWeights},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row, err := computeWeights(tc.scores, tc.pads, tc.minAllowed, tc.size, tc.limit)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(row.UIDs, tc.wantUIDs) {
				t.Fatalf("uids = %v, want %v", row.UIDs, tc.wantUIDs)
			}
			if tc.wantValues != nil && !slices.Equal(row.Values, tc.wantValues) {
				t.Fatalf("values = %v, want %v", row.Values, tc.wantValues)
			}
			if err := chainCheck(row, tc.minAllowed, tc.size, tc.limit); err != nil {
				t.Fatalf("the chain would refuse %v: %v", row, err)
			}
		})
	}
}

// chainCheck applies x/subnet's weight checks (keeper.checkWeights) to a
// row: UIDs unique and in range, values u16, enough non-zero weights after
// max-upscaling, none above max_weight_limit of the row.
func chainCheck(row weightRow, minAllowed, size, limit uint32) error {
	if len(row.UIDs) != len(row.Values) {
		return errors.New("lengths differ")
	}
	var top uint64
	for i, u := range row.UIDs {
		if u >= size || (i > 0 && row.UIDs[i-1] >= u) || row.Values[i] > u16Max {
			return errors.New("bad uid or value")
		}
		top = max(top, uint64(row.Values[i]))
	}
	var sum uint64
	var n uint32
	up := make([]uint64, len(row.Values))
	for i, v := range row.Values {
		up[i] = uint64(v) * u16Max / top
		sum += up[i]
		if up[i] > 0 {
			n++
		}
	}
	if n < min(minAllowed, size) {
		return errors.New("too few non-zero weights")
	}
	for _, w := range up {
		if limit < u16Max && w*u16Max > uint64(limit)*sum {
			return errors.New("weight above max_weight_limit")
		}
	}
	return nil
}

// TestComputeWeightsProperties checks random score sets: every row passes
// the chain's checks, and a better score never gets a smaller weight.
func TestComputeWeightsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		size := uint32(1 + rng.IntN(256))
		scores := make(map[uint32]float64)
		for u := range size {
			if rng.IntN(3) > 0 {
				scores[u] = rng.Float64()
			}
		}
		pads := make([]uint32, 0, size)
		for u := range size {
			pads = append(pads, u)
		}
		minAllowed := uint32(rng.IntN(int(size) + 2))
		limit := uint32(u16Max)
		if rng.IntN(2) == 0 {
			limit = uint32(1 + rng.IntN(u16Max))
		}
		row, err := computeWeights(scores, pads, minAllowed, size, limit)
		if errors.Is(err, errNoScores) || errors.Is(err, errTooFewWeights) {
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if err := chainCheck(row, minAllowed, size, limit); err != nil {
			t.Fatalf("case %d (limit %d): the chain would refuse the row: %v", i, limit, err)
		}
		for a := range row.UIDs {
			for b := range row.UIDs {
				if scores[row.UIDs[a]] > scores[row.UIDs[b]] && row.Values[a] < row.Values[b] {
					t.Fatalf("case %d: uid %d scored %v > uid %d scored %v but weighs %d < %d", i,
						row.UIDs[a], scores[row.UIDs[a]], row.UIDs[b], scores[row.UIDs[b]], row.Values[a], row.Values[b])
				}
			}
		}
	}
}
