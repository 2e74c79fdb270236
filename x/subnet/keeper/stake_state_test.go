package keeper_test

import (
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	testkeeper "github.com/tensorcosm/tensorcosm/testutil/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// stakeQueuesEnv has counted stake split over two subnets, warming stake,
// an unbonding and stake ops: every kind of stake state.
func stakeQueuesEnv(t *testing.T) (*env, string, string) {
	e, _, hot := stakeEnv(t)
	n2 := e.createSubnet(e.account("owner"), nil)
	e.register(e.account("cold"), hot, n2)
	staker := e.account("staker")
	e.stakeNow(staker, hot, 1001)
	_, err := e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(300)})
	require.NoError(t, err)
	_, err = e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: e.account("late"), Hotkey: hot, Amount: math.NewInt(77)})
	require.NoError(t, err)
	require.NoError(t, e.Keeper.CheckInvariants(e.Ctx))
	return e, hot, staker
}

// TestCheckInvariantsCatchesStakeDamage: the supply check covers warming
// and unbonding stake, and the derived warm-up state and subnet shares are
// checked against what they summarise.
func TestCheckInvariantsCatchesStakeDamage(t *testing.T) {
	cases := []struct {
		name   string
		damage func(e *env, hot, staker string) error
		want   string
	}{
		{"unbonding amount changed", func(e *env, _, _ string) error {
			u, err := e.Keeper.Unbondings.Get(e.Ctx, 1)
			if err != nil {
				return err
			}
			u.Amount = u.Amount.AddRaw(1)
			return e.Keeper.Unbondings.Set(e.Ctx, 1, u)
		}, "unbonding 301"},
		{"warming stake lost", func(e *env, hot, _ string) error {
			return e.Keeper.WarmingStakes.Remove(e.Ctx, collections.Join(mustAddr(e, hot), mustAddr(e, e.account("late"))))
		}, "warming 0"},
		{"warming total wrong", func(e *env, hot, _ string) error {
			return e.Keeper.TotalHotkeyWarming.Set(e.Ctx, mustAddr(e, hot), math.NewInt(78))
		}, "warming total 78 != sum of warming stakes 77"},
		{"warm-up queue entry missing", func(e *env, hot, _ string) error {
			w, err := e.Keeper.WarmingStakes.Get(e.Ctx, collections.Join(mustAddr(e, hot), mustAddr(e, e.account("late"))))
			if err != nil {
				return err
			}
			return e.Keeper.WarmupQueue.Remove(e.Ctx, collections.Join3(w.MatureBlock, mustAddr(e, hot), mustAddr(e, e.account("late"))))
		}, "warm-up queue has 0 entries for 1 warming stakes"},
		{"warm-up queue entry at the wrong block", func(e *env, hot, _ string) error {
			return e.Keeper.WarmupQueue.Set(e.Ctx, collections.Join3(int64(5), mustAddr(e, hot), mustAddr(e, e.account("late"))))
		}, "matches no warming stake"},
		{"subnet stake counts the hotkey in full", func(e *env, hot, _ string) error {
			// 701 counted over two subnets: 351 and 350, not 701 in each
			return e.Keeper.SubnetStake.Set(e.Ctx, 2, math.NewInt(701))
		}, "recorded stake 701 != 350"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, hot, staker := stakeQueuesEnv(t)
			require.NoError(t, tc.damage(e, hot, staker))
			err := e.Keeper.CheckInvariants(e.Ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckInvariants = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestGenesisRoundTripStakeQueues exports warming stake, unbondings and
// stake ops, imports them into a fresh chain and gets the same state, the
// derived state rebuilt, and the queues still working.
func TestGenesisRoundTripStakeQueues(t *testing.T) {
	e, hot, staker := stakeQueuesEnv(t)
	exported, err := e.Keeper.ExportGenesis(e.Ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.Len(t, exported.WarmingStakes, 1)
	require.Len(t, exported.Unbondings, 1)
	require.Equal(t, uint64(2), exported.NextUnbondingId)
	require.Len(t, exported.StakeOps, 2)

	fresh := testkeeper.NewSubnetFixture(t)
	fresh.SetHeight(e.Ctx.BlockHeight())
	require.NoError(t, fresh.Keeper.InitGenesis(fresh.Ctx, exported))
	again, err := fresh.Keeper.ExportGenesis(fresh.Ctx)
	require.NoError(t, err)
	require.Equal(t, exported, again)
	require.NoError(t, fresh.Keeper.CheckDerivedState(fresh.Ctx))
	for _, netuid := range []uint32{1, 2} {
		want, err := keeper.SubnetStakeOf(e.Keeper, e.Ctx, netuid)
		require.NoError(t, err)
		got, err := keeper.SubnetStakeOf(fresh.Keeper, fresh.Ctx, netuid)
		require.NoError(t, err)
		require.True(t, got.Equal(want), "subnet %d: %s != %s", netuid, got, want)
	}
	warming, err := fresh.Keeper.HotkeyWarming(fresh.Ctx, mustAddr(e, hot))
	require.NoError(t, err)
	require.True(t, warming.Equal(math.NewInt(77)))
	// the queues run on the imported state: the unbonding pays, the
	// warming stake matures
	fresh.Bank.Fund(moduleAddress(), coins(300)) // the bank's genesis is not imported here
	fresh.SetHeight(exported.Unbondings[0].CompletionHeight)
	err = keeper.ProcessStakeQueuesUntil(fresh.Keeper, fresh.Ctx, fresh.Ctx.BlockHeight())
	require.NoError(t, err)
	require.True(t, fresh.Bank.GetBalance(fresh.Ctx, mustAddr(e, staker), types.DefaultDenom).Amount.Equal(math.NewInt(300)))
	err = keeper.ProcessStakeQueuesUntil(fresh.Keeper, fresh.Ctx, exported.WarmingStakes[0].MatureBlock)
	require.NoError(t, err)
	total, err := fresh.Keeper.HotkeyStake(fresh.Ctx, mustAddr(e, hot))
	require.NoError(t, err)
	require.True(t, total.Equal(math.NewInt(778)), "counted after import and maturity: %s", total)
}

// TestGenesisValidateStakeQueues rejects inconsistent stake queue records.
func TestGenesisValidateStakeQueues(t *testing.T) {
	e, _, _ := stakeQueuesEnv(t)
	cases := []struct {
		name   string
		change func(gs *types.GenesisState)
		text   string
	}{
		{"warming stake repeated", func(gs *types.GenesisState) { gs.WarmingStakes = append(gs.WarmingStakes, gs.WarmingStakes[0]) }, "repeated"},
		{"warming stake zero", func(gs *types.GenesisState) { gs.WarmingStakes[0].Amount = math.ZeroInt() }, "must be > 0"},
		{"unbonding id not below next", func(gs *types.GenesisState) { gs.NextUnbondingId = 1 }, "not in [1, next_unbonding_id=1)"},
		{"unbonding completes before creation", func(gs *types.GenesisState) {
			gs.Unbondings[0].CompletionHeight = gs.Unbondings[0].CreationHeight - 1
		}, "before its creation"},
		{"stake op repeated", func(gs *types.GenesisState) { gs.StakeOps = append(gs.StakeOps, gs.StakeOps[0]) }, "stake op of"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gs, err := e.Keeper.ExportGenesis(e.Ctx)
			require.NoError(t, err)
			tc.change(gs)
			expectErr(t, gs.Validate(), types.ErrInvalidGenesis, tc.text)
		})
	}
}

// TestMigrateStake: from consensus version 1, the stake params get their
// defaults and SubnetStake, which counted a hotkey in full in each of its
// subnets, is split over them.
func TestMigrateStake(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	n1, n2 := e.createSubnet(owner, nil), e.createSubnet(owner, nil)
	hot := e.key("hot")
	e.register(e.account("cold"), hot, n1)
	e.register(e.account("cold"), hot, n2)
	e.stakeNow(e.account("staker"), hot, 1001)
	// version 1: no stake params, the stake counted in full in both subnets
	e.setParams(func(p *types.Params) { p.StakeWarmupBlocks, p.UnbondingBlocks, p.StakeRateLimit = 0, 0, 0 })
	require.NoError(t, e.Keeper.SubnetStake.Set(e.Ctx, n1, math.NewInt(1001)))
	require.NoError(t, e.Keeper.SubnetStake.Set(e.Ctx, n2, math.NewInt(1001)))
	require.Error(t, e.Keeper.CheckInvariants(e.Ctx))

	require.NoError(t, e.Keeper.Migrate1to2(e.Ctx))
	p, err := e.Keeper.Params.Get(e.Ctx)
	require.NoError(t, err)
	require.NoError(t, p.Validate())
	d := types.DefaultParams()
	require.Equal(t, []uint64{d.StakeWarmupBlocks, d.UnbondingBlocks, d.StakeRateLimit}, []uint64{p.StakeWarmupBlocks, p.UnbondingBlocks, p.StakeRateLimit})
	require.True(t, e.subnetStake(n1).Equal(math.NewInt(501)))
	require.True(t, e.subnetStake(n2).Equal(math.NewInt(500)))
	require.NoError(t, e.Keeper.CheckInvariants(e.Ctx))
}
