package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/tensorcosm/tensorcosm/internal/subnetmetrics"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// getInt reads an Int item, zero when unset.
func getInt(ctx context.Context, item collections.Item[math.Int]) (math.Int, error) {
	v, err := item.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return v, err
}

// getOr reads key from m, or returns def when the key is not set.
func getOr[K, V any](ctx context.Context, m collections.Map[K, V], key K, def V) (V, error) {
	v, err := m.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return def, nil
	}
	return v, err
}

// Pending returns a subnet's pending emission.
func (k Keeper) Pending(ctx context.Context, netuid uint32) (math.Int, error) {
	return getOr(ctx, k.PendingEmission, netuid, math.ZeroInt())
}

// MintBlockEmission mints this block's emission into the module account:
// validator_share_bps of it goes on to the fee collector (the CometBFT
// validators' rewards), the rest is added to the subnets' pending emission
// in proportion to the stake on their registered hotkeys (equally when no
// subnet has stake). With no subnet, only the validators' share is minted.
func (k Keeper) MintBlockEmission(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	issued, err := getInt(ctx, k.TotalIssued)
	if err != nil {
		return err
	}
	emission := params.BlockEmissionAt(issued)
	if !emission.IsPositive() {
		return nil
	}
	toValidators := emission.MulRaw(int64(params.ValidatorShareBps)).QuoRaw(10_000)
	shares, err := k.subnetShares(ctx, emission.Sub(toValidators))
	if err != nil {
		return err
	}
	minted := toValidators
	for _, s := range shares {
		minted = minted.Add(s.amount)
	}
	if !minted.IsPositive() {
		return nil
	}
	if err := k.bank.MintCoins(ctx, types.ModuleName, k.coins(minted)); err != nil {
		return err
	}
	if toValidators.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, authtypes.FeeCollectorName, k.coins(toValidators)); err != nil {
			return err
		}
		if err := k.addDistributed(ctx, toValidators); err != nil {
			return err
		}
	}
	var newPending []subnetShare // for the metrics only
	if subnetmetrics.Enabled() {
		newPending = make([]subnetShare, 0, len(shares))
	}
	for _, s := range shares {
		pending, err := k.Pending(ctx, s.netuid)
		if err != nil {
			return err
		}
		pending = pending.Add(s.amount)
		if err := k.PendingEmission.Set(ctx, s.netuid, pending); err != nil {
			return err
		}
		if newPending != nil {
			newPending = append(newPending, subnetShare{netuid: s.netuid, amount: pending})
		}
	}
	if err := k.TotalIssued.Set(ctx, issued.Add(minted)); err != nil {
		return err
	}
	recordPending(newPending)
	return nil
}

func (k Keeper) addDistributed(ctx context.Context, amount math.Int) error {
	d, err := getInt(ctx, k.TotalDistributed)
	if err != nil {
		return err
	}
	return k.TotalDistributed.Set(ctx, d.Add(amount))
}

type subnetShare struct {
	netuid uint32
	amount math.Int
}

// subnetShares splits amount across subnets by the stake on their
// registered hotkeys, rounding down; the remainder goes to the subnet with
// the most stake (the lowest netuid on ties), so the shares add up exactly.
func (k Keeper) subnetShares(ctx context.Context, amount math.Int) ([]subnetShare, error) {
	var netuids []uint32
	if err := k.Subnets.Walk(ctx, nil, func(netuid uint32, _ types.Subnet) (bool, error) {
		netuids = append(netuids, netuid)
		return false, nil
	}); err != nil || len(netuids) == 0 {
		return nil, err
	}
	stakes := make([]math.Int, len(netuids))
	total := math.ZeroInt()
	for i, netuid := range netuids {
		st, err := k.subnetStake(ctx, netuid)
		if err != nil {
			return nil, err
		}
		stakes[i], total = st, total.Add(st)
	}
	shares := make([]subnetShare, len(netuids))
	given, biggest := math.ZeroInt(), 0
	for i, netuid := range netuids {
		var a math.Int
		if total.IsPositive() {
			a = amount.Mul(stakes[i]).Quo(total)
		} else {
			a = amount.QuoRaw(int64(len(netuids)))
		}
		shares[i] = subnetShare{netuid, a}
		given = given.Add(a)
		if stakes[i].GT(stakes[biggest]) {
			biggest = i
		}
	}
	shares[biggest].amount = shares[biggest].amount.Add(amount.Sub(given))
	return shares, nil
}

// BeginBlocker makes warmed stake count and pays completed unbondings
// (before the split, so the split sees the stake of this block), then
// mints the block emission.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if err := k.processStakeQueues(sdkCtx); err != nil {
		return err
	}
	mint := func(c sdk.Context) error { return k.MintBlockEmission(c) }
	if err := k.applyIfNoError(sdkCtx, mint); err != nil {
		// Nothing minted this block: better than a half-minted one.
		k.Logger(sdkCtx).Error("block emission failed; nothing minted", "height", sdkCtx.BlockHeight(), "err", err)
	}
	return nil
}
