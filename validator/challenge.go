package validator

import (
	"errors"
	"math/rand/v2"

	"github.com/tensorcosm/tensorcosm/model"
)

const (
	// maxChallengeBatch bounds challenge_batch, well under what an axon
	// accepts in one request.
	maxChallengeBatch = 1024
	// maxPixel is the largest raw pixel value of the digits data.
	maxPixel = 16
	// maxShift bounds perturb.max_shift: beyond a few pixels an 8x8 digit
	// stops being one.
	maxShift = 3
	// side is the width and height of a digits image.
	side = 8
)

// evalSet is the evaluation data challenges are drawn from: features scaled
// to [0, 1] as the models take them, row-major, and their labels.
type evalSet struct {
	features []float32
	labels   []int
}

// loadEvalSet loads the held-out split of the digits data: miners train on
// the other part (model.Split is fixed and public), so these are images the
// models have not been fitted to.
func loadEvalSet(path string) (*evalSet, error) {
	_, held, err := model.LoadDigitsSplit(path)
	if err != nil {
		return nil, err
	}
	if held.Len() == 0 {
		return nil, errors.New("the held-out digits split is empty")
	}
	return &evalSet{features: held.Features, labels: held.Labels}, nil
}

func (e *evalSet) len() int { return len(e.labels) }

// challenge fills x (rows x 64) with rows images drawn with replacement,
// each freshly perturbed, and labels with their digits.
func (e *evalSet) challenge(rng *rand.Rand, p PerturbConfig, x []float32, labels []int) {
	for r := range labels {
		i := rng.IntN(e.len())
		labels[r] = e.labels[i]
		perturb(rng, p, e.features[i*model.NumFeatures:(i+1)*model.NumFeatures], x[r*model.NumFeatures:(r+1)*model.NumFeatures])
	}
}

// perturb writes into dst the image src, with probability p.ShiftProb
// shifted by up to p.MaxShift pixels along each axis (only where no ink
// leaves the image, so the digit stays whole), with Gaussian noise of
// p.Noise raw pixel units added and the result clamped to [0, 1].
func perturb(rng *rand.Rand, p PerturbConfig, src, dst []float32) {
	dx, dy := 0, 0
	if p.MaxShift > 0 && rng.Float64() < p.ShiftProb {
		dx = fitShift(src, rng.IntN(2*p.MaxShift+1)-p.MaxShift, true)
		dy = fitShift(src, rng.IntN(2*p.MaxShift+1)-p.MaxShift, false)
	}
	sigma := p.Noise / maxPixel
	for y := range side {
		for x := range side {
			sx, sy := x-dx, y-dy
			var v float64
			if sx >= 0 && sx < side && sy >= 0 && sy < side {
				v = float64(src[sy*side+sx])
			}
			if sigma > 0 {
				v += rng.NormFloat64() * sigma
			}
			dst[y*side+x] = float32(min(1, max(0, v)))
		}
	}
}

// fitShift returns d, or 0 when shifting by d along x (horizontal) or y
// would push a non-blank column or row out of the image.
func fitShift(img []float32, d int, horizontal bool) int {
	if d == 0 {
		return 0
	}
	// the lines that leave the image: the last |d| ones for d > 0, the first |d| for d < 0
	lo, hi := side-d, side
	if d < 0 {
		lo, hi = 0, -d
	}
	for line := lo; line < hi; line++ {
		for k := range side {
			i := line*side + k // row `line`
			if horizontal {
				i = k*side + line // column `line`
			}
			if img[i] != 0 {
				return 0
			}
		}
	}
	return d
}
