package validator

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

const (
	// maxChallengeBatch bounds challenge_batch, well under what an axon
	// accepts in one request (and what task kinds make in one batch).
	maxChallengeBatch = 1024
	// challengeDomain separates the keys of challenge randomness from any
	// other use of the private seed.
	challengeDomain = "tensorcosm/validator/challenge/v1"
)

// challengeRand returns stream n of round's randomness: ChaCha8, a CSPRNG,
// keyed by SHA-256 of the validator's private seed, the round and n. A round
// is one scoring step; stream 0 picks the miners and stream i+1 draws the
// challenge of the i-th query and the rows re-run on its model. Without
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
