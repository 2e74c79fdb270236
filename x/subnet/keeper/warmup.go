package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// warmingOf returns staker's warming stake on hotkey, with a zero amount
// when there is none.
func (k Keeper) warmingOf(ctx context.Context, hotkey, staker sdk.AccAddress) (types.WarmingStake, error) {
	w, err := k.WarmingStakes.Get(ctx, collections.Join(hotkey, staker))
	if errors.Is(err, collections.ErrNotFound) {
		return types.WarmingStake{Amount: math.ZeroInt()}, nil
	}
	return w, err
}

// HotkeyWarming returns the stake warming up on hotkey.
func (k Keeper) HotkeyWarming(ctx context.Context, hotkey sdk.AccAddress) (math.Int, error) {
	return getOr(ctx, k.TotalHotkeyWarming, hotkey, math.ZeroInt())
}

// addWarming adds amount to staker's warming stake on hotkey; all of it,
// what was warming before included, counts from mature on. Restarting the
// older part is the conservative choice: the pair keeps one entry, and
// nothing can count sooner than amount would on its own.
func (k Keeper) addWarming(ctx context.Context, hotkey, staker sdk.AccAddress, amount math.Int, mature int64) (types.WarmingStake, error) {
	w, err := k.warmingOf(ctx, hotkey, staker)
	if err != nil {
		return w, err
	}
	if w.Amount.IsPositive() {
		if err := k.WarmupQueue.Remove(ctx, collections.Join3(w.MatureBlock, hotkey, staker)); err != nil {
			return w, err
		}
	}
	if w.Hotkey, err = k.addressCodec.BytesToString(hotkey); err != nil {
		return w, err
	}
	if w.Staker, err = k.addressCodec.BytesToString(staker); err != nil {
		return w, err
	}
	w.Amount, w.MatureBlock = w.Amount.Add(amount), mature
	if err := k.WarmingStakes.Set(ctx, collections.Join(hotkey, staker), w); err != nil {
		return w, err
	}
	if err := k.WarmupQueue.Set(ctx, collections.Join3(mature, hotkey, staker)); err != nil {
		return w, err
	}
	return w, k.addHotkeyWarming(ctx, hotkey, amount)
}

// subWarming takes amount off w, staker's warming stake on hotkey as
// stored, dropping the entry and its queue key when nothing is left.
func (k Keeper) subWarming(ctx context.Context, hotkey, staker sdk.AccAddress, w types.WarmingStake, amount math.Int) error {
	if !amount.IsPositive() {
		return nil
	}
	left := w.Amount.Sub(amount)
	if left.IsNegative() {
		return fmt.Errorf("warming stake of %s on %s would go negative (%s)", staker, hotkey, left)
	}
	key := collections.Join(hotkey, staker)
	var err error
	if left.IsZero() {
		if err = k.WarmupQueue.Remove(ctx, collections.Join3(w.MatureBlock, hotkey, staker)); err == nil {
			err = k.WarmingStakes.Remove(ctx, key)
		}
	} else {
		w.Amount = left
		err = k.WarmingStakes.Set(ctx, key, w)
	}
	if err != nil {
		return err
	}
	return k.addHotkeyWarming(ctx, hotkey, amount.Neg())
}

// addHotkeyWarming adds delta to hotkey's warming total, deleting it at zero.
func (k Keeper) addHotkeyWarming(ctx context.Context, hotkey sdk.AccAddress, delta math.Int) error {
	total, err := k.HotkeyWarming(ctx, hotkey)
	if err != nil {
		return err
	}
	total = total.Add(delta)
	switch {
	case total.IsNegative():
		return fmt.Errorf("warming stake on %s would go negative (%s)", hotkey, total)
	case total.IsZero():
		return k.TotalHotkeyWarming.Remove(ctx, hotkey)
	default:
		return k.TotalHotkeyWarming.Set(ctx, hotkey, total)
	}
}

// dueWarmups lists the warm-up queue keys whose mature_block is at most
// height. The queue only grows by transactions, so the work per block is
// bounded by the transactions of earlier blocks.
func (k Keeper) dueWarmups(ctx context.Context, height int64) ([]WarmupKey, error) {
	var due []WarmupKey
	err := k.WarmupQueue.Walk(ctx, nil, func(key WarmupKey) (bool, error) {
		if key.K1() > height {
			return true, nil
		}
		due = append(due, key)
		return false, nil
	})
	return due, err
}

// matureOne moves one queued warming stake to counted stake.
func (k Keeper) matureOne(ctx context.Context, key WarmupKey) (proto.Message, error) {
	hotkey, staker := key.K2(), key.K3()
	w, err := k.WarmingStakes.Get(ctx, collections.Join(hotkey, staker))
	if err != nil {
		return nil, fmt.Errorf("warm-up queue entry (%d, %s, %s): %w", key.K1(), hotkey, staker, err)
	}
	if err := k.subWarming(ctx, hotkey, staker, w, w.Amount); err != nil {
		return nil, err
	}
	total, err := k.changeStake(ctx, hotkey, staker, w.Amount)
	if err != nil {
		return nil, err
	}
	return &types.EventStakeMatured{Staker: w.Staker, Hotkey: w.Hotkey, Amount: w.Amount.String(), Total: total.String()}, nil
}
