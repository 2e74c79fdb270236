package keeper_test

import (
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/math"

	testkeeper "github.com/tensorcosm/tensorcosm/testutil/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// BenchmarkMetagraphKeeper times Query/Metagraph for 4096 neurons without
// gRPC: store reads and decoding only.
func BenchmarkMetagraphKeeper(b *testing.B) {
	f := testkeeper.NewSubnetFixture(b)
	gs := types.DefaultGenesis()
	hp := types.DefaultHyperparams()
	hp.MaxAllowedUids = 4096
	_, owner := f.Addr(b, "owner")
	gs.NextNetuid = 2
	gs.Subnets = []types.Subnet{{Netuid: 1, Owner: owner, Name: "b", Hyperparams: hp, Locked: math.ZeroInt(), Task: digitsTask()}}
	for uid := 0; uid < 4096; uid++ {
		_, hot := f.Addr(b, fmt.Sprintf("h%d", uid))
		gs.Neurons = append(gs.Neurons, types.Neuron{Netuid: 1, Uid: uint32(uid), Hotkey: hot, Coldkey: owner,
			Axon:      &types.AxonInfo{Host: "127.0.0.1", Port: 9000, Protocol: "grpc"},
			Model:     &types.ModelCommitment{Sha256: strings.Repeat("ab", 32), Size_: 1},
			LastEpoch: types.EpochResult{Emission: math.NewInt(int64(uid))}})
		gs.Stakes = append(gs.Stakes, types.Stake{Hotkey: hot, Staker: owner, Amount: math.NewInt(1)})
	}
	fresh := testkeeper.NewSubnetFixture(b)
	if err := fresh.Keeper.InitGenesis(fresh.Ctx, gs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := fresh.Queries.Metagraph(fresh.Ctx, &types.QueryMetagraphRequest{Netuid: 1})
		if err != nil || len(res.Neurons) != 4096 {
			b.Fatal(err)
		}
	}
}
