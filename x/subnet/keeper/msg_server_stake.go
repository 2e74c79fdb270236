package keeper

import (
	"context"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// AddStake stakes the staker's tokens on a registered hotkey; they warm up
// before they count.
func (s msgServer) AddStake(ctx context.Context, msg *types.MsgAddStake) (*types.MsgAddStakeResponse, error) {
	w, err := s.k.AddStake(ctx, msg)
	if err != nil {
		return nil, err
	}
	hotkey, err := s.k.parseAddr("hotkey", msg.Hotkey)
	if err != nil {
		return nil, err
	}
	total, err := s.k.HotkeyStake(ctx, hotkey)
	if err != nil {
		return nil, err
	}
	return &types.MsgAddStakeResponse{}, emit(ctx, &types.EventStakeAdded{
		Staker: msg.Staker, Hotkey: msg.Hotkey, Amount: msg.Amount.String(), Total: total.String(),
		Warming: w.Amount.String(), MatureBlock: w.MatureBlock,
	})
}

// RemoveStake pays warming stake back and unbonds counted stake.
func (s msgServer) RemoveStake(ctx context.Context, msg *types.MsgRemoveStake) (*types.MsgRemoveStakeResponse, error) {
	res, err := s.k.RemoveStake(ctx, msg)
	if err != nil {
		return nil, err
	}
	u := res.Unbonding
	return &types.MsgRemoveStakeResponse{Paid: res.Paid, Unbonding: u.Amount, UnbondingId: u.Id, CompletionHeight: u.CompletionHeight},
		emit(ctx, &types.EventStakeRemoved{
			Staker: msg.Staker, Hotkey: msg.Hotkey, Amount: msg.Amount.String(), Total: res.Total.String(),
			Paid: res.Paid.String(), Unbonding: u.Amount.String(), UnbondingId: u.Id, CompletionHeight: u.CompletionHeight,
		})
}

// CancelUnbonding returns unbonding stake to counted stake.
func (s msgServer) CancelUnbonding(ctx context.Context, msg *types.MsgCancelUnbonding) (*types.MsgCancelUnbondingResponse, error) {
	u, total, err := s.k.CancelUnbonding(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCancelUnbondingResponse{}, emit(ctx, &types.EventUnbondingCancelled{
		Id: msg.Id, Staker: msg.Staker, Hotkey: u.Hotkey, Amount: msg.Amount.String(), Remaining: u.Amount.String(), Total: total.String(),
	})
}

// SetDelegateTake sets a hotkey's take; the hotkey's coldkey signs.
func (s msgServer) SetDelegateTake(ctx context.Context, msg *types.MsgSetDelegateTake) (*types.MsgSetDelegateTakeResponse, error) {
	if err := s.k.SetDelegateTake(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgSetDelegateTakeResponse{}, emit(ctx, &types.EventDelegateTakeSet{Hotkey: msg.Hotkey, Take: msg.Take})
}
