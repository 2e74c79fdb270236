package keeper

import (
	"context"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// AddStake stakes the staker's tokens on a registered hotkey.
func (s msgServer) AddStake(ctx context.Context, msg *types.MsgAddStake) (*types.MsgAddStakeResponse, error) {
	total, err := s.k.AddStake(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgAddStakeResponse{}, emit(ctx, &types.EventStakeAdded{
		Staker: msg.Staker, Hotkey: msg.Hotkey, Amount: msg.Amount.String(), Total: total.String(),
	})
}

// RemoveStake returns staked tokens to the staker.
func (s msgServer) RemoveStake(ctx context.Context, msg *types.MsgRemoveStake) (*types.MsgRemoveStakeResponse, error) {
	total, err := s.k.RemoveStake(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgRemoveStakeResponse{}, emit(ctx, &types.EventStakeRemoved{
		Staker: msg.Staker, Hotkey: msg.Hotkey, Amount: msg.Amount.String(), Total: total.String(),
	})
}

// SetDelegateTake sets a hotkey's take; the hotkey's coldkey signs.
func (s msgServer) SetDelegateTake(ctx context.Context, msg *types.MsgSetDelegateTake) (*types.MsgSetDelegateTakeResponse, error) {
	if err := s.k.SetDelegateTake(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgSetDelegateTakeResponse{}, emit(ctx, &types.EventDelegateTakeSet{Hotkey: msg.Hotkey, Take: msg.Take})
}
