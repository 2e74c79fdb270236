package validator

import (
	"errors"
	"fmt"
	"math"
	"slices"

	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// u16Max is the largest weight value.
const u16Max = subnettypes.U16Max

var (
	// errNoScores means no miner has a positive score: there is nothing to
	// reward, and uniform weights would pay miners that do not work.
	errNoScores = errors.New("no miner has a positive score yet")
	// errTooFewWeights means the subnet's weight rules cannot be met with
	// the UIDs there are.
	errTooFewWeights = errors.New("too few UIDs to meet the subnet's weight rules")
)

// weightRow is a weight vector as committed: UIDs ascending, u16 values.
type weightRow struct {
	UIDs   []uint32
	Values []uint32
}

// computeWeights turns scores (UID -> score in [0, 1]) into u16 weights
// that pass the chain's checks:
//
//   - UIDs with a positive score get max-upscaled weights: the best gets
//     65535, UID j gets ceil(65535 * s_j / s_max) (never rounded to zero);
//   - when fewer than min(minAllowed, subnetSize) UIDs have a positive score,
//     UIDs from pads (in that order) are added with the smallest weight, 1;
//   - when maxWeightLimit < 65535, scores are clipped at a level c chosen so
//     that no weight exceeds maxWeightLimit/65535 of the row's sum (the
//     clipped UIDs share the top weight), as the chain checks after
//     max-upscaling.
func computeWeights(scores map[uint32]float64, pads []uint32, minAllowed, subnetSize, maxWeightLimit uint32) (weightRow, error) {
	x := make(map[uint32]float64, len(scores))
	for uid, s := range scores {
		if s > 0 && !math.IsInf(s, 0) {
			x[uid] = s
		}
	}
	if len(x) == 0 {
		return weightRow{}, errNoScores
	}
	positive := len(x)
	need := int(min(minAllowed, subnetSize))
	for _, uid := range pads {
		if len(x) >= need {
			break
		}
		if _, ok := x[uid]; !ok {
			x[uid] = 0
		}
	}
	if len(x) < need {
		return weightRow{}, fmt.Errorf("%w: min_allowed_weights needs %d, there are %d", errTooFewWeights, need, len(x))
	}
	limit := float64(min(maxWeightLimit, u16Max)) / u16Max
	if float64(positive)*limit < 1 {
		return weightRow{}, fmt.Errorf("%w: max_weight_limit %d/65535 needs at least %d scored miners, there are %d",
			errTooFewWeights, maxWeightLimit, int(math.Ceil(1/limit)), positive)
	}
	return quantize(x, limit)
}

// quantize clips the scores at the highest level that meets the limit and
// converts them to u16, lowering the level a little where rounding breaks
// the limit.
func quantize(x map[uint32]float64, limit float64) (weightRow, error) {
	row := weightRow{UIDs: make([]uint32, 0, len(x))}
	for uid := range x {
		row.UIDs = append(row.UIDs, uid)
	}
	slices.Sort(row.UIDs)
	level := clipLevel(x, limit)
	for range 64 {
		row.Values = row.Values[:0]
		for _, uid := range row.UIDs {
			v := math.Ceil(min(x[uid], level) / level * u16Max)
			row.Values = append(row.Values, uint32(min(max(v, 1), u16Max)))
		}
		if withinLimit(row.Values, limit) {
			return row, nil
		}
		level *= 0.999
	}
	return weightRow{}, fmt.Errorf("%w: no row meets max_weight_limit %.4f", errTooFewWeights, limit)
}

// clipLevel returns the largest c such that min(x_max, c) / sum_j min(x_j, c)
// <= limit, by bisection: that share grows with c.
func clipLevel(x map[uint32]float64, limit float64) float64 {
	top := 0.0
	for _, v := range x {
		top = max(top, v)
	}
	share := func(c float64) float64 {
		var sum float64
		for _, v := range x {
			sum += min(v, c)
		}
		return c / sum
	}
	if limit >= 1 || share(top) <= limit {
		return top
	}
	lo, hi := 0.0, top
	for range 100 {
		mid := (lo + hi) / 2
		if share(mid) <= limit {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// withinLimit applies the chain's max_weight_limit check to a row whose
// largest value is 65535: w_j * 65535 <= limit_u16 * sum.
func withinLimit(values []uint32, limit float64) bool {
	if limit >= 1 {
		return true
	}
	lim := uint64(math.Round(limit * u16Max))
	var sum uint64
	for _, v := range values {
		sum += uint64(v)
	}
	for _, v := range values {
		if uint64(v)*u16Max > lim*sum {
			return false
		}
	}
	return true
}
