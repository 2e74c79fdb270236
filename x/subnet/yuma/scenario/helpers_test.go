package scenario

import "github.com/tensorcosm/tensorcosm/x/subnet/yuma"

// Helpers shared by this package's tests. gen and randomInput draw the same kind of
// epochs as the yuma package's property tests (gen_test.go there), which a test outside
// package yuma cannot reach.

// gen is a SplitMix64 generator: tiny, seedable and defined only in terms of uint64
// arithmetic, so the same seed draws the same inputs on 386 and amd64.
type gen struct{ s uint64 }

func (g *gen) u64() uint64 {
	g.s += 0x9E3779B97F4A7C15
	z := g.s
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// intn returns a number in [0, n) for n > 0.
func (g *gen) intn(n int) int { return int(g.u64() % uint64(n)) }

// chance is true with probability num/den.
func (g *gen) chance(num, den int) bool { return g.intn(den) < num }

// fixed returns a Fixed in [0, One).
func (g *gen) fixed() yuma.Fixed { return yuma.Fixed(g.u64() & uint64(yuma.One-1)) }

// stake draws zero, small, medium and huge stakes.
func (g *gen) stake() uint64 {
	switch g.intn(5) {
	case 0:
		return 0
	case 1:
		return uint64(g.intn(4))
	case 2:
		return g.u64() >> (g.intn(64))
	default:
		return g.u64() >> 16
	}
}

// randomParams draws hyperparameters over their whole ranges.
func randomParams(g *gen, n int) yuma.Params {
	lo, hi := g.fixed(), g.fixed()
	if lo > hi {
		lo, hi = hi, lo
	}
	return yuma.Params{
		Kappa:                 g.fixed(),
		BondsMovingAverage:    uint64(g.intn(yuma.BondsMovingAverageScale + 1)),
		BondsPenalty:          g.fixed(),
		ActivityCutoff:        uint64(g.intn(50)),
		MaxAllowedValidators:  uint16(1 + g.intn(n+2)),
		Tempo:                 uint64(1 + g.intn(20)),
		Yuma3:                 g.chance(1, 2),
		LiquidAlpha:           g.chance(1, 2),
		AlphaLow:              lo,
		AlphaHigh:             hi,
		AlphaSigmoidSteepness: int16(g.intn(6001) - 3000),
	}
}

// randomInput draws a valid epoch input with n UIDs: active and inactive, permitted and
// not, fresh and re-registered UIDs, sparse weights and bonds.
func randomInput(g *gen, n int) yuma.Input {
	in := yuma.Input{
		Block:           100 + uint64(g.intn(100)),
		Stake:           make([]uint64, n),
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]yuma.Weight, n),
		Bonds:           make([][]yuma.Bond, n),
		Emission:        g.u64() >> g.intn(64),
		Params:          randomParams(g, n),
	}
	for i := range n {
		in.Stake[i] = g.stake()
		switch g.intn(4) {
		case 0:
			in.RegisteredAt[i] = in.Block - uint64(g.intn(30))
		case 1:
			in.RegisteredAt[i] = in.Block
		}
		in.LastUpdate[i] = max(in.RegisteredAt[i], in.Block-uint64(g.intn(60)))
		if in.RegisteredAt[i] > 0 && g.chance(1, 10) {
			in.LastUpdate[i] = in.RegisteredAt[i] - 1 // a row left by the previous hotkey
		}
		in.ValidatorPermit[i] = g.chance(2, 3)
		for j := range n {
			if g.chance(1, 2) {
				in.Weights[i] = append(in.Weights[i], yuma.Weight{UID: uint16(j), Value: uint16(g.u64() >> (48 + g.intn(17)))})
			}
			if g.chance(1, 3) {
				in.Bonds[i] = append(in.Bonds[i], yuma.Bond{UID: uint16(j), Value: min(yuma.One, g.fixed()+yuma.Fixed(g.intn(2))*(yuma.One/2))})
			}
		}
	}
	if g.chance(1, 3) {
		in.HasOwner, in.OwnerUID = true, uint16(g.intn(n))
	}
	return in
}

// ws builds a weight row from (uid, weight) pairs.
func ws(pairs ...uint16) []yuma.Weight {
	row := make([]yuma.Weight, 0, len(pairs)/2)
	for k := 0; k+1 < len(pairs); k += 2 {
		row = append(row, yuma.Weight{UID: pairs[k], Value: pairs[k+1]})
	}
	return row
}

// near reports whether got is within ulps units of want.
func near(got, want yuma.Fixed, ulps uint64) bool {
	if got > want {
		return uint64(got-want) <= ulps
	}
	return uint64(want-got) <= ulps
}

// ratio is num/den as a Fixed, for expectations written as fractions.
func ratio(num, den uint64) yuma.Fixed {
	f, _ := yuma.FromRatio(num, den)
	return f
}

// mustFixed parses a decimal written in a test.
func mustFixed(s string) yuma.Fixed {
	f, err := yuma.ParseFixed(s)
	if err != nil {
		panic(err)
	}
	return f
}
