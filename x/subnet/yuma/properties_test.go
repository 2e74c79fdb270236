package yuma

import (
	"slices"
	"testing"
)

const propertyCases = 3000

// sumFixed adds Fixed shares.
func sumFixed(xs []Fixed) Fixed {
	var s Fixed
	for _, x := range xs {
		s += x
	}
	return s
}

// sumsToOne allows each of the n normalised shares to have been rounded down once.
func sumsToOne(xs []Fixed) bool {
	s := sumFixed(xs)
	return s <= One && One-s <= Fixed(len(xs))
}

// forRandomInputs runs f on propertyCases random inputs and their outputs.
func forRandomInputs(t *testing.T, seed uint64, f func(c int, in Input, out Output)) {
	t.Helper()
	g := &gen{s: seed}
	for c := range propertyCases {
		in := randomInput(g, 1+g.intn(32))
		out, err := Run(in)
		if err != nil {
			t.Fatalf("case %d: %v", c, err)
		}
		f(c, in, out)
	}
}

// TestPropertyIncentiveSumsToOne: incentive is rank normalised, so it sums to one as soon
// as any UID has rank, i.e. a permitted, active, staked validator's weight survives
// clipping at a non-zero consensus; with no consensus anywhere there is no incentive.
// (That a lone permitted validator's weights are consensus is TestPropertyMajority.)
func TestPropertyIncentiveSumsToOne(t *testing.T) {
	forRandomInputs(t, 11, func(c int, in Input, out Output) {
		anyRank := slices.ContainsFunc(out.Rank, func(r Fixed) bool { return r > 0 })
		anyConsensus := slices.ContainsFunc(out.Consensus, func(r Fixed) bool { return r > 0 })
		switch {
		case anyRank && !sumsToOne(out.Incentive):
			t.Fatalf("case %d: incentive sums to %s with non-zero rank", c, sumFixed(out.Incentive))
		case !anyConsensus && sumFixed(out.Incentive) != 0:
			t.Fatalf("case %d: incentive %s without consensus", c, sumFixed(out.Incentive))
		}
	})
}

// TestPropertyDividendsSumToOne: dividends are normalised, so they sum to one as soon as
// some bond sits on a UID with incentive (in Yuma3, held by a validator with active
// stake). Shares below 2^-20 are left out of the premise: their product can round to 0.
func TestPropertyDividendsSumToOne(t *testing.T) {
	const small = One >> 20
	forRandomInputs(t, 12, func(c int, in Input, out Output) {
		paid := false
		for i, row := range out.Bonds {
			for _, b := range row {
				paid = paid || (b.Value >= small && out.Incentive[b.UID] >= small && (!in.Params.Yuma3 || activeShare(in, out, i) >= small))
			}
		}
		if paid && !sumsToOne(out.Dividends) {
			t.Fatalf("case %d: dividends sum to %s with bonds on incentive", c, sumFixed(out.Dividends))
		}
		if s := sumFixed(out.Dividends); s != 0 && !sumsToOne(out.Dividends) {
			t.Fatalf("case %d: dividends sum to %s", c, s)
		}
	})
}

// activeShare is UID i's share of the active stake, recomputed from the input.
func activeShare(in Input, out Output, i int) Fixed {
	var total u128
	for k, s := range in.Stake {
		if out.Active[k] && in.ValidatorPermit[k] {
			total = total.add64(s)
		}
	}
	if !out.Active[i] || !in.ValidatorPermit[i] || total.isZero() {
		return 0
	}
	sh := total.fitShift()
	return newDivisor(total.shr(sh)).frac(in.Stake[i] >> sh)
}

// TestPropertyConsensusBounded: consensus is one of the weights a validator gave the UID
// (or 0), so it never exceeds the largest normalised weight in its column.
func TestPropertyConsensusBounded(t *testing.T) {
	forRandomInputs(t, 13, func(c int, in Input, out Output) {
		e := prepare(t, in)
		maxW := make([]Fixed, e.n)
		for i := range e.n {
			cols, vals := e.w.row(i)
			for k, col := range cols {
				maxW[col] = max(maxW[col], vals[k])
			}
		}
		for j, cj := range out.Consensus {
			if cj > maxW[j] {
				t.Fatalf("case %d: consensus[%d] = %s above the largest weight %s", c, j, cj, maxW[j])
			}
		}
	})
}

