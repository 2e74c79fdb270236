package simulation

import (
	"context"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// MsgAddStakeFactory stakes part of an account's balance on a registered
// hotkey.
func (c chain) MsgAddStakeFactory() simsx.SimMsgFactoryFn[*types.MsgAddStake] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAddStake) {
		r := data.Rand()
		n, ok := pick(r.Rand, c.allNeurons(ctx))
		if !ok {
			reporter.Skip("no registered hotkey")
			return nil, nil
		}
		denom := c.k.Denom()
		staker, ok := anyAccount(data, reporter, func(a simsx.SimAccount) bool { return a.LiquidBalance().AmountOf(denom).IsPositive() })
		if !ok {
			reporter.Skip("no account with a balance")
			return nil, nil
		}
		amount := staker.LiquidBalance().RandSubsetCoin(reporter, denom)
		if reporter.IsSkipped() {
			return nil, nil
		}
		if c.rateLimited(ctx, sdk.MustAccAddressFromBech32(n.Hotkey), staker.Address) {
			reporter.Skip("stake rate limit")
			return nil, nil
		}
		return []simsx.SimAccount{staker}, &types.MsgAddStake{Staker: staker.AddressBech32, Hotkey: n.Hotkey, Amount: amount.Amount}
	}
}

// MsgRemoveStakeFactory takes back part or all of a simulation account's
// stake on a hotkey, registered or not.
func (c chain) MsgRemoveStakeFactory() simsx.SimMsgFactoryFn[*types.MsgRemoveStake] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRemoveStake) {
		r := data.Rand()
		st, ok := pick(r.Rand, filter(c.stakes(ctx), func(s stake) bool {
			return data.HasAccount(s.staker.String()) && !c.rateLimited(ctx, s.hotkey, s.staker)
		}))
		if !ok {
			reporter.Skip("no stake outside the rate limit")
			return nil, nil
		}
		amount := st.amount
		if r.Intn(2) == 0 {
			amount = math.MaxInt(simtypes.RandomAmount(r.Rand, st.amount), math.OneInt())
		}
		staker := data.GetAccountbyAccAddr(reporter, st.staker)
		return []simsx.SimAccount{staker}, &types.MsgRemoveStake{Staker: staker.AddressBech32, Hotkey: st.hotkey.String(), Amount: amount}
	}
}

// MsgCancelUnbondingFactory returns all or part of a simulation account's
// unbonding to its stake, outside the stake rate limit.
func (c chain) MsgCancelUnbondingFactory() simsx.SimMsgFactoryFn[*types.MsgCancelUnbonding] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCancelUnbonding) {
		r := data.Rand()
		u, ok := pick(r.Rand, filter(c.unbondings(ctx), func(u types.Unbonding) bool {
			return data.HasAccount(u.Staker) && !c.rateLimited(ctx, sdk.MustAccAddressFromBech32(u.Hotkey), sdk.MustAccAddressFromBech32(u.Staker))
		}))
		if !ok {
			reporter.Skip("no unbonding outside the rate limit")
			return nil, nil
		}
		amount := u.Amount
		if r.Intn(2) == 0 {
			amount = math.MaxInt(simtypes.RandomAmount(r.Rand, u.Amount), math.OneInt())
		}
		staker := data.GetAccountbyAccAddr(reporter, sdk.MustAccAddressFromBech32(u.Staker))
		return []simsx.SimAccount{staker}, &types.MsgCancelUnbonding{Staker: staker.AddressBech32, Id: u.Id, Amount: amount}
	}
}

// MsgSetDelegateTakeFactory sets the take of a bound hotkey; its coldkey
// signs. A raise inside delegate_take_rate_limit becomes a cut instead.
func (c chain) MsgSetDelegateTakeFactory() simsx.SimMsgFactoryFn[*types.MsgSetDelegateTake] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgSetDelegateTake) {
		r := data.Rand()
		binding, ok := pick(r.Rand, filter(c.hotkeyOwners(ctx), func(b [2]sdk.AccAddress) bool { return data.HasAccount(b[1].String()) }))
		if !ok {
			reporter.Skip("no bound hotkey")
			return nil, nil
		}
		hot, cold := binding[0], binding[1]
		params := c.params(ctx)
		current, err := c.k.DelegateTake(ctx, hot)
		if err != nil {
			panic(err)
		}
		take := uint32(edgy(r.Rand, 0, int(params.MaxDelegateTake)))
		limited := current.SetBlock > 0 && height(ctx) < current.SetBlock+int64(params.DelegateTakeRateLimit)
		if take > current.Take && limited {
			take = uint32(between(r.Rand, 0, int(min(current.Take, params.MaxDelegateTake))))
		}
		coldkey := data.GetAccountbyAccAddr(reporter, cold)
		return []simsx.SimAccount{coldkey}, &types.MsgSetDelegateTake{Coldkey: coldkey.AddressBech32, Hotkey: hot.String(), Take: take}
	}
}
