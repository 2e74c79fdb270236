package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	testkeeper "github.com/tensorcosm/tensorcosm/testutil/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestGenesisRoundTrip exports a populated state, imports it into a fresh
// keeper and exports again: both exports must be identical.
func TestGenesisRoundTrip(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	n := e.createSubnet(owner, nil)
	n2 := e.createSubnet(owner, smallHyperparams(8, 5))
	hot1, hot2 := e.key("h1"), e.key("h2")
	e.register(e.account("c"), hot1, n)
	e.register(e.account("c"), hot2, n)
	e.register(e.account("c"), hot1, n2) // hot1's stake is split over both subnets
	if _, err := e.Msgs.ServeAxon(e.Ctx, &types.MsgServeAxon{Hotkey: hot1, Netuid: n, Axon: goodAxon(), Model: goodModel}); err != nil {
		t.Fatal(err)
	}
	e.stakeNow(e.account("s"), hot1, 12345)
	if _, err := e.Msgs.SetDelegateTake(e.Ctx, &types.MsgSetDelegateTake{Coldkey: e.account("c"), Hotkey: hot2, Take: 77}); err != nil {
		t.Fatal(err)
	}
	hp := types.DefaultHyperparams()
	hp.Tempo = 7
	if _, err := e.Msgs.UpdateSubnetHyperparams(e.Ctx, &types.MsgUpdateSubnetHyperparams{Signer: owner, Netuid: n, Hyperparams: hp}); err != nil {
		t.Fatal(err)
	}

	require.NoError(t, e.Keeper.Weights.Set(e.Ctx, collections.Join(n, uint32(0)), types.WeightsRow{Entries: []types.WeightEntry{{Uid: 1, Value: 65535}}}))
	require.NoError(t, e.Keeper.WeightCommits.Set(e.Ctx, collections.Join(n, uint32(1)), types.WeightCommits{Commits: []types.WeightCommit{{Hash: make([]byte, 32), Block: 3, Epoch: 0}}}))

	exported, err := e.Keeper.ExportGenesis(e.Ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.Len(t, exported.Neurons, 3)
	require.Len(t, exported.Stakes, 1)
	require.Len(t, exported.Weights, 1)
	require.Len(t, exported.Commits, 1)

	fresh := testkeeper.NewSubnetFixture(t)
	require.NoError(t, fresh.Keeper.InitGenesis(fresh.Ctx, exported))
	again, err := fresh.Keeper.ExportGenesis(fresh.Ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)

	// the derived state (hotkey totals, index, subnet stake) is rebuilt
	require.NoError(t, fresh.Keeper.CheckDerivedState(fresh.Ctx))
	// 12,345 over two subnets: 6,172 each, the remainder to the lower netuid
	for netuid, share := range map[uint32]int64{n: 6173, n2: 6172} {
		want, err := keeper.SubnetStakeOf(e.Keeper, e.Ctx, netuid)
		require.NoError(t, err)
		got, err := keeper.SubnetStakeOf(fresh.Keeper, fresh.Ctx, netuid)
		require.NoError(t, err)
		require.True(t, got.Equal(want), "subnet %d: imported stake %s, exported %s", netuid, got, want)
		require.True(t, got.GTE(math.NewInt(share)), "subnet %d: stake %s lacks hot1's share %d", netuid, got, share)
	}

	// the imported state works: the next netuid continues, hotkey lookups work
	res, err := fresh.Queries.NeuronByHotkey(fresh.Ctx, &types.QueryNeuronByHotkeyRequest{Netuid: n, Hotkey: hot1})
	require.NoError(t, err)
	require.True(t, res.Neuron.Stake.Equal(math.NewInt(6173)), "hot1's share in subnet %d: %s", n, res.Neuron.Stake)
	created, err := fresh.Msgs.CreateSubnet(fresh.Ctx, &types.MsgCreateSubnet{Creator: owner, Name: "z", Task: digitsTask()})
	if err == nil {
		require.Equal(t, uint32(3), created.Netuid)
	} else {
		require.ErrorIs(t, err, types.ErrInsufficientFunds) // the fresh bank has no funds for owner
	}
}

func TestGenesisValidateRejects(t *testing.T) {
	good := types.DefaultGenesis()
	cases := []struct {
		name string
		mut  func(*types.GenesisState)
		text string
	}{
		{"next netuid 0", func(g *types.GenesisState) { g.NextNetuid = 0 }, "next_netuid"},
		{"subnet beyond next netuid", func(g *types.GenesisState) {
			g.Subnets = []types.Subnet{{Netuid: 5, Hyperparams: types.DefaultHyperparams(), Task: digitsTask(), Locked: math.ZeroInt()}}
		}, "not in [1"},
		{"neuron in unknown subnet", func(g *types.GenesisState) {
			g.Neurons = []types.Neuron{{Netuid: 3, Uid: 0}}
		}, "unknown subnet"},
		{"zero stake", func(g *types.GenesisState) {
			g.Stakes = []types.Stake{{Hotkey: "h", Staker: "s", Amount: math.ZeroInt()}}
		}, "must be > 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := *good
			tc.mut(&g)
			require.ErrorContains(t, g.Validate(), tc.text)
		})
	}
}
