package yuma

import (
	"math/bits"
	"slices"
)

// splitEmission pays the epoch's emission: miner j gets E * I_j / (sum I + sum D) and
// validator i gets E * D_i / (sum I + sum D). When nobody earned anything (no weights,
// outdated weights, only self-weights) validators are paid by active stake, or by stake
// when no stake is active, as in subtensor; when there is no stake at all the UIDs share
// equally, so the split always sums exactly to the emission.
func (e *epoch) splitEmission() {
	n := e.n
	parts := make([]uint64, 0, 2*n)
	for _, v := range e.out.Incentive {
		parts = append(parts, uint64(v))
	}
	for _, v := range e.out.Dividends {
		parts = append(parts, uint64(v))
	}
	var amounts []uint64
	switch {
	case sum64(parts) != 0:
		amounts = splitExact(e.in.Emission, parts)
	case e.stakeTotal != 0:
		amounts = append(make([]uint64, n), splitExact(e.in.Emission, e.stake)...)
	default:
		amounts = append(make([]uint64, n), splitExact(e.in.Emission, fallbackShares(e.in.Stake))...)
	}
	for i := range n {
		e.out.MinerEmission[i] = amounts[i]
		e.out.ValidatorEmission[i] = amounts[n+i]
		e.out.Emission[i] = amounts[i] + amounts[n+i]
	}
}

// fallbackShares returns the stakes shifted so their total fits in 64 bits (the shifted
// total is then at least 2^63, so it stays non-zero), or equal shares when there is no
// stake.
func fallbackShares(stake []uint64) []uint64 {
	var total u128
	for _, s := range stake {
		total = total.add64(s)
	}
	shares := make([]uint64, len(stake))
	shift := total.fitShift()
	for i, s := range stake {
		shares[i] = s >> shift
		if total.isZero() {
			shares[i] = 1
		}
	}
	return shares
}

// sum64 adds values whose total is known to fit in 64 bits.
func sum64(xs []uint64) uint64 {
	var s uint64
	for _, x := range xs {
		s += x
	}
	return s
}

// splitExact divides amount in proportion to shares (whose sum must be non-zero and fit
// in 64 bits) with the largest-remainder method: everyone gets the floor of their exact
// share, and the units left over go one each to the largest remainders, ties to the
// lower index. The result sums to amount exactly.
func splitExact(amount uint64, shares []uint64) []uint64 {
	total := sum64(shares)
	out := make([]uint64, len(shares))
	if total == 0 {
		return out
	}
	d := newDivisor(total)
	type rem struct {
		r uint64
		i int
	}
	var rems []rem
	left := amount
	for i, s := range shares {
		hi, lo := bits.Mul64(amount, s)
		q := d.quo(hi, lo)
		out[i] = q
		left -= q
		if r := lo - q*total; r != 0 {
			rems = append(rems, rem{r, i})
		}
	}
	slices.SortFunc(rems, func(a, b rem) int {
		if a.r != b.r {
			if a.r > b.r {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	for k := 0; left > 0 && k < len(rems); k++ {
		out[rems[k].i]++
		left--
	}
	return out
}
