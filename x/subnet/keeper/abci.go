package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// EndBlocker runs each subnet's epoch-boundary work at its epoch block:
// expired weight commits are dropped and pending hyperparameters become
// current. Subnets are visited in netuid
// order; each one's work runs in a cached context that is written only if
// it succeeds, so a failure leaves that subnet untouched and is reported as
// an event rather than halting the chain.
func (k Keeper) EndBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	var due []types.Subnet
	err := k.Subnets.Walk(ctx, nil, func(netuid uint32, s types.Subnet) (bool, error) {
		if types.IsEpochBlock(netuid, s.Hyperparams.Tempo, height) {
			due = append(due, s)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, s := range due {
		cacheCtx, write := sdkCtx.CacheContext()
		applied, err := k.epochBoundary(cacheCtx, s)
		if err != nil {
			k.Logger(sdkCtx).Error("epoch boundary failed; subnet state left as it was", "netuid", s.Netuid, "height", height, "err", err)
			if err := emit(ctx, &types.EventEpochFailed{Netuid: s.Netuid, Height: height, Error: err.Error()}); err != nil {
				return err
			}
			continue
		}
		write()
		if applied != nil {
			if err := emit(ctx, applied); err != nil {
				return err
			}
		}
	}
	return nil
}

// epochBoundary does one subnet's boundary work and returns the event to
// emit once it is committed.
func (k Keeper) epochBoundary(ctx sdk.Context, s types.Subnet) (*types.EventHyperparamsUpdated, error) {
	if err := k.PruneExpiredCommits(ctx, s, ctx.BlockHeight()); err != nil {
		return nil, err
	}
	updated, applied, err := k.ApplyPendingHyperparams(ctx, s)
	if err != nil || !applied {
		return nil, err
	}
	hp := updated.Hyperparams
	return &types.EventHyperparamsUpdated{Netuid: s.Netuid, Hyperparams: &hp, EffectiveBlock: ctx.BlockHeight() + 1, Applied: true}, nil
}