// TestPropertyTrust: trust is a share in [0, 1]; it is exactly 1 for a UID that some
// active, staked validator weights and none is clipped on, and 0 for a UID that no such
// validator weights.
func TestPropertyTrust(t *testing.T) {
	forRandomInputs(t, 17, func(c int, in Input, out Output) {
		e := prepare(t, in)
		weighted, clipped := make([]bool, e.n), make([]bool, e.n)
		for i := range e.n {
			if e.deltaStake[i] == 0 {
				continue // no active stake, or too little to survive the shift
			}
			cols, vals := e.w.row(i)
			for k, j := range cols {
				weighted[j] = true
				clipped[j] = clipped[j] || vals[k] > out.Consensus[j]
			}
		}
		for j, tj := range out.Trust {
			switch {
			case tj > One:
				t.Fatalf("case %d: trust[%d] = %s above one", c, j, tj)
			case weighted[j] && !clipped[j] && tj != One:
				t.Fatalf("case %d: trust[%d] = %s, want 1: nobody is clipped on it", c, j, tj)
			case !weighted[j] && tj != 0:
				t.Fatalf("case %d: trust[%d] = %s, want 0: no active stake weights it", c, j, tj)
			}
		}
	})
}

// TestPropertyTrustOneWhenValidatorsAgree: when every validator submits the same row
// (on UIDs without a permit, so no self-weight is masked), consensus is that row and
// nobody is clipped, so every UID the row names has trust 1 and the others 0.
func TestPropertyTrustOneWhenValidatorsAgree(t *testing.T) {
	g := &gen{s: 18}
	for c := range propertyCases {
		n := 1 + g.intn(32)
		in := randomInput(g, n)
		var row []Weight
		for j := range n {
			if !in.ValidatorPermit[j] && g.chance(1, 2) {
				row = append(row, Weight{UID: uint16(j), Value: uint16(1 + g.intn(65535))})
			}
		}
		staked := false
		for i := range n {
			in.RegisteredAt[i], in.LastUpdate[i], in.Weights[i] = 0, in.Block, row
			staked = staked || (in.ValidatorPermit[i] && in.Stake[i] > 0)
		}
		out, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]Fixed, n)
		for _, w := range row {
			if staked {
				want[w.UID] = One
			}
		}
		if !slices.Equal(out.Trust, want) {
			t.Fatalf("case %d: trust %v, want %v", c, out.Trust, want)
		}
	}
}

// TestPropertyEmissionIsExact: the split always pays out exactly the epoch's emission,
// and every fraction stays within [0, 1].
func TestPropertyEmissionIsExact(t *testing.T) {
	forRandomInputs(t, 14, func(c int, in Input, out Output) {
		var total u128
		for i, e := range out.Emission {
			total = total.add64(e)
			if e != out.MinerEmission[i]+out.ValidatorEmission[i] {
				t.Fatalf("case %d: emission[%d] is not the sum of its parts", c, i)
			}
		}
		if total != (u128{lo: in.Emission}) {
			t.Fatalf("case %d: paid %v of %d", c, total, in.Emission)
		}
		for _, v := range [][]Fixed{out.Consensus, out.Trust, out.ValidatorTrust, out.Rank, out.Incentive, out.Dividends} {
			if slices.ContainsFunc(v, func(x Fixed) bool { return x > One }) {
				t.Fatalf("case %d: a fraction above one: %v", c, v)
			}
		}
		for _, row := range out.Bonds {
			if slices.ContainsFunc(row, func(b Bond) bool { return b.Value > One || b.Value == 0 }) {
				t.Fatalf("case %d: bond outside (0, 1]: %v", c, row)
			}
		}
	})
}

