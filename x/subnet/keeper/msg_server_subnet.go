package keeper

import (
	"context"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// CreateSubnet creates a subnet and locks the creator's lock cost.
func (s msgServer) CreateSubnet(ctx context.Context, msg *types.MsgCreateSubnet) (*types.MsgCreateSubnetResponse, error) {
	subnet, err := s.k.CreateSubnet(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateSubnetResponse{Netuid: subnet.Netuid}, emit(ctx, &types.EventSubnetCreated{
		Netuid: subnet.Netuid, Owner: subnet.Owner, Name: subnet.Name, Locked: subnet.Locked.String(),
	})
}

// DissolveSubnet removes a subnet; its owner or the authority signs.
func (s msgServer) DissolveSubnet(ctx context.Context, msg *types.MsgDissolveSubnet) (*types.MsgDissolveSubnetResponse, error) {
	subnet, removed, err := s.k.DissolveSubnet(ctx, msg.Signer, msg.Netuid)
	if err != nil {
		return nil, err
	}
	recordDissolved(ctx, msg.Netuid)
	return &types.MsgDissolveSubnetResponse{}, emit(ctx, &types.EventSubnetDissolved{
		Netuid: subnet.Netuid, Owner: subnet.Owner, Refunded: subnet.Locked.String(), NeuronsRemoved: removed,
	})
}

// UpdateSubnetHyperparams schedules new hyperparameters for the next epoch boundary.
func (s msgServer) UpdateSubnetHyperparams(ctx context.Context, msg *types.MsgUpdateSubnetHyperparams) (*types.MsgUpdateSubnetHyperparamsResponse, error) {
	effective, err := s.k.UpdateHyperparams(ctx, msg.Signer, msg.Netuid, msg.Hyperparams)
	if err != nil {
		return nil, err
	}
	hp := msg.Hyperparams
	return &types.MsgUpdateSubnetHyperparamsResponse{EffectiveBlock: effective}, emit(ctx, &types.EventHyperparamsUpdated{
		Netuid: msg.Netuid, Hyperparams: &hp, EffectiveBlock: effective,
	})
}
