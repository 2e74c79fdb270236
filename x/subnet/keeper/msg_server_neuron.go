package keeper

import (
	"context"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Register registers a hotkey; both the coldkey and the hotkey sign the
// transaction (the SDK checks both signatures before this runs).
func (s msgServer) Register(ctx context.Context, msg *types.MsgRegister) (*types.MsgRegisterResponse, error) {
	res, err := s.k.Register(ctx, msg)
	if err != nil {
		return nil, err
	}
	recordRegistration(ctx, msg.Netuid, res)
	return &types.MsgRegisterResponse{Uid: res.UID, Burned: res.Burned, ReplacedHotkey: res.Replaced}, emit(ctx, &types.EventNeuronRegistered{
		Netuid: msg.Netuid, Uid: res.UID, Hotkey: msg.Hotkey, Coldkey: msg.Coldkey,
		Burned: res.Burned.String(), ReplacedHotkey: res.Replaced,
	})
}

// ServeAxon records a neuron's endpoint and model commitment; the hotkey signs.
func (s msgServer) ServeAxon(ctx context.Context, msg *types.MsgServeAxon) (*types.MsgServeAxonResponse, error) {
	n, err := s.k.ServeAxon(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgServeAxonResponse{}, emit(ctx, &types.EventAxonServed{
		Netuid: n.Netuid, Uid: n.Uid, Hotkey: n.Hotkey, Axon: n.Axon, Model: n.Model,
	})
}
