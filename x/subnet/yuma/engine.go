package yuma

import (
	"math/bits"
	"slices"
)

// Run computes one epoch of Yuma consensus. It is a pure function of in: it does not
// modify in, and the same input gives bit-identical output on every platform. It
// returns an error, never panics, when the input is malformed.
func Run(in Input) (Output, error) {
	if err := in.validate(); err != nil {
		return Output{}, err
	}
	e, err := newEpoch(&in)
	if err != nil {
		return Output{}, err
	}
	e.activity()
	e.activeStake()
	e.permits()
	e.maskWeights()
	e.consensusAndRank()
	if in.Params.Yuma3 {
		e.bondsYuma3()
	} else {
		e.bondsDefault()
	}
	e.splitEmission()
	return e.out, nil
}

// epoch carries one Run's intermediate vectors; the step methods fill them in order.
type epoch struct {
	in      *Input
	p       Params
	n       int
	weights [][]Weight // sorted, validated rows
	bonds   [][]Bond   // sorted, validated rows

	recent []bool // registered after the previous epoch: bonds towards it are reset
	// oldSums are the column sums of the old bonds that survive the reset.
	oldSums []u128

	// raw holds the active stake of each UID: zero unless active and permitted.
	raw []uint64
	// stake is raw shifted right so that its total, stakeTotal, fits in 64 bits.
	stake      []uint64
	stakeTotal uint64
	sa         []Fixed // normalised active stake

	w csr // masked, row-normalised weights of permitted validators

	// deltaStake is raw shifted right so that its total stays below 2^66, and deltaSum
	// the column sums of the default-mode bonds delta Wb_ij * deltaStake_i (see
	// bondsDefault), accumulated by clipAndRank.
	deltaStake []uint64
	deltaSum   []u128

	out Output
}

func newEpoch(in *Input) (*epoch, error) {
	n := len(in.Stake)
	weights, err := sortedWeights(in.Weights, n)
	if err != nil {
		return nil, err
	}
	recent := recentUIDs(in)
	bonds, oldSums, err := sortedBonds(in.Bonds, n, recent)
	if err != nil {
		return nil, err
	}
	e := &epoch{in: in, p: in.Params, n: n, weights: weights, bonds: bonds, recent: recent, oldSums: oldSums}
	e.out = Output{
		Active:            make([]bool, n),
		ValidatorPermit:   make([]bool, n),
		Consensus:         make([]Fixed, n),
		Trust:             make([]Fixed, n),
		ValidatorTrust:    make([]Fixed, n),
		Rank:              make([]Fixed, n),
		Incentive:         make([]Fixed, n),
		Dividends:         make([]Fixed, n),
		Bonds:             make([][]Bond, n),
		MinerEmission:     make([]uint64, n),
		ValidatorEmission: make([]uint64, n),
		Emission:          make([]uint64, n),
	}
	return e, nil
}

// recentUIDs marks the UIDs registered since the previous epoch, whose bonds are reset.
func recentUIDs(in *Input) []bool {
	since := satSub(in.Block, in.Params.Tempo)
	recent := make([]bool, len(in.Stake))
	for i, r := range in.RegisteredAt {
		recent[i] = r > since
	}
	return recent
}

// activity marks UIDs whose last update is within the cutoff.
func (e *epoch) activity() {
	in := e.in
	for i := range e.n {
		e.out.Active[i] = satAdd(in.LastUpdate[i], e.p.ActivityCutoff) >= in.Block
	}
}

// activeStake keeps the stake of active UIDs that hold a permit from the previous epoch
// and normalises it. Totals above 2^64 are shifted down, which only rounds away stake
// below 2^-64 of the total.
func (e *epoch) activeStake() {
	var total u128
	e.raw = make([]uint64, e.n)
	for i, s := range e.in.Stake {
		if e.out.Active[i] && e.in.ValidatorPermit[i] {
			e.raw[i] = s
			total = total.add64(s)
		}
	}
	shift := total.fitShift()
	deltaShift := max(0, int(shift)-2)
	e.stake, e.deltaStake = make([]uint64, e.n), make([]uint64, e.n)
	for i, s := range e.raw {
		e.stake[i] = s >> shift
		e.deltaStake[i] = s >> deltaShift
		e.stakeTotal += e.stake[i]
	}
	e.sa = make([]Fixed, e.n)
	if e.stakeTotal == 0 {
		return
	}
	d := newDivisor(e.stakeTotal)
	for i, s := range e.stake {
		e.sa[i] = d.frac(s)
	}
}

