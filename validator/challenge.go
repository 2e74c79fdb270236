package validator

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"

	"github.com/tensorcosm/tensorcosm/task/digits"
)

const (
	// maxChallengeBatch bounds challenge_batch, well under what an axon
	// accepts in one request.
	maxChallengeBatch = 1024
	// maxPixel is the largest raw pixel value of the digits data.
	maxPixel = 16
	// challengeDomain separates the keys of challenge randomness from any
	// other use of the private seed.
	challengeDomain = "tensorcosm/validator/challenge/v1"
)

// evalSet is the data challenges are drawn from: the whole digits data set,
// features scaled to [0, 1] as the models take them, row-major, and their
// labels. Every image is public, so no subset is privileged: what a miner
// cannot have seen is the variant (see challenge).
type evalSet struct {
	features []float32
	labels   []int
}

// loadEvalSet loads every sample of the digits data set, both splits.
func loadEvalSet(path string) (*evalSet, error) {
	d, err := digits.LoadDigits(path)
	if err != nil {
		return nil, err
	}
	if d.Len() == 0 {
		return nil, errors.New("the digits data set is empty")
	}
	return &evalSet{features: d.Features, labels: d.Labels}, nil
}

func (e *evalSet) len() int { return len(e.labels) }

// challenge fills x (rows x 64) with rows images drawn with replacement from
// the whole data set, each replaced by a fresh random variant (p), and labels
// with their digits. Everything comes from rng, so a challenge is a function
// of the rng's key: see challengeRand.
func (e *evalSet) challenge(rng *rand.Rand, p PerturbConfig, x []float32, labels []int) {
	aug := p.augment()
	for r := range labels {
		i := rng.IntN(e.len())
		labels[r] = e.labels[i]
		aug.Apply(rng, e.features[i*digits.NumFeatures:(i+1)*digits.NumFeatures], x[r*digits.NumFeatures:(r+1)*digits.NumFeatures])
	}
}

// challengeRand returns stream n of round's randomness: ChaCha8, a CSPRNG,
// keyed by SHA-256 of the validator's private seed, the round and n. A round
// is one scoring step; stream 0 picks the miners and stream i+1 draws the
// challenge of the i-th query and the images re-run on its model. Without
// the seed the next challenge cannot be predicted; with it, any challenge
// can be reproduced from its round and stream.
func challengeRand(seed [32]byte, round, n uint64) *rand.Rand {
	h := sha256.New()
	h.Write([]byte(challengeDomain))
	h.Write(seed[:])
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], round)
	binary.LittleEndian.PutUint64(b[8:], n)
	h.Write(b[:])
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return rand.New(rand.NewChaCha8(key)) //nolint:gosec // G404: ChaCha8 keyed from a secret seed is cryptographically secure
}
