package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestStakeSplitsAcrossSubnets: a hotkey's counted stake is split equally
// over the subnets it is registered in (one stake, one vote); the
// metagraph shows each subnet's share and the stake queries the stakes.
func TestStakeSplitsAcrossSubnets(t *testing.T) {
	e := newEnv(t)
	owner, cold, staker := e.account("owner"), e.account("cold"), e.account("staker")
	n1, n2 := e.createSubnet(owner, nil), e.createSubnet(owner, nil)
	hot := e.key("hot")
	e.register(cold, hot, n1)
	e.register(cold, hot, n2)
	before := e.balance(staker)
	e.stakeNow(staker, hot, 701)
	e.stakeNow(cold, hot, 300)
	if got := before.Sub(e.balance(staker)); !got.Equal(math.NewInt(701)) {
		t.Errorf("staker paid %s, want 701", got)
	}
	for n, want := range map[uint32]int64{n1: 501, n2: 500} {
		res, err := e.Queries.Metagraph(e.Ctx, &types.QueryMetagraphRequest{Netuid: n})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Neurons) != 1 || !res.Neurons[0].Stake.Equal(math.NewInt(want)) {
			t.Errorf("subnet %d metagraph stake: %+v, want %d", n, res.Neurons, want)
		}
	}
	byStaker, err := e.Queries.StakeByStaker(e.Ctx, &types.QueryStakeByStakerRequest{Staker: staker})
	if err != nil || len(byStaker.Stakes) != 1 || !byStaker.Stakes[0].Amount.Equal(math.NewInt(701)) {
		t.Errorf("stake by staker: %+v %v", byStaker, err)
	}
	byHot, err := e.Queries.StakeByHotkey(e.Ctx, &types.QueryStakeByHotkeyRequest{Hotkey: hot})
	if err != nil || len(byHot.Stakes) != 2 || !byHot.Total.Equal(math.NewInt(1001)) || !byHot.Warming.IsZero() {
		t.Errorf("stake by hotkey: %+v %v", byHot, err)
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Error(err)
	}
}

func TestStakeRejections(t *testing.T) {
	cases := []struct {
		name string
		run  func(e *env, hot string) error
		want error
		text string
	}{
		{"stake more than balance", func(e *env, hot string) error {
			_, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: e.account("s"), Hotkey: hot, Amount: math.NewInt(2_000_000_000_000)})
			return err
		}, types.ErrInsufficientFunds, "stake costs 2000000000000utensor"},
		{"stake zero", func(e *env, hot string) error {
			_, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: e.account("s"), Hotkey: hot, Amount: math.ZeroInt()})
			return err
		}, types.ErrInvalidAmount, "> 0"},
		{"stake on unregistered hotkey", func(e *env, _ string) error {
			_, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: e.account("s"), Hotkey: e.key("nobody"), Amount: math.NewInt(1)})
			return err
		}, types.ErrHotkeyNotRegistered, "not registered in any subnet"},
		{"remove more than staked", func(e *env, hot string) error {
			if _, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: e.account("s"), Hotkey: hot, Amount: math.NewInt(10)}); err != nil {
				return err
			}
			_, err := e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: e.account("s"), Hotkey: hot, Amount: math.NewInt(11)})
			return err
		}, types.ErrInsufficientStake, "has 0utensor staked and 10utensor warming"},
		{"take by a stranger", func(e *env, hot string) error {
			_, err := e.Msgs.SetDelegateTake(e.Ctx, &types.MsgSetDelegateTake{Coldkey: e.account("s"), Hotkey: hot, Take: 100})
			return err
		}, types.ErrNotHotkeyOwner, "belongs to"},
		{"take above cap", func(e *env, hot string) error {
			_, err := e.Msgs.SetDelegateTake(e.Ctx, &types.MsgSetDelegateTake{Coldkey: e.account("cold"), Hotkey: hot, Take: 20_000})
			return err
		}, types.ErrTakeTooHigh, "max_delegate_take 11796"},
		{"take raised twice too soon", func(e *env, hot string) error {
			if _, err := e.Msgs.SetDelegateTake(e.Ctx, &types.MsgSetDelegateTake{Coldkey: e.account("cold"), Hotkey: hot, Take: 11_796}); err != nil {
				return err
			}
			if _, err := e.Msgs.SetDelegateTake(e.Ctx, &types.MsgSetDelegateTake{Coldkey: e.account("cold"), Hotkey: hot, Take: 5_000}); err != nil {
				return err // lowering is always allowed
			}
			e.SetHeight(e.Ctx.BlockHeight() + 5)
			_, err := e.Msgs.SetDelegateTake(e.Ctx, &types.MsgSetDelegateTake{Coldkey: e.account("cold"), Hotkey: hot, Take: 6_000})
			return err
		}, types.ErrTakeRateLimit, "next raise allowed at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			netuid := e.createSubnet(e.account("owner"), nil)
			hot := e.key("hot")
			e.register(e.account("cold"), hot, netuid)
			expectErr(t, tc.run(e, hot), tc.want, tc.text)
		})
	}
}

func TestDelegateTakeDefaultAndSet(t *testing.T) {
	e := newEnv(t)
	netuid := e.createSubnet(e.account("owner"), nil)
	hot := e.key("hot")
	e.register(e.account("cold"), hot, netuid)
	res, _ := e.Queries.Neuron(e.Ctx, &types.QueryNeuronRequest{Netuid: netuid, Uid: 0})
	if res.Neuron.DelegateTake != keeper.DefaultDelegateTake {
		t.Errorf("default take: got %d, want %d", res.Neuron.DelegateTake, keeper.DefaultDelegateTake)
	}
	if _, err := e.Msgs.SetDelegateTake(e.Ctx, &types.MsgSetDelegateTake{Coldkey: e.account("cold"), Hotkey: hot, Take: 0}); err != nil {
		t.Fatal(err)
	}
	res, _ = e.Queries.Neuron(e.Ctx, &types.QueryNeuronRequest{Netuid: netuid, Uid: 0})
	if res.Neuron.DelegateTake != 0 {
		t.Errorf("take after set: got %d, want 0", res.Neuron.DelegateTake)
	}
}
