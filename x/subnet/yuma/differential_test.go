package yuma

import (
	"fmt"
	"math"
	"testing"
)

// TestDifferentialAgainstFloat runs the engine and the float64 reference on random
// inputs and requires every fraction to agree within 1e-6 and every emission within
// 1e-6 of the epoch's emission (plus two units for the integer split).
func TestDifferentialAgainstFloat(t *testing.T) {
	const cases = 5000
	g := &gen{s: 20260101}
	for c := range cases {
		n := 1 + g.intn(40)
		in := randomInput(g, n)
		out, err := Run(in)
		if err != nil {
			t.Fatalf("case %d: Run: %v", c, err)
		}
		if diff := compareWithReference(in, out, refRun(in)); diff != "" {
			t.Fatalf("case %d (n=%d, yuma3=%v, liquid=%v): %s", c, n, in.Params.Yuma3, in.Params.LiquidAlpha, diff)
		}
	}
}

// compareWithReference returns a description of the first disagreement, or "".
func compareWithReference(in Input, got Output, want refOutput) string {
	const tol = 1e-6
	n := len(in.Stake)
	for i := range n {
		if got.Active[i] != want.active[i] || got.ValidatorPermit[i] != want.permit[i] {
			return fmt.Sprintf("uid %d: active/permit %v/%v, want %v/%v", i, got.Active[i], got.ValidatorPermit[i], want.active[i], want.permit[i])
		}
	}
	vecs := []struct {
		name string
		got  []Fixed
		want []float64
	}{
		{"consensus", got.Consensus, want.consensus},
		{"trust", got.Trust, want.trust},
		{"validator_trust", got.ValidatorTrust, want.validatorTrust},
		{"rank", got.Rank, want.rank},
		{"incentive", got.Incentive, want.incentive},
		{"dividends", got.Dividends, want.dividends},
	}
	for _, v := range vecs {
		for i := range n {
			if d := math.Abs(fl(v.got[i]) - v.want[i]); d > tol {
				return fmt.Sprintf("%s[%d] = %.12f, want %.12f", v.name, i, fl(v.got[i]), v.want[i])
			}
		}
	}
	for i := range n {
		row := denseRow(got.Bonds[i], n)
		for j := range n {
			if d := math.Abs(row[j] - want.bonds[i][j]); d > tol {
				return fmt.Sprintf("bonds[%d][%d] = %.12f, want %.12f", i, j, row[j], want.bonds[i][j])
			}
		}
	}
	etol := tol*float64(in.Emission) + 2
	for i := range n {
		if d := math.Abs(float64(got.MinerEmission[i]) - want.minerEmission[i]); d > etol {
			return fmt.Sprintf("miner emission[%d] = %d, want %.1f", i, got.MinerEmission[i], want.minerEmission[i])
		}
		if d := math.Abs(float64(got.ValidatorEmission[i]) - want.validatorEmission[i]); d > etol {
			return fmt.Sprintf("validator emission[%d] = %d, want %.1f", i, got.ValidatorEmission[i], want.validatorEmission[i])
		}
	}
	return ""
}

func denseRow(row []Bond, n int) []float64 {
	out := make([]float64, n)
	for _, b := range row {
		out[b.UID] = fl(b.Value)
	}
	return out
}
