package keeper_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

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

// BenchmarkEndBlockerBudget times the worst block the epoch budget lets
// through: eight of the biggest subnets an account may create (256 UIDs,
// 64 validators with stake and a permit) are queued at once, with bonds
// from an earlier epoch, and one EndBlocker runs as many as
// max_epoch_work_per_block (default 200,000 units) allows. "rows" is how
// many UIDs hold a full 256-entry weight row: 64 (the validators) or all
// 256 (stale rows of former validators, the most a subnet can store).
// It reports the epochs run and the work units they were charged per block.
func BenchmarkEndBlockerBudget(b *testing.B) {
	for _, rows := range []int{64, 256} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) { benchEndBlockerBudget(b, rows) })
	}
}

func benchEndBlockerBudget(b *testing.B, rows int) {
	const subnets = 8
	f := testkeeper.NewSubnetFixture(b)
	gs := budgetGenesis(b, f, subnets, rows)
	if err := f.Keeper.InitGenesis(f.Ctx, gs); err != nil {
		b.Fatal(err)
	}
	f.Bank.Fund(moduleAddress(), coins(2_000_000_000_000))
	ctx := f.Ctx.WithBlockHeight(10)
	for netuid := uint32(1); netuid <= subnets; netuid++ {
		s, err := f.Keeper.GetSubnet(ctx, netuid)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := f.Keeper.RunEpoch(ctx, s); err != nil { // bonds exist from here on
			b.Fatal(err)
		}
		if err := f.Keeper.DueEpochs.Set(ctx, netuid, 10); err != nil {
			b.Fatal(err)
		}
	}
	f.Commit()
	budget := types.DefaultParams().MaxEpochWorkPerBlock
	var epochs, work uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// height 20: none of netuids 1-8 is due by tempo, only the queue runs
		c, _ := f.Ctx.WithBlockHeight(20).WithEventManager(sdk.NewEventManager()).CacheContext()
		if err := f.Keeper.EndBlocker(c); err != nil {
			b.Fatal(err)
		}
		epochs, work = 0, 0
		for _, ev := range c.EventManager().Events() {
			if ev.Type != "tensorcosm.subnet.v1.EventEpoch" {
				continue
			}
			epochs++
			for _, a := range ev.Attributes {
				if a.Key == "work" {
					w, _ := strconv.ParseUint(strings.Trim(a.Value, `"`), 10, 64)
					work += w
				}
			}
		}
	}
	b.StopTimer()
	if epochs == 0 || (epochs > 1 && work > budget) {
		b.Fatalf("%d epochs charged %d work units, budget %d", epochs, work, budget)
	}
	b.ReportMetric(float64(epochs), "epochs/block")
	b.ReportMetric(float64(work), "work/block")
}

// budgetGenesis is a genesis with subnets of the biggest size an account
// may create (256 UIDs, 64 validators with stake and a permit), rows of
// whose UIDs hold a full 256-entry weight row, and pending emission.
func budgetGenesis(tb testing.TB, f *testkeeper.SubnetFixture, subnets, rows int) *types.GenesisState {
	const n, validators = 256, 64
	_, owner := f.Addr(tb, "owner")
	hp := types.DefaultHyperparams()
	hp.ActivityCutoff = 1_000_000
	gs := types.DefaultGenesis()
	gs.NextNetuid = uint32(subnets) + 1
	for netuid := uint32(1); netuid <= uint32(subnets); netuid++ {
		gs.Subnets = append(gs.Subnets, types.Subnet{Netuid: netuid, Owner: owner, Name: "bench", Hyperparams: hp, Locked: math.ZeroInt(), Task: digitsTask()})
		gs.Pending = append(gs.Pending, types.SubnetPending{Netuid: netuid, Amount: math.NewInt(1_000_000_000)})
		for uid := 0; uid < n; uid++ {
			_, hot := f.Addr(tb, fmt.Sprintf("h%d-%d", netuid, uid))
			gs.Neurons = append(gs.Neurons, types.Neuron{Netuid: netuid, Uid: uint32(uid), Hotkey: hot, Coldkey: owner,
				RegistrationBlock: 1, LastUpdate: 5, ValidatorPermit: uid < validators, LastEpoch: types.EpochResult{Emission: math.ZeroInt()}})
			if uid < validators {
				_, staker := f.Addr(tb, fmt.Sprintf("s%d-%d", netuid, uid))
				gs.Stakes = append(gs.Stakes, types.Stake{Hotkey: hot, Staker: staker, Amount: math.NewInt(int64(1_000_000 + uid))})
			}
			if uid < rows {
				row := types.WeightsRow{}
				for j := 0; j < n; j++ {
					row.Entries = append(row.Entries, types.WeightEntry{Uid: uint32(j), Value: uint32(1 + (uid*j)%65535)})
				}
				gs.Weights = append(gs.Weights, types.NeuronWeights{Netuid: netuid, Uid: uint32(uid), Row: row})
			}
		}
	}
	return gs
}
