package yuma

import (
	"math/bits"
	"slices"
)

// csr is a sparse matrix in compressed sparse row form: row i holds the columns
// col[start[i]:start[i+1]], sorted ascending, with values val[start[i]:start[i+1]].
type csr struct {
	start []int
	col   []uint16
	val   []Fixed
}

func (m *csr) row(i int) ([]uint16, []Fixed) {
	a, b := m.start[i], m.start[i+1]
	return m.col[a:b], m.val[a:b]
}

// A vote is one validator's weight on a column packed into a uint64: the weight minus
// one (weights are positive and at most One = 2^48, so 48 bits) above the validator's
// index among the voters (16 bits). Packed votes are half the size of a (weight, stake)
// pair, which halves the memory the transposition writes and the partitions move;
// weights still order as the packed values do.
const (
	voterBits = 16
	voterMask = 1<<voterBits - 1
)

func packVote(w Fixed, voter int) uint64 { return uint64(w-1)<<voterBits | uint64(voter) }

func voteWeight(v uint64) Fixed { return Fixed(v>>voterBits) + 1 }

func voteVoter(v uint64) int { return int(v & voterMask) }

// consensusAndRank sets C_j, the largest weight w such that validators holding at least
// kappa of the active stake gave j a weight of at least w (subtensor's stake-weighted
// median generalised to kappa), and, while a column's votes are at hand, clips them and
// adds up the column's rank, trust and bonds-delta sums (see clipAndRank). Stakes are
// compared as integers against ceil(kappa * total), so ties at exactly kappa resolve the
// same way everywhere.
func (e *epoch) consensusAndRank() {
	cv := newColumnVotes(e)
	r := newRanker(e)
	vs := cv.voterShares()
	theta := kappaThreshold(e.p.Kappa, e.stakeTotal)
	for j0 := 0; j0 < e.n; {
		j1 := cv.block(j0)
		for j := j0; j < j1; j++ {
			votes := cv.column(j0, j)
			c := weightedQuantile(votes, cv.stake, theta)
			e.out.Consensus[j] = c
			r.column(j, c, votes, vs)
		}
		j0 = j1
	}
	for v, i := range cv.voters {
		e.out.ValidatorTrust[i] = vs.trust[v]
	}
	e.clipAndRank(r, cv.isVoter)
}

// voteBlock is the number of votes transposed at once: 64 KiB, well inside L2.
const voteBlock = 1 << 13

// columnVotes transposes the weight rows of the validators with active stake into
// per-column votes, a block of columns at a time, so that the scattered writes of the
// transposition stay within a cache-sized buffer.
type columnVotes struct {
	e       *epoch
	voters  []int    // rows with active stake
	stake   []uint64 // per voter, its active stake
	isVoter []bool   // per row
	start   []int    // start[j]: number of votes in the columns before j
	cursor  []int    // per voter, its first entry not yet transposed
	next    []int    // per column of the block, where its next vote goes
	buf     []uint64 // the block's packed votes, column after column
}

func newColumnVotes(e *epoch) *columnVotes {
	cv := &columnVotes{e: e, start: make([]int, e.n+1), next: make([]int, e.n), isVoter: make([]bool, e.n)}
	for i, s := range e.stake {
		if s != 0 {
			cv.voters = append(cv.voters, i)
			cv.stake = append(cv.stake, s)
			cv.isVoter[i] = true
			cols, _ := e.w.row(i)
			for _, c := range cols {
				cv.start[int(c)+1]++
			}
		}
	}
	widest := 0
	for j := range e.n {
		widest = max(widest, cv.start[j+1])
		cv.start[j+1] += cv.start[j]
	}
	cv.buf = make([]uint64, max(voteBlock, widest))
	cv.cursor = make([]int, len(cv.voters))
	return cv
}

// voterShares returns the voters' active stake shares and integer stakes, by voter.
func (cv *columnVotes) voterShares() voterShares {
	vs := voterShares{
		share: make([]Fixed, len(cv.voters)),
		stake: make([]uint64, len(cv.voters)),
		trust: make([]Fixed, len(cv.voters)),
	}
	for v, i := range cv.voters {
		vs.share[v], vs.stake[v] = cv.e.sa[i], cv.e.deltaStake[i]
	}
	return vs
}

