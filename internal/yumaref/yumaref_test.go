package yumaref

import (
	"math"
	"testing"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// TestOneValidator checks a hand-computed epoch: validator 0 (stake 1, the only one
// with a permit) weights miners 1 and 2 by 1 : 3. With one validator consensus is its
// own row (0.25, 0.75), nothing is clipped (trust 1), the incentive is the row, every
// bonds column holds only validator 0 (bond 1 after normalising), so its dividends are
// 1; the emission of 1000 splits by I / (sum I + sum D) = I / 2 and D / 2.
func TestOneValidator(t *testing.T) {
	in := yuma.Input{
		Block:           10,
		Stake:           []uint64{1, 0, 0},
		LastUpdate:      []uint64{10, 10, 10},
		RegisteredAt:    []uint64{0, 0, 0},
		ValidatorPermit: []bool{true, false, false},
		Weights:         [][]yuma.Weight{{{UID: 1, Value: 1}, {UID: 2, Value: 3}}, nil, nil},
		Emission:        1000,
		Params:          yuma.DefaultParams(),
	}
	o := Run(in)
	checks := []struct {
		name      string
		got, want []float64
	}{
		{"consensus", o.Consensus, []float64{0, 0.25, 0.75}},
		{"trust", o.Trust, []float64{0, 1, 1}},
		{"validator trust", o.ValidatorTrust, []float64{1, 0, 0}},
		{"incentive", o.Incentive, []float64{0, 0.25, 0.75}},
		{"dividends", o.Dividends, []float64{1, 0, 0}},
		{"bonds", o.Bonds, []float64{0, 1, 1, 0, 0, 0, 0, 0, 0}},
		{"miner emission", o.MinerEmission, []float64{0, 125, 375}},
		{"validator emission", o.ValidatorEmission, []float64{500, 0, 0}},
	}
	for _, c := range checks {
		for i := range c.want {
			if math.Abs(c.got[i]-c.want[i]) > 1e-12 {
				t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				break
			}
		}
	}
	if !o.ValidatorPermit[0] || o.ValidatorPermit[1] || o.ValidatorPermit[2] {
		t.Errorf("permits %v, want only UID 0", o.ValidatorPermit)
	}
}
