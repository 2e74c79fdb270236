package simulation

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func TestWeightsOK(t *testing.T) {
	hp := types.DefaultHyperparams()
	hp.MinAllowedWeights = 2
	limited := hp
	limited.MaxWeightLimit = types.U16Max / 2 // no weight above half the row
	validator := types.Neuron{Uid: 1, ValidatorPermit: true}
	miner := types.Neuron{Uid: 1}
	cases := []struct {
		name          string
		hp            types.Hyperparams
		n             types.Neuron
		uids, values  []uint32
		want          bool
		countOverride uint32
	}{
		{name: "valid row", hp: hp, n: validator, uids: []uint32{0, 2}, values: []uint32{5, 9}, want: true},
		{name: "lengths differ", hp: hp, n: validator, uids: []uint32{0, 2}, values: []uint32{5}},
		{name: "unknown uid", hp: hp, n: validator, uids: []uint32{0, 4}, values: []uint32{5, 9}},
		{name: "repeated uid", hp: hp, n: validator, uids: []uint32{0, 0}, values: []uint32{5, 9}},
		{name: "value above u16", hp: hp, n: validator, uids: []uint32{0, 2}, values: []uint32{5, 65536}},
		{name: "too few non-zero weights", hp: hp, n: validator, uids: []uint32{0, 2}, values: []uint32{5, 0}},
		{name: "no permit", hp: hp, n: miner, uids: []uint32{0, 2}, values: []uint32{5, 9}},
		{name: "self weight without permit", hp: hp, n: miner, uids: []uint32{1}, values: []uint32{0}, want: true},
		{name: "above max_weight_limit", hp: limited, n: validator, uids: []uint32{0, 2}, values: []uint32{1, 9}},
		{name: "at max_weight_limit", hp: limited, n: validator, uids: []uint32{0, 2, 3}, values: []uint32{9, 9, 9}, want: true},
		{name: "min_allowed_weights capped by count", hp: hp, n: validator, uids: []uint32{0}, values: []uint32{9}, countOverride: 1, want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			count := uint32(4)
			if tc.countOverride > 0 {
				count = tc.countOverride
				tc.n.Uid = 5 // not a self-weight
			}
			require.Equal(t, tc.want, weightsOK(tc.hp, tc.n, count, tc.uids, tc.values))
		})
	}
}

// TestRandomWeightsAreValid checks that the generator only makes rows the
// checks accept, for random hyperparameters, permits and subnet sizes.
func TestRandomWeightsAreValid(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for range 5_000 {
		hp := RandomHyperparams(r)
		count := uint32(between(r, 1, int(hp.MaxAllowedUids)))
		n := types.Neuron{Uid: uint32(r.Intn(int(count))), ValidatorPermit: r.Intn(2) == 0}
		uids, values := randomWeights(r, hp, n, count)
		require.True(t, weightsOK(hp, n, count, uids, values), "hp %+v count %d uids %v values %v", hp, count, uids, values)
	}
}

func TestCommitBook(t *testing.T) {
	var b commitBook
	for i := range byte(4) {
		b.add(commit{netuid: uint32(i), hash: []byte{i}})
	}
	b.remove([]byte{1})
	b.keep(func(c commit) bool { return c.netuid != 3 })
	require.Equal(t, []commit{{netuid: 0, hash: []byte{0}}, {netuid: 2, hash: []byte{2}}}, b.commits)
}
