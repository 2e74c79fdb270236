package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// stakeEnv is a subnet with one registered hotkey and short stake delays:
// warm-up 1,000 blocks (max_tempo), unbonding 50, no rate limit.
func stakeEnv(t *testing.T) (*env, uint32, string) {
	e := newEnv(t)
	e.setParams(func(p *types.Params) { p.StakeWarmupBlocks, p.UnbondingBlocks = uint64(p.MaxTempo), 50 })
	netuid := e.createSubnet(e.account("owner"), nil)
	hot := e.key("hot")
	e.register(e.account("cold"), hot, netuid)
	return e, netuid, hot
}

// beginBlock moves to height h and runs BeginBlocker (stake queues, mint).
func (e *env) beginBlock(h int64) {
	e.t.Helper()
	e.SetHeight(h)
	require.NoError(e.t, e.Keeper.BeginBlocker(e.Ctx))
	require.NoError(e.t, e.Keeper.CheckInvariants(e.Ctx))
}

func (e *env) counted(hotkey string) math.Int {
	e.t.Helper()
	st, err := e.Keeper.HotkeyStake(e.Ctx, mustAddr(e, hotkey))
	require.NoError(e.t, err)
	return st
}

func (e *env) subnetStake(netuid uint32) math.Int {
	e.t.Helper()
	st, err := e.Keeper.SubnetStake.Get(e.Ctx, netuid)
	if err != nil {
		return math.ZeroInt()
	}
	return st
}

// TestStakeWarmsUpBeforeItCounts: added stake counts for nothing (hotkey
// total, subnet stake, metagraph) until the BeginBlocker of its mature
// block; adding again restarts the warm-up of all that is warming.
func TestStakeWarmsUpBeforeItCounts(t *testing.T) {
	e, netuid, hot := stakeEnv(t)
	staker := e.account("staker")
	h := e.Ctx.BlockHeight()
	_, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(700)})
	require.NoError(t, err)
	warming, err := e.Queries.WarmingStakes(e.Ctx, &types.QueryWarmingStakesRequest{Hotkey: hot})
	require.NoError(t, err)
	require.Len(t, warming.Warming, 1)
	require.Equal(t, h+1000, warming.Warming[0].MatureBlock)
	require.True(t, warming.Warming[0].Amount.Equal(math.NewInt(700)))

	e.beginBlock(h + 500)
	_, err = e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(300)})
	require.NoError(t, err)
	byHot, err := e.Queries.StakeByHotkey(e.Ctx, &types.QueryStakeByHotkeyRequest{Hotkey: hot})
	require.NoError(t, err)
	require.True(t, byHot.Total.IsZero(), "warming stake counted: %s", byHot.Total)
	require.True(t, byHot.Warming.Equal(math.NewInt(1000)))

	e.beginBlock(h + 1000) // the first add's maturity: restarted by the second
	require.True(t, e.counted(hot).IsZero())
	require.True(t, e.subnetStake(netuid).IsZero())
	e.beginBlock(h + 1499)
	require.True(t, e.counted(hot).IsZero())
	e.beginBlock(h + 1500)
	require.True(t, e.counted(hot).Equal(math.NewInt(1000)))
	require.True(t, e.subnetStake(netuid).Equal(math.NewInt(1000)))
	mg, err := e.Queries.Metagraph(e.Ctx, &types.QueryMetagraphRequest{Netuid: netuid})
	require.NoError(t, err)
	require.True(t, mg.Neurons[0].Stake.Equal(math.NewInt(1000)))
	warming, err = e.Queries.WarmingStakes(e.Ctx, &types.QueryWarmingStakesRequest{Hotkey: hot})
	require.NoError(t, err)
	require.Empty(t, warming.Warming)
}

