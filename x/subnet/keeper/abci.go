package keeper

import (
	"context"

	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// EndBlocker runs the epochs that are due: subnets whose epoch block this is
// join the due set, and at most max_epochs_per_block of the due subnets run
// (lowest netuid first; the rest wait for the next block). Each epoch runs
// in a cached context written only if it succeeds, so a failure leaves the
// subnet's state untouched and is reported with EventEpochFailed instead of
// halting the chain.
func (k Keeper) EndBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	var due []uint32
	err = k.Subnets.Walk(ctx, nil, func(netuid uint32, s types.Subnet) (bool, error) {
		if types.IsEpochBlock(netuid, s.Hyperparams.Tempo, height) {
			due = append(due, netuid)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, netuid := range due {
		if err := k.DueEpochs.Set(ctx, netuid); err != nil {
			return err
		}
	}
	var run []uint32
	err = k.DueEpochs.Walk(ctx, nil, func(netuid uint32) (bool, error) {
		run = append(run, netuid)
		return uint32(len(run)) >= params.MaxEpochsPerBlock, nil
	})
	if err != nil {
		return err
	}
	for _, netuid := range run {
		if err := k.DueEpochs.Remove(ctx, netuid); err != nil {
			return err
		}
		if err := k.runDueEpoch(sdkCtx, netuid); err != nil {
			return err
		}
	}
	return nil
}

// runDueEpoch runs one subnet's epoch and boundary work in a cached context.
func (k Keeper) runDueEpoch(ctx sdk.Context, netuid uint32) error {
	s, err := k.Subnets.Get(ctx, netuid)
	if err != nil {
		return nil // dissolved since it became due
	}
	cacheCtx, write := ctx.CacheContext()
	events, err := k.epochBoundary(cacheCtx, s)
	if err != nil {
		k.Logger(ctx).Error("epoch failed; subnet state left as it was", "netuid", netuid, "height", ctx.BlockHeight(), "err", err)
		return emit(ctx, &types.EventEpochFailed{Netuid: netuid, Height: ctx.BlockHeight(), Error: err.Error()})
	}
	write()
	for _, ev := range events {
		if err := emit(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// epochBoundary runs the epoch (Yuma and distribution), drops expired
// weight commits and applies pending hyperparameters. It returns the events
// to emit once the work is committed.
func (k Keeper) epochBoundary(ctx sdk.Context, s types.Subnet) ([]proto.Message, error) {
	ev, dists, err := k.RunEpoch(ctx, s)
	if err != nil {
		return nil, err
	}
	events := []proto.Message{ev}
	for _, d := range dists {
		events = append(events, d)
	}
	if err := k.PruneExpiredCommits(ctx, s, ctx.BlockHeight()); err != nil {
		return nil, err
	}
	updated, applied, err := k.ApplyPendingHyperparams(ctx, s)
	if err != nil {
		return nil, err
	}
	if applied {
		hp := updated.Hyperparams
		events = append(events, &types.EventHyperparamsUpdated{Netuid: s.Netuid, Hyperparams: &hp, EffectiveBlock: ctx.BlockHeight() + 1, Applied: true})
	}
	return events, nil
}
