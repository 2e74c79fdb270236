package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// ServeAxon records where a neuron serves and which model it commits to.
// The first announcement is always allowed; later ones wait for
// serving_rate_limit blocks.
func (k Keeper) ServeAxon(ctx context.Context, msg *types.MsgServeAxon) (types.Neuron, error) {
	hotkey, err := k.parseAddr("hotkey", msg.Hotkey)
	if err != nil {
		return types.Neuron{}, err
	}
	if err := msg.Axon.Validate(); err != nil {
		return types.Neuron{}, err
	}
	if err := msg.Model.Validate(); err != nil {
		return types.Neuron{}, err
	}
	s, err := k.GetSubnet(ctx, msg.Netuid)
	if err != nil {
		return types.Neuron{}, err
	}
	n, err := k.GetNeuronByHotkey(ctx, msg.Netuid, hotkey)
	if err != nil {
		return types.Neuron{}, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if n.Axon != nil {
		if next := n.Axon.Block + int64(s.Hyperparams.ServingRateLimit); height < next {
			return types.Neuron{}, errorsmod.Wrapf(types.ErrServingRateLimit, "last served at block %d; next allowed at %d", n.Axon.Block, next)
		}
	}
	axon, model := msg.Axon, msg.Model
	axon.Block = height
	n.Axon, n.Model = &axon, &model
	return n, k.Neurons.Set(ctx, collections.Join(n.Netuid, n.Uid), n)
}
