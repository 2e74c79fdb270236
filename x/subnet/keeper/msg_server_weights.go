package keeper

import (
	"context"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// SetWeights stores weights directly; the hotkey signs.
func (s msgServer) SetWeights(ctx context.Context, msg *types.MsgSetWeights) (*types.MsgSetWeightsResponse, error) {
	n, count, err := s.k.SetWeights(ctx, msg)
	recordWeightsTx(ctx, types.MetricKindSet, err)
	if err != nil {
		return nil, err
	}
	return &types.MsgSetWeightsResponse{}, emit(ctx, &types.EventWeightsSet{Netuid: n.Netuid, Uid: n.Uid, Hotkey: n.Hotkey, Count: uint32(count)})
}

// CommitWeights records a weights commitment; the hotkey signs.
func (s msgServer) CommitWeights(ctx context.Context, msg *types.MsgCommitWeights) (*types.MsgCommitWeightsResponse, error) {
	n, reveal, err := s.k.CommitWeights(ctx, msg)
	recordWeightsTx(ctx, types.MetricKindCommit, err)
	if err != nil {
		return nil, err
	}
	return &types.MsgCommitWeightsResponse{RevealEpoch: reveal}, emit(ctx, &types.EventWeightsCommitted{
		Netuid: n.Netuid, Uid: n.Uid, Hotkey: n.Hotkey, CommitHash: msg.CommitHash, RevealEpoch: reveal,
	})
}

// RevealWeights reveals committed weights; the hotkey signs.
func (s msgServer) RevealWeights(ctx context.Context, msg *types.MsgRevealWeights) (*types.MsgRevealWeightsResponse, error) {
	n, count, err := s.k.RevealWeights(ctx, msg)
	recordWeightsTx(ctx, types.MetricKindReveal, err)
	if err != nil {
		return nil, err
	}
	return &types.MsgRevealWeightsResponse{}, emit(ctx, &types.EventWeightsSet{Netuid: n.Netuid, Uid: n.Uid, Hotkey: n.Hotkey, Count: uint32(count), Revealed: true})
}