// TestPropertyMajority: with kappa >= 1/2, a validator holding more than kappa of the
// active stake alone sets consensus to its own weights (the others together hold less
// than 1 - kappa <= kappa, so they can neither lift nor lower it).
func TestPropertyMajority(t *testing.T) {
	g := &gen{s: 15}
	for c := range propertyCases {
		n := 2 + g.intn(30)
		in := randomInput(g, n)
		v := g.intn(n)
		in.Params.Kappa = One/2 + g.fixed()/2
		for i := range in.Stake {
			in.Stake[i] >>= 24 // others hold less than 2^40 each
		}
		in.Stake[v] = 1 << 62
		in.ValidatorPermit[v], in.LastUpdate[v], in.RegisteredAt[v] = true, in.Block, 0
		e := prepare(t, in)
		out, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]Fixed, n)
		cols, vals := e.w.row(v)
		for k, col := range cols {
			want[col] = vals[k]
		}
		if !slices.Equal(out.Consensus, want) {
			t.Fatalf("case %d: consensus %v, want validator %d's weights %v", c, out.Consensus, v, want)
		}
	}
}

// TestPropertyPermutation: relabelling the UIDs relabels every output. Stakes are made
// distinct so that no top-k tie is broken by UID; the emission may then still differ
// by one unit where largest-remainder ties are broken by index.
func TestPropertyPermutation(t *testing.T) {
	g := &gen{s: 16}
	for c := range propertyCases {
		n := 1 + g.intn(32)
		in := randomInput(g, n)
		for i := range in.Stake {
			in.Stake[i] = in.Stake[i]&^0xFFFF | uint64(i+1) // distinct in the low bits
		}
		perm := permutation(g, n)
		a, errA := Run(in)
		b, errB := Run(permuteInput(in, perm))
		if errA != nil || errB != nil {
			t.Fatalf("case %d: %v %v", c, errA, errB)
		}
		if diff := comparePermuted(a, b, perm); diff != "" {
			t.Fatalf("case %d (n=%d): %s", c, n, diff)
		}
	}
}

func permutation(g *gen, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := g.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// permuteInput moves UID i to perm[i], in every vector and inside every row.
func permuteInput(in Input, perm []int) Input {
	n := len(in.Stake)
	out := in
	out.Stake, out.LastUpdate, out.RegisteredAt = make([]uint64, n), make([]uint64, n), make([]uint64, n)
	out.ValidatorPermit, out.Weights, out.Bonds = make([]bool, n), make([][]Weight, n), make([][]Bond, n)
	for i, p := range perm {
		out.Stake[p], out.LastUpdate[p], out.RegisteredAt[p] = in.Stake[i], in.LastUpdate[i], in.RegisteredAt[i]
		out.ValidatorPermit[p] = in.ValidatorPermit[i]
		for _, w := range in.Weights[i] {
			out.Weights[p] = append(out.Weights[p], Weight{uint16(perm[w.UID]), w.Value})
		}
		for _, b := range in.Bonds[i] {
			out.Bonds[p] = append(out.Bonds[p], Bond{uint16(perm[b.UID]), b.Value})
		}
	}
	out.OwnerUID = uint16(perm[in.OwnerUID%uint16(n)])
	return out
}

func comparePermuted(a, b Output, perm []int) string {
	for i, p := range perm {
		if a.Active[i] != b.Active[p] || a.ValidatorPermit[i] != b.ValidatorPermit[p] {
			return "active or permit differs"
		}
		for _, v := range [][2][]Fixed{{a.Consensus, b.Consensus}, {a.Trust, b.Trust}, {a.ValidatorTrust, b.ValidatorTrust}, {a.Rank, b.Rank}, {a.Incentive, b.Incentive}, {a.Dividends, b.Dividends}} {
			if v[0][i] != v[1][p] {
				return "a fraction differs"
			}
		}
		if !slices.Equal(permuteRow(a.Bonds[i], perm), b.Bonds[p]) {
			return "bonds differ"
		}
		if d := int64(a.Emission[i] - b.Emission[p]); d > 1 || d < -1 {
			return "emission differs by more than one unit"
		}
	}
	return ""
}

func permuteRow(row []Bond, perm []int) []Bond {
	out := make([]Bond, len(row))
	for k, b := range row {
		out[k] = Bond{uint16(perm[b.UID]), b.Value}
	}
	slices.SortFunc(out, cmpBond)
	if len(out) == 0 {
		return nil
	}
	return out
}
