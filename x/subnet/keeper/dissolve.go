package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// settleDissolved pays a dissolving subnet's pending emission as its next
// epoch would have: a final epoch runs now (owner cut, miners, validators
// and their stakers, as EndBlocker runs it, events included). Dissolving
// just before an epoch therefore earns the owner only its cut, not the
// participants' emission. What the epoch leaves (rounding dust, or all of
// it when the subnet has no neurons or the epoch fails) goes to the fee
// collector for the CometBFT validators, never to the owner.
func (k Keeper) settleDissolved(ctx context.Context, s types.Subnet) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	var ev *types.EventEpoch
	var dists []*types.EventDistribution
	err := k.applyIfNoError(sdkCtx, func(c sdk.Context) error {
		var err error
		ev, dists, err = k.RunEpoch(c, s)
		return err
	})
	if err != nil {
		k.Logger(sdkCtx).Error("final epoch of a dissolving subnet failed; its pending emission goes to the validators",
			"netuid", s.Netuid, "height", sdkCtx.BlockHeight(), "err", err)
	} else {
		if err := emit(ctx, ev); err != nil {
			return err
		}
		for _, d := range dists {
			if err := emit(ctx, d); err != nil {
				return err
			}
		}
	}
	left, err := k.Pending(ctx, s.Netuid)
	if err != nil || !left.IsPositive() {
		return err
	}
	if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, authtypes.FeeCollectorName, k.coins(left)); err != nil {
		return err
	}
	if err := k.addDistributed(ctx, left); err != nil {
		return err
	}
	return k.PendingEmission.Remove(ctx, s.Netuid)
}
