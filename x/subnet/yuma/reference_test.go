package yuma

import (
	"math"
	"sort"
)

// This file is the plain float64 reference: a dense n x n transcription of the epoch as
// subtensor's epoch_dense writes it, with this package's documented semantics (README,
// "Departures from subtensor"). It is deliberately naive; the differential test checks
// the fixed-point engine against it and the benchmarks time the two side by side.

type refOutput struct {
	active, permit                                               []bool
	consensus, trust, validatorTrust, rank, incentive, dividends []float64
	bonds                                                        [][]float64
	minerEmission, validatorEmission                             []float64
}

func fl(x Fixed) float64 { return float64(x) / float64(One) }

func refMatrix(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

func refNormalize(x []float64) []float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	out := make([]float64, len(x))
	if s == 0 {
		return out
	}
	for i, v := range x {
		out[i] = v / s
	}
	return out
}

func refColNormalize(m [][]float64) {
	n := len(m)
	for j := range n {
		s := 0.0
		for i := range n {
			s += m[i][j]
		}
		if s == 0 {
			continue
		}
		for i := range n {
			m[i][j] /= s
		}
	}
}

func refRun(in Input) refOutput {
	n, p := len(in.Stake), in.Params
	o := refOutput{active: make([]bool, n)}
	recent := make([]bool, n)
	since := satSub(in.Block, p.Tempo)
	for i := range n {
		o.active[i] = satAdd(in.LastUpdate[i], p.ActivityCutoff) >= in.Block
		recent[i] = in.RegisteredAt[i] > since
	}
	raw := make([]float64, n)
	for i := range n {
		if o.active[i] && in.ValidatorPermit[i] {
			raw[i] = float64(in.Stake[i])
		}
	}
	sa := refNormalize(raw)
	o.permit = refPermits(in.Stake, int(p.MaxAllowedValidators))
	w := refWeights(in)
	o.consensus = refConsensus(w, raw, fl(p.Kappa))
	wc := refMatrix(n)
	o.validatorTrust = make([]float64, n)
	rank, prerank := make([]float64, n), make([]float64, n)
	for i := range n {
		for j := range n {
			wc[i][j] = math.Min(w[i][j], o.consensus[j])
			o.validatorTrust[i] += wc[i][j]
			rank[j] += wc[i][j] * sa[i]
			prerank[j] += w[i][j] * sa[i]
		}
	}
	o.rank = rank
	o.trust = make([]float64, n)
	for j := range n {
		if prerank[j] > 0 {
			o.trust[j] = rank[j] / prerank[j]
		}
	}
	o.incentive = refNormalize(rank)
	wb := refMatrix(n)
	beta := fl(p.BondsPenalty)
	for i := range n {
		for j := range n {
			wb[i][j] = w[i][j] + beta*(wc[i][j]-w[i][j])
		}
	}
	old := refOldBonds(in, recent)
	if p.Yuma3 {
		o.bonds, o.dividends = refYuma3(p, wb, old, sa, o.consensus, o.incentive)
	} else {
		o.bonds, o.dividends = refDefaultBonds(p, wb, old, sa, o.incentive)
	}
	for i := range n {
		if !o.permit[i] {
			o.bonds[i] = make([]float64, n)
		}
	}
	o.minerEmission, o.validatorEmission = refEmission(in, o.incentive, o.dividends, raw)
	return o
}

func refPermits(stake []uint64, k int) []bool {
	idx := make([]int, len(stake))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return stake[idx[a]] < stake[idx[b]] })
	permit := make([]bool, len(stake))
	for r, i := range idx {
		permit[i] = stake[i] > 0 && r >= len(stake)-k
	}
	return permit
}

func refWeights(in Input) [][]float64 {
	n := len(in.Stake)
	w := refMatrix(n)
	for i := range n {
		if !in.ValidatorPermit[i] || in.LastUpdate[i] < in.RegisteredAt[i] || in.Weights == nil {
			continue
		}
		for _, e := range in.Weights[i] {
			j := int(e.UID)
			self := i == j && !(in.HasOwner && int(in.OwnerUID) == i)
			if !self && in.LastUpdate[i] > in.RegisteredAt[j] {
				w[i][j] = float64(e.Value)
			}
		}
		w[i] = refNormalize(w[i])
	}
	return w
}