// block transposes the columns from j0 on that fit in the buffer (at least one) and
// returns the end of the block.
func (cv *columnVotes) block(j0 int) int {
	start := cv.start
	j1 := j0 + 1
	for j1 < len(start)-1 && start[j1+1]-start[j0] <= len(cv.buf) {
		j1++
	}
	for j := j0; j < j1; j++ {
		cv.next[j] = start[j] - start[j0]
	}
	for v, i := range cv.voters {
		cols, vals := cv.e.w.row(i)
		k := cv.cursor[v]
		for ; k < len(cols); k++ {
			c := cols[k]
			if int(c) >= j1 {
				break
			}
			p := cv.next[c]
			cv.buf[p] = packVote(vals[k], v)
			cv.next[c] = p + 1
		}
		cv.cursor[v] = k
	}
	return j1
}

// column returns the votes of column j in the block that starts at j0.
func (cv *columnVotes) column(j0, j int) []uint64 {
	return cv.buf[cv.start[j]-cv.start[j0] : cv.start[j+1]-cv.start[j0]]
}

// kappaThreshold returns ceil(kappa * total), the least stake that is at least kappa of
// total.
func kappaThreshold(kappa Fixed, total uint64) uint64 {
	hi, lo := bits.Mul64(uint64(kappa), total)
	t := hi<<(64-FracBits) | lo>>FracBits
	if lo&fracMask != 0 {
		t++
	}
	return t
}

// weightedQuantile returns the largest w among the votes such that the stake of the
// votes >= w is at least theta, or zero when no vote reaches it (the validators that
// gave nothing then form the quantile); stake[v] is voter v's stake. It reorders votes.
// It is a quickselect with a median-of-three pivot and branch-free partitions, expected
// O(len(votes)); after O(log len(votes)) rounds without finishing it sorts what is left,
// so the worst case stays O(len(votes) log len(votes)).
func weightedQuantile(votes, stake []uint64, theta uint64) Fixed {
	v := votes
	var above uint64 // stake of votes already known to lie above the remaining ones
	for rounds := 2*bits.Len(uint(len(v))) + 4; len(v) > 0; rounds-- {
		if len(v) <= 12 || rounds == 0 {
			return sortedQuantile(v, stake, theta, above)
		}
		p := medianOfThree(voteWeight(v[0]), voteWeight(v[len(v)/2]), voteWeight(v[len(v)-1]))
		gt, sgt := partitionAbove(v, stake, p)
		if gt > 0 && above+sgt >= theta {
			v = v[:gt]
			continue
		}
		rest := v[gt:]
		eq, seq := partitionAbove(rest, stake, p-1) // in rest, w > p-1 means w == p
		if above+sgt+seq >= theta {
			return p
		}
		above += sgt + seq
		v = rest[eq:]
	}
	return 0
}

// partitionAbove moves the votes with weight w > p to the front, keeping the others
// behind them, and returns their count and stake. The loop has no data-dependent branch
// (Lomuto's scheme with an unconditional swap), which matters on random weights. A
// packed vote has w > p exactly when its top 48 bits, w - 1, are at least p.
func partitionAbove(v, stake []uint64, p Fixed) (int, uint64) {
	a := 0
	var s uint64
	for i := range v {
		x := v[i]
		var gt int
		if Fixed(x>>voterBits) >= p {
			gt = 1
		}
		v[i] = v[a]
		v[a] = x
		s += stake[x&voterMask] & -uint64(gt)
		a += gt
	}
	return a, s
}

func medianOfThree(a, b, c Fixed) Fixed {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}

// sortedQuantile is weightedQuantile by sorting, for short or adversarial inputs.
func sortedQuantile(v, stake []uint64, theta, above uint64) Fixed {
	slices.Sort(v) // ascending weight: walk down from the end
	for k := len(v) - 1; k >= 0; {
		w := voteWeight(v[k])
		for ; k >= 0 && voteWeight(v[k]) == w; k-- {
			above += stake[voteVoter(v[k])]
		}
		if above >= theta {
			return w
		}
	}
	return 0
}
