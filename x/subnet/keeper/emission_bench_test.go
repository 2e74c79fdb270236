package keeper_test

import (
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/math"

	testkeeper "github.com/tensorcosm/tensorcosm/testutil/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// BenchmarkMintBlockEmission times one block's emission, which every
// BeginBlocker runs: it mints, pays the fee collector and splits the rest
// across subnets by the stake of their registered hotkeys. Neurons carry an
// axon, a model commitment and epoch results, as on a live chain, and every
// hotkey has stake, so a split that walked the neurons would show here.
// Sizes are subnets x neurons per subnet; 32 x 4096 is max_subnets full at
// the largest max_allowed_uids. Each size's fixture is built once and
// shared by the b.N rounds, which would otherwise rebuild it every round.
func BenchmarkMintBlockEmission(b *testing.B) {
	for _, size := range []struct{ subnets, neurons int }{{4, 64}, {4, 4096}, {32, 4096}} {
		var f *testkeeper.SubnetFixture
		b.Run(fmt.Sprintf("%dx%d", size.subnets, size.neurons), func(b *testing.B) {
			if f == nil {
				f = emissionFixture(b, size.subnets, size.neurons)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, _ := f.Ctx.CacheContext()
				if err := f.Keeper.MintBlockEmission(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// emissionFixture is a keeper with subnets full of staked neurons.
func emissionFixture(b *testing.B, subnets, neurons int) *testkeeper.SubnetFixture {
	f := testkeeper.NewSubnetFixture(b)
	hp := types.DefaultHyperparams()
	hp.MaxAllowedUids = uint32(neurons)
	hp.MaxAllowedValidators = min(hp.MaxAllowedValidators, hp.MaxAllowedUids)
	_, owner := f.Addr(b, "owner")
	gs := types.DefaultGenesis()
	gs.Params.MaxSubnets = uint32(subnets)
	gs.NextNetuid = uint32(subnets + 1)
	for s := 1; s <= subnets; s++ {
		gs.Subnets = append(gs.Subnets, types.Subnet{Netuid: uint32(s), Owner: owner, Name: fmt.Sprintf("s%d", s), Hyperparams: hp, Locked: math.ZeroInt(), Task: digitsTask()})
		for uid := 0; uid < neurons; uid++ {
			_, hot := f.Addr(b, fmt.Sprintf("h%d-%d", s, uid))
			gs.Neurons = append(gs.Neurons, types.Neuron{Netuid: uint32(s), Uid: uint32(uid), Hotkey: hot, Coldkey: owner,
				Axon:      &types.AxonInfo{Host: "127.0.0.1", Port: 9000, Protocol: "grpc"},
				Model:     &types.ModelCommitment{Sha256: strings.Repeat("ab", 32), Size_: 1},
				LastEpoch: types.EpochResult{Emission: math.NewInt(int64(uid))}})
			gs.Stakes = append(gs.Stakes, types.Stake{Hotkey: hot, Staker: owner, Amount: math.NewInt(int64(1_000 + uid))})
		}
	}
	if err := f.Keeper.InitGenesis(f.Ctx, gs); err != nil {
		b.Fatal(err)
	}
	// commit, so that reads see a saved tree as on a node, not a
	// working set of a hundred thousand unsaved writes
	f.Commit()
	return f
}