// TestUnbonding: removed counted stake stops counting at once, waits in a
// queryable unbonding and is paid exactly at its completion height;
// warming stake is taken first and paid at once; cancels (partial and
// full) return unbonding stake to counted stake at once.
func TestUnbonding(t *testing.T) {
	e, netuid, hot := stakeEnv(t)
	staker, other := e.account("staker"), e.account("other")
	e.stakeNow(staker, hot, 1000)
	h := e.Ctx.BlockHeight()
	before := e.balance(staker)

	res, err := e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(600)})
	require.NoError(t, err)
	require.Equal(t, &types.MsgRemoveStakeResponse{Paid: math.ZeroInt(), Unbonding: math.NewInt(600), UnbondingId: 1, CompletionHeight: h + 50}, res)
	require.True(t, e.counted(hot).Equal(math.NewInt(400)), "unbonding stake still counts")
	require.True(t, e.subnetStake(netuid).Equal(math.NewInt(400)))
	require.True(t, e.balance(staker).Equal(before), "unbonding stake paid at once")

	// warming stake goes first, and back at once
	_, err = e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(100)})
	require.NoError(t, err)
	res, err = e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(150)})
	require.NoError(t, err)
	require.Equal(t, &types.MsgRemoveStakeResponse{Paid: math.NewInt(100), Unbonding: math.NewInt(50), UnbondingId: 2, CompletionHeight: h + 50}, res)
	require.True(t, e.balance(staker).Equal(before), "warming stake not paid back")
	require.True(t, e.counted(hot).Equal(math.NewInt(350)))

	for _, q := range []func() (*types.QueryUnbondingsResponse, error){
		func() (*types.QueryUnbondingsResponse, error) {
			return e.Queries.UnbondingsByStaker(e.Ctx, &types.QueryUnbondingsByStakerRequest{Staker: staker})
		},
		func() (*types.QueryUnbondingsResponse, error) {
			return e.Queries.UnbondingsByHotkey(e.Ctx, &types.QueryUnbondingsByHotkeyRequest{Hotkey: hot})
		},
	} {
		got, err := q()
		require.NoError(t, err)
		require.Len(t, got.Unbondings, 2)
		require.Equal(t, types.Unbonding{Id: 1, Staker: staker, Hotkey: hot, Amount: math.NewInt(600), CreationHeight: h, CompletionHeight: h + 50}, got.Unbondings[0])
	}
	// one per page: the key of the first page leads to the second
	page, err := e.Queries.UnbondingsByStaker(e.Ctx, &types.QueryUnbondingsByStakerRequest{Staker: staker, Pagination: &query.PageRequest{Limit: 1}})
	require.NoError(t, err)
	require.Len(t, page.Unbondings, 1)
	require.NotEmpty(t, page.Pagination.NextKey)
	page, err = e.Queries.UnbondingsByStaker(e.Ctx, &types.QueryUnbondingsByStakerRequest{Staker: staker, Pagination: &query.PageRequest{Limit: 1, Key: page.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, page.Unbondings, 1)
	require.Equal(t, uint64(2), page.Unbondings[0].Id)
	require.Empty(t, page.Pagination.NextKey)

	// cancel part of 1: counts again at once; the rest still unbonds
	e.beginBlock(h + 10)
	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: staker, Id: 1, Amount: math.NewInt(200)})
	require.NoError(t, err)
	require.True(t, e.counted(hot).Equal(math.NewInt(550)))
	require.True(t, e.subnetStake(netuid).Equal(math.NewInt(550)))
	// cancel all of 2: the entry is gone
	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: staker, Id: 2, Amount: math.NewInt(50)})
	require.NoError(t, err)
	_, err = e.Keeper.Unbondings.Get(e.Ctx, 2)
	require.Error(t, err, "a fully cancelled unbonding is still stored")
	require.True(t, e.counted(hot).Equal(math.NewInt(600)))

	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: other, Id: 1, Amount: math.NewInt(1)})
	expectErr(t, err, types.ErrUnbondingNotFound, "belongs to "+staker)
	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: staker, Id: 1, Amount: math.NewInt(401)})
	expectErr(t, err, types.ErrInsufficientUnbonding, "holds 400utensor")
	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: staker, Id: 1, Amount: math.ZeroInt()})
	expectErr(t, err, types.ErrInvalidAmount, "> 0")

	e.beginBlock(h + 49)
	require.True(t, e.balance(staker).Equal(before), "paid before completion")
	e.beginBlock(h + 50)
	require.True(t, e.balance(staker).Sub(before).Equal(math.NewInt(400)), "paid %s at completion, want 400", e.balance(staker).Sub(before))
	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: staker, Id: 1, Amount: math.NewInt(1)})
	expectErr(t, err, types.ErrUnbondingNotFound, "may have completed")
	require.True(t, e.counted(hot).Equal(math.NewInt(600)))
}

