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

// vote is one validator's weight on a column with the active stake behind it.
type vote struct {
	w     Fixed
	stake uint64
}

// computeConsensus sets C_j, the largest weight w such that validators holding at least
// kappa of the active stake gave j a weight of at least w (subtensor's stake-weighted
// median generalised to kappa). Stakes are compared as integers against
// ceil(kappa * total), so ties at exactly kappa resolve the same way everywhere.
func (e *epoch) computeConsensus() {
	cv := newColumnVotes(e)
	theta := kappaThreshold(e.p.Kappa, e.stakeTotal)
	for j0 := 0; j0 < e.n; {
		j1 := cv.block(j0)
		for j := j0; j < j1; j++ {
			e.out.Consensus[j] = weightedQuantile(cv.column(j0, j), theta)
		}
		j0 = j1
	}
}

// voteBlock is the number of votes transposed at once: 64 KiB, well inside L2.
const voteBlock = 1 << 12

// columnVotes transposes the weight rows of the validators with active stake into
// per-column votes, a block of columns at a time, so that the scattered writes of the
// transposition stay within a cache-sized buffer.
type columnVotes struct {
	e      *epoch
	voters []int  // rows with active stake
	start  []int  // start[j]: number of votes in the columns before j
	cursor []int  // per voter, its first entry not yet transposed
	next   []int  // per column of the block, where its next vote goes
	buf    []vote // the block's votes, column after column
}

func newColumnVotes(e *epoch) *columnVotes {
	cv := &columnVotes{e: e, start: make([]int, e.n+1), next: make([]int, e.n)}
	for i, s := range e.stake {
		if s != 0 {
			cv.voters = append(cv.voters, i)
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
	cv.buf = make([]vote, max(voteBlock, widest))
	cv.cursor = make([]int, len(cv.voters))
	return cv
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
		k, s := cv.cursor[v], cv.e.stake[i]
		for ; k < len(cols); k++ {
			c := cols[k]
			if int(c) >= j1 {
				break
			}
			p := cv.next[c]
			cv.buf[p] = vote{vals[k], s}
			cv.next[c] = p + 1
		}
		cv.cursor[v] = k
	}
	return j1
}

// column returns the votes of column j in the block that starts at j0.
func (cv *columnVotes) column(j0, j int) []vote {
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
// gave nothing then form the quantile). Weights are positive. It reorders v. It is a
// quickselect with a median-of-three pivot and branch-free partitions, expected
// O(len(v)); after O(log len(v)) rounds without finishing it sorts what is left, so the
// worst case stays O(len(v) log len(v)).
func weightedQuantile(v []vote, theta uint64) Fixed {
	var above uint64 // stake of votes already known to lie above the remaining ones
	for rounds := 2*bits.Len(uint(len(v))) + 4; len(v) > 0; rounds-- {
		if len(v) <= 12 || rounds == 0 {
			return sortedQuantile(v, theta, above)
		}
		p := medianOfThree(v[0].w, v[len(v)/2].w, v[len(v)-1].w)
		gt, sgt := partitionAbove(v, p)
		if gt > 0 && above+sgt >= theta {
			v = v[:gt]
			continue
		}
		rest := v[gt:]
		eq, seq := partitionAbove(rest, p-1) // in rest, w > p-1 means w == p
		if above+sgt+seq >= theta {
			return p
		}
		above += sgt + seq
		v = rest[eq:]
	}
	return 0
}

// partitionAbove moves the votes with w > p to the front, keeping the others behind
// them, and returns their count and stake. The loop has no data-dependent branch
// (Lomuto's scheme with an unconditional swap), which matters on random weights.
func partitionAbove(v []vote, p Fixed) (int, uint64) {
	a := 0
	var s uint64
	for i := range v {
		x := v[i]
		var gt int
		if x.w > p {
			gt = 1
		}
		v[i] = v[a]
		v[a] = x
		s += x.stake & -uint64(gt)
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
func sortedQuantile(v []vote, theta, above uint64) Fixed {
	slices.SortFunc(v, func(a, b vote) int {
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return 0
	})
	for k := 0; k < len(v); {
		w := v[k].w
		for ; k < len(v) && v[k].w == w; k++ {
			above += v[k].stake
		}
		if above >= theta {
			return w
		}
	}
	return 0
}