// permits gives the next epoch's validator permits to the MaxAllowedValidators UIDs
// with the most stake, ignoring zero stake. As in subtensor (a stable ascending sort
// that drops the first n-k), equal stakes favour the higher UID.
func (e *epoch) permits() {
	cand := make([]int, 0, e.n)
	for i, s := range e.in.Stake {
		if s > 0 {
			cand = append(cand, i)
		}
	}
	k := int(e.p.MaxAllowedValidators)
	if len(cand) > k {
		stake := e.in.Stake
		slices.SortFunc(cand, func(a, b int) int {
			if stake[a] != stake[b] {
				if stake[a] > stake[b] {
					return -1
				}
				return 1
			}
			return b - a
		})
		cand = cand[:k]
	}
	for _, i := range cand {
		e.out.ValidatorPermit[i] = true
	}
}

// maskWeights keeps the weights of permitted validators, drops self-weights (except the
// owner's), weights set before their target registered, zero weights, and rows left by
// a previous hotkey, then normalises each row to sum to one (rounded down).
func (e *epoch) maskWeights() {
	in := e.in
	size := 0
	for i, row := range e.weights {
		if in.ValidatorPermit[i] {
			size += len(row)
		}
	}
	m := csr{start: make([]int, e.n+1), col: make([]uint16, size), val: make([]Fixed, size)}
	p := 0
	for i, row := range e.weights {
		m.start[i] = p
		updated := in.LastUpdate[i]
		if !in.ValidatorPermit[i] || updated < in.RegisteredAt[i] {
			continue
		}
		self := i // the diagonal entry to drop, none for the owner
		if in.HasOwner && int(in.OwnerUID) == i {
			self = -1
		}
		var sum uint64
		for _, w := range row {
			j := int(w.UID)
			if w.Value != 0 && j != self && updated > in.RegisteredAt[j] {
				m.col[p], m.val[p] = w.UID, Fixed(w.Value)
				sum += uint64(w.Value)
				p++
			}
		}
		normalizeRow(m.val[m.start[i]:p], sum)
	}
	m.start[e.n] = p
	m.col, m.val = m.col[:p], m.val[:p]
	e.w = m
}

// normalizeRow replaces raw u16 weights summing to sum by their exact shares, rounded
// down: floor(w * 2^48 / sum), where w * 2^48 fits in 64 bits.
func normalizeRow(vals []Fixed, sum uint64) {
	if sum == 0 {
		return
	}
	d := newDivisor64(sum)
	for k, v := range vals {
		vals[k] = Fixed(d.quo(uint64(v) << FracBits))
	}
}

// clipAndRank completes what consensusAndRank began column by column: each weight is
// clipped at its column's consensus, each validator's clipped weights sum to its trust,
// and the clipped weights times active stake sum to ranks, which normalised are the
// incentive. Rows outside the votes (no stake in consensus) are added here from the
// weight rows.
//
// The same sums, per column, add the clipped and the unclipped weights times the
// integer active stake (deltaStake, exact 128-bit products), whose ratio is the trust,
// and in the default bonds mode the bonds delta (deltaSum). With the default bonds
// penalty of one the bond weights are the clipped weights, so the delta is the clipped
// sum scaled to wide and needs no sum of its own. All sums are of integers, so the order
// of the terms does not change them.
func (e *epoch) clipAndRank(r *ranker, voted []bool) {
	for i := range e.n {
		if voted[i] {
			continue
		}
		cols, vals := e.w.row(i)
		if e.raw[i] == 0 {
			var vt Fixed
			for k, v := range vals {
				vt += min(v, r.cons[cols[k]])
			}
			e.out.ValidatorTrust[i] = vt
			continue
		}
		e.out.ValidatorTrust[i] = r.row(cols, vals, e.sa[i], e.deltaStake[i])
	}
	for j, rk := range r.rank {
		e.out.Rank[j] = wideToFixed(rk)
		e.out.Trust[j] = trustRatio(r.clipped[j], r.pre[j])
	}
	normalizeWide(r.rank, e.out.Incentive)
	switch {
	case r.delta != nil:
		e.deltaSum = r.delta
	case !e.p.Yuma3:
		for j, c := range r.clipped { // below 2^114, so the shift cannot overflow
			r.clipped[j] = c.shl(wideUp)
		}
		e.deltaSum = r.clipped
	}
}

// ranker holds clipAndRank's per-column sums: rank (wide), the clipped and the
// unclipped weights times the integer active stake, and the bonds delta (nil in Yuma3
// and when the bonds penalty is one).
type ranker struct {
	rank                []uint64
	clipped, pre, delta []u128
	cons                []Fixed
	pen                 Fixed
}

func newRanker(e *epoch) *ranker {
	r := &ranker{rank: make([]uint64, e.n), clipped: make([]u128, e.n), pre: make([]u128, e.n),
		cons: e.out.Consensus, pen: e.p.BondsPenalty}
	if !e.p.Yuma3 && r.pen != One {
		r.delta = make([]u128, e.n)
	}
	return r
}

