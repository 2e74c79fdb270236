package yuma

// gen is a SplitMix64 generator: tiny, seedable and defined only in terms of uint64
// arithmetic, so the same seed draws the same inputs on 386 and amd64 (math/rand's
// helpers that return int are not guaranteed to).
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
func (g *gen) fixed() Fixed { return Fixed(g.u64() & fracMask) }

// stake draws zero, small, medium and huge stakes, so that totals above 2^64 and exact
// ties both occur.
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
func randomParams(g *gen, n int) Params {
	lo, hi := g.fixed(), g.fixed()
	if lo > hi {
		lo, hi = hi, lo
	}
	return Params{
		Kappa:                 g.fixed(),
		BondsMovingAverage:    uint64(g.intn(BondsMovingAverageScale + 1)),
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

// randomInput draws a valid epoch input with n UIDs: a mix of active and inactive,
// permitted and not, fresh and re-registered UIDs, sparse weights and bonds.
func randomInput(g *gen, n int) Input {
	in := Input{
		Block:           100 + uint64(g.intn(100)),
		Stake:           make([]uint64, n),
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]Weight, n),
		Bonds:           make([][]Bond, n),
		Emission:        g.u64() >> g.intn(64),
		Params:          randomParams(g, n),
	}
	for i := range n {
		in.Stake[i] = g.stake()
		in.RegisteredAt[i] = randomRegistration(g, in.Block)
		in.LastUpdate[i] = max(in.RegisteredAt[i], in.Block-uint64(g.intn(60)))
		if in.RegisteredAt[i] > 0 && g.chance(1, 10) {
			in.LastUpdate[i] = in.RegisteredAt[i] - 1 // a row left by the previous hotkey
		}
		in.ValidatorPermit[i] = g.chance(2, 3)
		in.Weights[i] = randomWeights(g, n)
		in.Bonds[i] = randomBonds(g, n)
	}
	if g.chance(1, 3) {
		in.HasOwner, in.OwnerUID = true, uint16(g.intn(n))
	}
	return in
}

func randomRegistration(g *gen, block uint64) uint64 {
	switch g.intn(4) {
	case 0:
		return block - uint64(g.intn(30))
	case 1:
		return block
	default:
		return 0
	}
}

func randomWeights(g *gen, n int) []Weight {
	var row []Weight
	for j := range n {
		if g.chance(1, 2) {
			row = append(row, Weight{UID: uint16(j), Value: uint16(g.u64() >> (48 + g.intn(17)))})
		}
	}
	return row
}

func randomBonds(g *gen, n int) []Bond {
	var row []Bond
	for j := range n {
		if g.chance(1, 3) {
			row = append(row, Bond{UID: uint16(j), Value: min(One, g.fixed()+Fixed(g.intn(2))*(One/2))})
		}
	}
	return row
}
