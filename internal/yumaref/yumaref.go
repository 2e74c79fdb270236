// Package yumaref is a plain float64 implementation of one Yuma epoch, with the
// semantics of x/subnet/yuma (its README, "Departures from subtensor" included). It is
// written the way subtensor's epoch_dense is: every matrix is a dense n x n float64
// matrix (flat, row-major) and every step a straightforward loop over it. Steps that
// produce a matrix also take its column sums, and a matrix whose old values are no
// longer needed is overwritten in place, as one would write it; there are no sparse
// shortcuts, no goroutines, no vectorisation.
//
// It exists to check the fixed-point engine (the differential test in x/subnet/yuma) and
// to time it against an ordinary implementation (BenchmarkEngine, make bench). It uses
// floats, so it lives outside x/ and the chain never runs it.
package yumaref

import (
	"slices"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// Output is yuma.Output in float64: fractions as float64, bonds as one dense n x n
// row-major matrix, emissions unrounded.
type Output struct {
	Active, ValidatorPermit []bool
	Consensus, Trust        []float64
	ValidatorTrust, Rank    []float64
	Incentive, Dividends    []float64
	Bonds                   []float64 // Bonds[i*n+j] is validator i's bond on UID j
	MinerEmission           []float64
	ValidatorEmission       []float64
}

// F converts a fixed-point value to float64.
func F(x yuma.Fixed) float64 { return float64(x) / float64(yuma.One) }

// Run computes one epoch of in. The input must be valid (as yuma.Run accepts it).
func Run(in yuma.Input) Output {
	n, p := len(in.Stake), in.Params
	o := Output{Active: make([]bool, n)}
	recent := make([]bool, n)
	since := satSub(in.Block, p.Tempo)
	raw := make([]float64, n) // stake of active UIDs with a permit
	for i := range n {
		o.Active[i] = satAdd(in.LastUpdate[i], p.ActivityCutoff) >= in.Block
		recent[i] = in.RegisteredAt[i] > since
		if o.Active[i] && in.ValidatorPermit[i] {
			raw[i] = float64(in.Stake[i])
		}
	}
	sa := normalize(raw)
	o.ValidatorPermit = permits(in.Stake, int(p.MaxAllowedValidators))

	w := weights(in)
	o.Consensus = consensus(w, raw, F(p.Kappa))
	// Clip at consensus, sum trust and ranks, and turn w into the bond weights
	// Wb = W - penalty * (W - clipped W) in place.
	o.ValidatorTrust = make([]float64, n)
	o.Rank = make([]float64, n)
	prerank := make([]float64, n)
	beta := F(p.BondsPenalty)
	for i := range n {
		for j := range n {
			k := i*n + j
			wc := min(w[k], o.Consensus[j])
			o.ValidatorTrust[i] += wc
			o.Rank[j] += wc * sa[i]
			prerank[j] += w[k] * sa[i]
			w[k] -= beta * (w[k] - wc)
		}
	}
	o.Trust = make([]float64, n)
	for j := range n {
		if prerank[j] > 0 {
			o.Trust[j] = o.Rank[j] / prerank[j]
		}
	}
	o.Incentive = normalize(o.Rank)

	old, oldSum := oldBonds(in, recent)
	if p.Yuma3 {
		o.Dividends = yuma3Bonds(p, w, old, sa, o.Consensus, o.Incentive)
	} else {
		o.Dividends = defaultBonds(p, w, old, oldSum, sa, o.Incentive)
	}
	o.Bonds = old
	for i := range n {
		if !o.ValidatorPermit[i] {
			clear(o.Bonds[i*n : (i+1)*n])
		}
	}
	o.MinerEmission, o.ValidatorEmission = emission(in, o.Incentive, o.Dividends, raw)
	return o
}

// permits gives permits to the k UIDs with the most non-zero stake; as in subtensor's
// stable ascending sort, equal stakes favour the higher UID.
func permits(stake []uint64, k int) []bool {
	idx := make([]int, len(stake))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case stake[a] < stake[b]:
			return -1
		case stake[a] > stake[b]:
			return 1
		}
		return 0
	})
	permit := make([]bool, len(stake))
	for r, i := range idx {
		permit[i] = stake[i] > 0 && r >= len(stake)-k
	}
	return permit
}

// weights returns the masked, row-normalised weight matrix of permitted validators.
func weights(in yuma.Input) []float64 {
	n := len(in.Stake)
	w := make([]float64, n*n)
	if in.Weights == nil {
		return w
	}
	for i := range n {
		if !in.ValidatorPermit[i] || in.LastUpdate[i] < in.RegisteredAt[i] {
			continue
		}
		row := w[i*n : (i+1)*n]
		owner := in.HasOwner && int(in.OwnerUID) == i
		sum := 0.0
		for _, e := range in.Weights[i] {
			j := int(e.UID)
			if (i != j || owner) && in.LastUpdate[i] > in.RegisteredAt[j] {
				row[j] = float64(e.Value)
				sum += row[j]
			}
		}
		if sum > 0 {
			for j := range row {
				row[j] /= sum
			}
		}
	}
	return w
}

type vote struct{ w, stake float64 }

