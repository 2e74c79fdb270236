package keeper_test

import (
	"fmt"
	"testing"

	"cosmossdk.io/math"

	testkeeper "github.com/tensorcosm/tensorcosm/testutil/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// BenchmarkEpoch times one whole epoch (state load, Yuma, writes and
// distribution) of a subnet with 4096 UIDs, 256 of them validators with a
// permit, stake and a 256-entry weight row each, after one epoch has built
// bonds. The setup is committed, as state is when EndBlocker runs, and each
// iteration runs on a fresh cache of it. The target is under 100 ms.
func BenchmarkEpoch(b *testing.B) {
	const n, validators, rowLen = 4096, 256, 256
	f := testkeeper.NewSubnetFixture(b)
	hp := types.DefaultHyperparams()
	hp.MaxAllowedUids, hp.MaxAllowedValidators, hp.ActivityCutoff = n, validators, 1_000_000
	_, owner := f.Addr(b, "owner")
	gs := types.DefaultGenesis()
	gs.NextNetuid = 2
	gs.Subnets = []types.Subnet{{Netuid: 1, Owner: owner, Name: "bench", Hyperparams: hp, Locked: math.ZeroInt(), Task: digitsTask()}}
	gs.Pending = []types.SubnetPending{{Netuid: 1, Amount: math.NewInt(1_000_000_000)}}
	for uid := 0; uid < n; uid++ {
		_, hot := f.Addr(b, fmt.Sprintf("h%d", uid))
		gs.Neurons = append(gs.Neurons, types.Neuron{Netuid: 1, Uid: uint32(uid), Hotkey: hot, Coldkey: owner,
			RegistrationBlock: 1, LastUpdate: 5, ValidatorPermit: uid < validators, LastEpoch: types.EpochResult{Emission: math.ZeroInt()}})
		if uid < validators {
			_, staker := f.Addr(b, fmt.Sprintf("s%d", uid))
			gs.Stakes = append(gs.Stakes, types.Stake{Hotkey: hot, Staker: staker, Amount: math.NewInt(int64(1_000_000 + uid))})
			row := types.WeightsRow{}
			for j := 0; j < rowLen; j++ {
				row.Entries = append(row.Entries, types.WeightEntry{Uid: uint32((uid*7 + j*16) % n), Value: uint32(1 + (uid*j)%65535)})
			}
			row = dedupRow(row)
			gs.Weights = append(gs.Weights, types.NeuronWeights{Netuid: 1, Uid: uint32(uid), Row: row})
		}
	}
	if err := f.Keeper.InitGenesis(f.Ctx, gs); err != nil {
		b.Fatal(err)
	}
	// the module must hold the pending emission and the stake it pays from
	f.Bank.Fund(moduleAddress(), coins(2_000_000_000_000))
	f.Commit()
	ctx := f.Ctx.WithBlockHeight(10)
	s, err := f.Keeper.GetSubnet(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	warm, write := ctx.CacheContext()
	if _, _, err := f.Keeper.RunEpoch(warm, s); err != nil {
		b.Fatal(err)
	}
	write() // bonds exist from here on
	f.Commit()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, _ := ctx.WithBlockHeight(20).CacheContext()
		if _, _, err := f.Keeper.RunEpoch(c, s); err != nil {
			b.Fatal(err)
		}
	}
}

// dedupRow keeps the first entry for each uid, sorted.
func dedupRow(row types.WeightsRow) types.WeightsRow {
	seen := map[uint32]bool{}
	out := types.WeightsRow{}
	for _, e := range row.Entries {
		if !seen[e.Uid] {
			seen[e.Uid] = true
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}