// voterShares holds, by voter (see columnVotes), the active stake share, the integer
// active stake of the bonds delta, and the validator trust summed column by column.
type voterShares struct {
	share []Fixed
	stake []uint64
	trust []Fixed
}

// column adds the votes of column j, whose consensus is c.
func (r *ranker) column(j int, c Fixed, votes []uint64, vs voterShares) {
	var rank uint64
	var clipped, pre u128
	for _, x := range votes {
		v, w := voteVoter(x), voteWeight(x)
		wc := min(w, c)
		vs.trust[v] += wc
		rank += mulWide(wc, vs.share[v])
		ds := vs.stake[v]
		clipped = clipped.add(mul128(uint64(wc), ds))
		pre = pre.add(mul128(uint64(w), ds))
	}
	r.rank[j] += rank
	r.clipped[j] = r.clipped[j].add(clipped)
	r.pre[j] = r.pre[j].add(pre)
	if r.delta != nil {
		var d u128
		for _, x := range votes {
			d = d.add(mul128(bondWeightWide(voteWeight(x), c, r.pen), vs.stake[voteVoter(x)]))
		}
		r.delta[j] = r.delta[j].add(d)
	}
}

// row adds one validator's row with active stake share s and integer stake ds, and
// returns its validator trust. The loop is duplicated so that the common case skips
// the delta without a branch per entry.
func (r *ranker) row(cols []uint16, vals []Fixed, s Fixed, ds uint64) Fixed {
	var vt Fixed
	if r.delta == nil {
		for k, v := range vals {
			c := cols[k]
			wc := min(v, r.cons[c])
			vt += wc
			r.rank[c] += mulWide(wc, s)
			r.clipped[c] = r.clipped[c].add(mul128(uint64(wc), ds))
			r.pre[c] = r.pre[c].add(mul128(uint64(v), ds))
		}
		return vt
	}
	for k, v := range vals {
		c := cols[k]
		cc := r.cons[c]
		wc := min(v, cc)
		vt += wc
		r.rank[c] += mulWide(wc, s)
		r.clipped[c] = r.clipped[c].add(mul128(uint64(wc), ds))
		r.pre[c] = r.pre[c].add(mul128(uint64(v), ds))
		r.delta[c] = r.delta[c].add(mul128(bondWeightWide(v, cc, r.pen), ds))
	}
	return vt
}

// trustRatio returns clipped/pre, the trust of a UID from its stake-weighted clipped and
// unclipped weights (clipped <= pre): One exactly when nothing was clipped, zero when
// pre is zero, otherwise rounded down after shifting both right until pre fits in 64
// bits (a relative change below 2^-63).
func trustRatio(clipped, pre u128) Fixed {
	switch {
	case pre.isZero():
		return 0
	case clipped == pre:
		return One
	}
	s := pre.fitShift()
	d, x := pre.shr(s), clipped.shr(s)
	q, _ := bits.Div64(x>>(64-FracBits), x<<FracBits, d) // x <= d, so x>>16 < d
	return Fixed(q)
}

// bondWeight interpolates between the weight and the clipped weight by the bonds
// penalty: w - penalty*(w - min(w, consensus)), which stays within [clipped, w].
func (e *epoch) bondWeight(j uint16, w Fixed) Fixed {
	c := e.out.Consensus[j]
	if w <= c {
		return w
	}
	return w - mulFixed(e.p.BondsPenalty, w-c)
}

// bondWeightWide is bondWeight with 62 fractional bits, from the exact value
// (w*One - penalty*(w - c)) / One, so that a small (1 - penalty) times a small weight
// keeps its relative precision through the column normalisation of the bonds delta.
// It is small enough for the compiler to inline, and branch-free for the default
// penalty of one, where it is min(w, c).
func bondWeightWide(w, c, penalty Fixed) uint64 {
	if penalty == One || w <= c {
		return uint64(min(w, c)) << wideUp
	}
	return interpolateWide(w, c, penalty)
}

// interpolateWide returns w - penalty*(w - c) with 62 fractional bits, for c < w.
func interpolateWide(w, c, penalty Fixed) uint64 {
	p := mul128(uint64(penalty), uint64(w-c))
	lo, borrow := bits.Sub64(uint64(w)<<FracBits, p.lo, 0)
	hi := uint64(w)>>(64-FracBits) - p.hi - borrow
	return u128{hi, lo}.shr(2*FracBits - wideBits)
}

// normalizeWide writes xs/sum(xs) into out, rounded down; all zero if the sum is zero.
// The sum of wide values must stay below 2^64, which holds for sums of shares.
func normalizeWide(xs []uint64, out []Fixed) {
	var sum uint64
	for _, x := range xs {
		sum += x
	}
	if sum == 0 {
		return
	}
	d := newDivisor(sum)
	for i, x := range xs {
		out[i] = d.frac(x)
	}
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint64(0)
}

func satSub(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return 0
}