// consensus returns, per column, the largest weight that validators holding at least
// kappa of the active stake gave at least: the column's positive votes sorted by weight,
// walked down until their stake reaches kappa of the total.
func consensus(w, stake []float64, kappa float64) []float64 {
	n := len(stake)
	total := 0.0
	for _, s := range stake {
		total += s
	}
	c := make([]float64, n)
	var votes []vote
	for j := range n {
		votes = votes[:0]
		for i := range n {
			if stake[i] > 0 && w[i*n+j] > 0 {
				votes = append(votes, vote{w[i*n+j], stake[i]})
			}
		}
		slices.SortFunc(votes, func(a, b vote) int {
			switch {
			case a.w > b.w:
				return -1
			case a.w < b.w:
				return 1
			}
			return 0
		})
		cum := 0.0
		for k := 0; k < len(votes); {
			x := votes[k].w
			for ; k < len(votes) && votes[k].w == x; k++ {
				cum += votes[k].stake
			}
			if total > 0 && cum >= kappa*total {
				c[j] = x
				break
			}
		}
	}
	return c
}

// oldBonds returns the previous bonds as a dense matrix, without the rows and columns
// of UIDs registered since the previous epoch, and its column sums.
func oldBonds(in yuma.Input, recent []bool) ([]float64, []float64) {
	n := len(in.Stake)
	b, sum := make([]float64, n*n), make([]float64, n)
	if in.Bonds == nil {
		return b, sum
	}
	for i := range n {
		if recent[i] {
			continue
		}
		for _, e := range in.Bonds[i] {
			if !recent[e.UID] {
				b[i*n+int(e.UID)] = F(e.Value)
				sum[e.UID] += F(e.Value)
			}
		}
	}
	return b, sum
}

// defaultBonds computes B = col_norm(alpha col_norm(Wb Sa) + (1 - alpha) col_norm(B_old))
// into old, with each column scaled to a maximum of 1, and returns the dividends B I,
// normalised.
func defaultBonds(p yuma.Params, wb, old, oldSum, sa, inc []float64) []float64 {
	n := len(sa)
	alpha := 1 - float64(p.BondsMovingAverage)/yuma.BondsMovingAverageScale
	deltaSum := make([]float64, n)
	for i := range n {
		for j := range n {
			deltaSum[j] += wb[i*n+j] * sa[i]
		}
	}
	// column normalisations multiply by the column sum's inverse (0 for an
	// empty column)
	invDelta, invOld := inverses(deltaSum), inverses(oldSum)
	emaSum, colMax := make([]float64, n), make([]float64, n)
	for i := range n {
		for j := range n {
			k := i*n + j
			old[k] = alpha*wb[k]*sa[i]*invDelta[j] + (1-alpha)*old[k]*invOld[j]
			emaSum[j] += old[k]
			colMax[j] = max(colMax[j], old[k])
		}
	}
	invEma, invMax := inverses(emaSum), inverses(colMax)
	div := make([]float64, n)
	for i := range n {
		for j := range n {
			k := i*n + j
			div[i] += old[k] * invEma[j] * inc[j]
			old[k] *= invMax[j]
		}
	}
	return normalize(div)
}

// yuma3Bonds computes B_ij = min(1, (1 - a_ij) B_old_ij + a_ij Wb_ij) into old and
// returns the dividends, proportional to Sa_i sum_j col_norm(B)_ij I_j.
func yuma3Bonds(p yuma.Params, wb, old, sa, cons, inc []float64) []float64 {
	n := len(sa)
	alpha := 1 - float64(p.BondsMovingAverage)/yuma.BondsMovingAverageScale
	liquid := false
	for _, c := range cons {
		liquid = liquid || (p.LiquidAlpha && c > 0)
	}
	emaSum := make([]float64, n)
	for i := range n {
		for j := range n {
			k := i*n + j
			a := alpha
			if liquid {
				a = liquidAlpha(p, cons[j], wb[k], old[k])
			}
			old[k] = min(1, (1-a)*old[k]+a*wb[k])
			emaSum[j] += old[k]
		}
	}
	invEma := inverses(emaSum)
	div := make([]float64, n)
	for i := range n {
		t := 0.0
		for j := range n {
			t += old[i*n+j] * invEma[j] * inc[j]
		}
		div[i] = t * sa[i]
	}
	return normalize(div)
}

// liquidAlpha is the per-bond EMA rate alpha_low + (alpha_high - alpha_low) *
// sigmoid(steepness/100 * (diff - 1/2)).
func liquidAlpha(p yuma.Params, c, w, b float64) float64 {
	var diff float64
	if w >= b {
		diff = max(0, w-c)
	} else {
		diff = b - w
	}
	lo, hi := F(p.AlphaLow), F(p.AlphaHigh)
	return lo + Sigmoid(p.AlphaSigmoidSteepness, diff)*(hi-lo)
}

// emission splits in.Emission in proportion to incentive and dividends, or, when both
// are zero, to active stake, to stake, or equally.
func emission(in yuma.Input, inc, div, active []float64) ([]float64, []float64) {
	n := len(inc)
	e := float64(in.Emission)
	miner, val := make([]float64, n), make([]float64, n)
	if sum := total(inc) + total(div); sum > 0 {
		for i := range n {
			miner[i] = e * inc[i] / sum
			val[i] = e * div[i] / sum
		}
		return miner, val
	}
	shares := normalize(active)
	if total(shares) == 0 {
		all := make([]float64, n)
		for i, s := range in.Stake {
			all[i] = float64(s)
		}
		shares = normalize(all)
	}
	if total(shares) == 0 {
		for i := range shares {
			shares[i] = 1 / float64(n)
		}
	}
	for i := range n {
		val[i] = e * shares[i]
	}
	return miner, val
}