// TestStakeRateLimit: one add, remove or cancel per (staker, hotkey) per
// stake_rate_limit blocks, with the next allowed block in the error;
// other pairs are not held up.
func TestStakeRateLimit(t *testing.T) {
	e, _, hot := stakeEnv(t)
	e.setParams(func(p *types.Params) { p.StakeRateLimit = 10 })
	staker, other := e.account("staker"), e.account("other")
	e.stakeNow(staker, hot, 1000)
	h := e.Ctx.BlockHeight()
	next := "next stake operation allowed at block " + itoa(h+10)

	_, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(1)})
	expectErr(t, err, types.ErrStakeRateLimit, next)
	e.SetHeight(h + 9)
	_, err = e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(1)})
	expectErr(t, err, types.ErrStakeRateLimit, next)
	_, err = e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: other, Hotkey: hot, Amount: math.NewInt(1)})
	require.NoError(t, err, "another staker is held up")

	e.SetHeight(h + 10)
	_, err = e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(100)})
	require.NoError(t, err)
	e.SetHeight(h + 15)
	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: staker, Id: 1, Amount: math.NewInt(100)})
	expectErr(t, err, types.ErrStakeRateLimit, "next stake operation allowed at block "+itoa(h+20))
	e.SetHeight(h + 20)
	_, err = e.Msgs.CancelUnbonding(e.Ctx, &types.MsgCancelUnbonding{Staker: staker, Id: 1, Amount: math.NewInt(100)})
	require.NoError(t, err)
}

func itoa(n int64) string { return math.NewInt(n).String() }

// TestStakeParamsValidate: the warm-up covers the longest tempo, and the
// delays are bounded.
func TestStakeParamsValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*types.Params)
		text   string
	}{
		{"warm-up below max_tempo", func(p *types.Params) { p.StakeWarmupBlocks = uint64(p.MaxTempo) - 1 }, "stake_warmup_blocks must be in [max_tempo 1000"},
		{"no unbonding", func(p *types.Params) { p.UnbondingBlocks = 0 }, "unbonding_blocks must be in [1,"},
		{"endless unbonding", func(p *types.Params) { p.UnbondingBlocks = 10_000_001 }, "unbonding_blocks must be in [1,"},
		{"rate limit too long", func(p *types.Params) { p.StakeRateLimit = 10_000_001 }, "stake_rate_limit must be <="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := types.DefaultParams()
			tc.change(&p)
			expectErr(t, p.Validate(), types.ErrInvalidParams, tc.text)
		})
	}
	require.NoError(t, types.DefaultParams().Validate())
}

// TestStakeQueueEntryFailsAlone: an entry of the stake queues that cannot
// be processed stays queued and holds up no other entry of the block.
func TestStakeQueueEntryFailsAlone(t *testing.T) {
	e, _, hot := stakeEnv(t)
	staker := e.account("staker")
	h := e.Ctx.BlockHeight()
	_, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(700)})
	require.NoError(t, err)
	// a queue key with no warming stake behind it, due in the same block
	broken := collections.Join3(h+1000, mustAddr(e, hot), mustAddr(e, e.account("ghost")))
	require.NoError(t, e.Keeper.WarmupQueue.Set(e.Ctx, broken))
	e.SetHeight(h + 1000)
	require.NoError(t, e.Keeper.BeginBlocker(e.Ctx))
	require.True(t, e.counted(hot).Equal(math.NewInt(700)), "the good entry did not mature")
	has, err := e.Keeper.WarmupQueue.Has(e.Ctx, broken)
	require.NoError(t, err)
	require.True(t, has, "the failed entry left the queue")
}

// TestUnbondingPagesAreBounded: 100 unbondings per page by default, at most
// 1,000 whatever the request asks.
func TestUnbondingPagesAreBounded(t *testing.T) {
	e, _, hot := stakeEnv(t)
	staker := e.account("staker")
	e.stakeNow(staker, hot, 2000)
	for range 1001 {
		_, err := e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(1)})
		require.NoError(t, err)
	}
	for _, tc := range []struct {
		limit uint64
		want  int
	}{{0, 100}, {5000, 1000}} {
		res, err := e.Queries.UnbondingsByHotkey(e.Ctx, &types.QueryUnbondingsByHotkeyRequest{Hotkey: hot, Pagination: &query.PageRequest{Limit: tc.limit}})
		require.NoError(t, err)
		require.Len(t, res.Unbondings, tc.want, "limit %d", tc.limit)
		require.NotEmpty(t, res.Pagination.NextKey)
	}
}
