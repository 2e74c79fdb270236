package simulation

import (
	"bytes"
	"math/rand"
	"slices"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// weightsOK reports whether a weight row passes the checks of the module
// spec (x/subnet README, "Weights and commit-reveal", rules 1, 5-8) for
// neuron n in a subnet of count UIDs. The rate limit and the version key are
// checked by the callers, which know which apply.
func weightsOK(hp types.Hyperparams, n types.Neuron, count uint32, uids, values []uint32) bool {
	if len(uids) != len(values) {
		return false
	}
	seen := map[uint32]bool{}
	var maxV uint64
	for i, u := range uids {
		if u >= count || seen[u] || values[i] > types.U16Max {
			return false
		}
		seen[u] = true
		maxV = max(maxV, uint64(values[i]))
	}
	if len(uids) == 1 && uids[0] == n.Uid {
		return true // a self-weight needs no permit and no minimum
	}
	if !n.ValidatorPermit {
		return false
	}
	// the stored row: zeros dropped, max-upscaled to 65535 (rounding down)
	var scaled []uint64
	var sum uint64
	for _, v := range values {
		if v > 0 {
			s := uint64(v) * types.U16Max / maxV
			scaled, sum = append(scaled, s), sum+s
		}
	}
	if uint32(len(scaled)) < min(hp.MinAllowedWeights, count) {
		return false
	}
	if hp.MaxWeightLimit < types.U16Max {
		for _, s := range scaled {
			if s*types.U16Max > uint64(hp.MaxWeightLimit)*sum {
				return false
			}
		}
	}
	return true
}

// randomWeights returns a weight row for neuron n that passes weightsOK: a
// self-weight for a neuron without a permit (and sometimes for one with),
// else random non-zero values on a random subset of UIDs, falling back to
// equal weights on every UID when max_weight_limit rejects the random row.
func randomWeights(r *rand.Rand, hp types.Hyperparams, n types.Neuron, count uint32) (uids, values []uint32) {
	self := func() ([]uint32, []uint32) {
		return []uint32{n.Uid}, []uint32{uint32(edgy(r, 0, types.U16Max))}
	}
	if !n.ValidatorPermit || r.Intn(10) == 0 {
		return self()
	}
	k := between(r, max(int(min(hp.MinAllowedWeights, count)), 1), int(count))
	for _, u := range r.Perm(int(count))[:k] {
		uids = append(uids, uint32(u))
		values = append(values, uint32(between(r, 1, types.U16Max)))
	}
	if u, ok := zeroUID(r, uids, count); ok && r.Intn(5) == 0 {
		// an explicit zero is dropped from the stored row
		uids, values = append(uids, u), append(values, 0)
	}
	if weightsOK(hp, n, count, uids, values) {
		return uids, values
	}
	uids, values = nil, nil
	for u := range count {
		uids, values = append(uids, u), append(values, types.U16Max)
	}
	if weightsOK(hp, n, count, uids, values) {
		return uids, values
	}
	return self()
}

// zeroUID returns a UID not in used, to carry a zero weight; ok is false
// when every UID is used.
func zeroUID(r *rand.Rand, used []uint32, count uint32) (uint32, bool) {
	for _, u := range r.Perm(int(count)) {
		if !slices.Contains(used, uint32(u)) {
			return uint32(u), true
		}
	}
	return 0, false
}

// commit is a weights commitment the simulation made and may reveal.
type commit struct {
	netuid     uint32
	hotkey     string
	uids       []uint32
	values     []uint32
	salt       []byte
	versionKey uint64
	hash       []byte
}

// commitBook remembers the simulation's unrevealed commitments, oldest
// first, so the reveal factory can open them in their reveal epoch. It is
// owned by one simulation run; the factories run one at a time, and the
// slice keeps the order (and so the choices) deterministic.
type commitBook struct {
	commits []commit
}

func (b *commitBook) add(c commit) { b.commits = append(b.commits, c) }

// keep drops every commitment keep rejects.
func (b *commitBook) keep(keep func(commit) bool) {
	b.commits = filter(b.commits, keep)
}

// remove drops the commitment with hash h.
func (b *commitBook) remove(h []byte) {
	b.keep(func(c commit) bool { return !bytes.Equal(c.hash, h) })
}