// refConsensus sorts each column's positive weights by value and walks down until the
// stake behind them reaches kappa of the active stake.
func refConsensus(w [][]float64, stake []float64, kappa float64) []float64 {
	n := len(w)
	total := 0.0
	for _, s := range stake {
		total += s
	}
	c := make([]float64, n)
	for j := range n {
		type v struct{ w, s float64 }
		var votes []v
		for i := range n {
			if stake[i] > 0 && w[i][j] > 0 {
				votes = append(votes, v{w[i][j], stake[i]})
			}
		}
		sort.Slice(votes, func(a, b int) bool { return votes[a].w > votes[b].w })
		cum := 0.0
		for k := 0; k < len(votes); {
			x := votes[k].w
			for ; k < len(votes) && votes[k].w == x; k++ {
				cum += votes[k].s
			}
			if total > 0 && cum >= kappa*total {
				c[j] = x
				break
			}
		}
	}
	return c
}

func refOldBonds(in Input, recent []bool) [][]float64 {
	n := len(in.Stake)
	b := refMatrix(n)
	if in.Bonds == nil {
		return b
	}
	for i := range n {
		if recent[i] {
			continue
		}
		for _, e := range in.Bonds[i] {
			if !recent[e.UID] {
				b[i][e.UID] = fl(e.Value)
			}
		}
	}
	return b
}

func refDefaultBonds(p Params, wb, old [][]float64, sa, inc []float64) ([][]float64, []float64) {
	n := len(wb)
	alpha := 1 - float64(p.BondsMovingAverage)/BondsMovingAverageScale
	refColNormalize(old)
	delta := refMatrix(n)
	for i := range n {
		for j := range n {
			delta[i][j] = wb[i][j] * sa[i]
		}
	}
	refColNormalize(delta)
	ema := refMatrix(n)
	for i := range n {
		for j := range n {
			ema[i][j] = alpha*delta[i][j] + (1-alpha)*old[i][j]
		}
	}
	refColNormalize(ema)
	div := make([]float64, n)
	for i := range n {
		for j := range n {
			div[i] += ema[i][j] * inc[j]
		}
	}
	for j := range n {
		mx := 0.0
		for i := range n {
			mx = math.Max(mx, ema[i][j])
		}
		for i := range n {
			if mx > 0 {
				ema[i][j] /= mx
			}
		}
	}
	return ema, refNormalize(div)
}

func refYuma3(p Params, wb, old [][]float64, sa, cons, inc []float64) ([][]float64, []float64) {
	n := len(wb)
	alpha := 1 - float64(p.BondsMovingAverage)/BondsMovingAverageScale
	liquid := false
	for _, c := range cons {
		liquid = liquid || (p.LiquidAlpha && c > 0)
	}
	ema := refMatrix(n)
	for i := range n {
		for j := range n {
			a := alpha
			if liquid {
				a = refLiquidAlpha(p, cons[j], wb[i][j], old[i][j])
			}
			ema[i][j] = math.Min(1, (1-a)*old[i][j]+a*wb[i][j])
		}
	}
	norm := refMatrix(n)
	for i := range n {
		copy(norm[i], ema[i])
	}
	refColNormalize(norm)
	div := make([]float64, n)
	for i := range n {
		t := 0.0
		for j := range n {
			t += norm[i][j] * inc[j]
		}
		div[i] = t * sa[i]
	}
	return ema, refNormalize(div)
}

func refSigmoid(steep int16, d float64) float64 {
	return 1 / (1 + math.Exp(-float64(steep)/100*(d-0.5)))
}

func refLiquidAlpha(p Params, c, w, b float64) float64 {
	diff := 0.0
	if w >= b {
		diff = math.Max(0, w-c)
	} else {
		diff = b - w
	}
	lo, hi := fl(p.AlphaLow), fl(p.AlphaHigh)
	return lo + refSigmoid(p.AlphaSigmoidSteepness, diff)*(hi-lo)
}

func refEmission(in Input, inc, div, active []float64) ([]float64, []float64) {
	n := len(inc)
	e := float64(in.Emission)
	miner, val := make([]float64, n), make([]float64, n)
	sum := 0.0
	for i := range n {
		sum += inc[i] + div[i]
	}
	if sum > 0 {
		for i := range n {
			miner[i] = e * inc[i] / sum
			val[i] = e * div[i] / sum
		}
		return miner, val
	}
	shares := refNormalize(active)
	if sum64f(shares) == 0 {
		all := make([]float64, n)
		for i, s := range in.Stake {
			all[i] = float64(s)
		}
		shares = refNormalize(all)
	}
	if sum64f(shares) == 0 {
		for i := range shares {
			shares[i] = 1 / float64(n)
		}
	}
	for i := range n {
		val[i] = e * shares[i]
	}
	return miner, val
}

func sum64f(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}
