package yuma_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/tensorcosm/tensorcosm/internal/yumaref"
	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// TestDifferentialAgainstFloat runs the engine and the plain float64 implementation
// (internal/yumaref) on random inputs of every mode and requires every fraction to agree
// within 1e-6 and every emission within 1e-6 of the epoch's emission (plus two units for
// the integer split).
func TestDifferentialAgainstFloat(t *testing.T) {
	const cases = 5000
	next := yuma.RandomInputs(20260101, 40)
	for c := range cases {
		in := next()
		out, err := yuma.Run(in)
		if err != nil {
			t.Fatalf("case %d: Run: %v", c, err)
		}
		if diff := compareWithReference(in, out, yumaref.Run(in)); diff != "" {
			t.Fatalf("case %d (n=%d, yuma3=%v, liquid=%v): %s", c, len(in.Stake), in.Params.Yuma3, in.Params.LiquidAlpha, diff)
		}
	}
}

// TestDifferentialBenchShapes compares the engine with the reference on the steady-state
// epochs that BenchmarkEngine times (the smallest shape, dense and sparse), so the
// reference timed there computes the same thing.
func TestDifferentialBenchShapes(t *testing.T) {
	s := yuma.BenchSizes[0]
	for _, dense := range []bool{true, false} {
		in := yuma.BenchInput(s.Uids, s.Validators, dense)
		out, err := yuma.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := compareWithReference(in, out, yumaref.Run(in)); diff != "" {
			t.Fatalf("dense=%v: %s", dense, diff)
		}
	}
}

// compareWithReference returns a description of the first disagreement, or "".
func compareWithReference(in yuma.Input, got yuma.Output, want yumaref.Output) string {
	const tol = 1e-6
	n := len(in.Stake)
	for i := range n {
		if got.Active[i] != want.Active[i] || got.ValidatorPermit[i] != want.ValidatorPermit[i] {
			return fmt.Sprintf("uid %d: active/permit %v/%v, want %v/%v", i, got.Active[i], got.ValidatorPermit[i], want.Active[i], want.ValidatorPermit[i])
		}
	}
	vecs := []struct {
		name string
		got  []yuma.Fixed
		want []float64
	}{
		{"consensus", got.Consensus, want.Consensus},
		{"trust", got.Trust, want.Trust},
		{"validator_trust", got.ValidatorTrust, want.ValidatorTrust},
		{"rank", got.Rank, want.Rank},
		{"incentive", got.Incentive, want.Incentive},
		{"dividends", got.Dividends, want.Dividends},
	}
	for _, v := range vecs {
		for i := range n {
			if d := math.Abs(yumaref.F(v.got[i]) - v.want[i]); d > tol {
				return fmt.Sprintf("%s[%d] = %.12f, want %.12f", v.name, i, yumaref.F(v.got[i]), v.want[i])
			}
		}
	}
	for i := range n {
		row := make([]float64, n)
		for _, b := range got.Bonds[i] {
			row[b.UID] = yumaref.F(b.Value)
		}
		for j := range n {
			if d := math.Abs(row[j] - want.Bonds[i*n+j]); d > tol {
				return fmt.Sprintf("bonds[%d][%d] = %.12f, want %.12f", i, j, row[j], want.Bonds[i*n+j])
			}
		}
	}
	etol := tol*float64(in.Emission) + 2
	for i := range n {
		if d := math.Abs(float64(got.MinerEmission[i]) - want.MinerEmission[i]); d > etol {
			return fmt.Sprintf("miner emission[%d] = %d, want %.1f", i, got.MinerEmission[i], want.MinerEmission[i])
		}
		if d := math.Abs(float64(got.ValidatorEmission[i]) - want.ValidatorEmission[i]); d > etol {
			return fmt.Sprintf("validator emission[%d] = %d, want %.1f", i, got.ValidatorEmission[i], want.ValidatorEmission[i])
		}
	}
	return ""
}
