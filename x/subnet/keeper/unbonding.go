package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// startUnbonding records amount, just taken off staker's counted stake on
// hotkey, as an unbonding paid unbonding_blocks from now.
func (k Keeper) startUnbonding(ctx context.Context, params types.Params, staker, hotkey string, amount math.Int) (types.Unbonding, error) {
	id, err := k.NextUnbondingID.Next(ctx)
	if err == nil && id == 0 { // ids start at 1: 0 means no unbonding
		id, err = k.NextUnbondingID.Next(ctx)
	}
	if err != nil {
		return types.Unbonding{}, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	u := types.Unbonding{Id: id, Staker: staker, Hotkey: hotkey, Amount: amount,
		CreationHeight: height, CompletionHeight: height + int64(params.UnbondingBlocks)}
	return u, k.Unbondings.Set(ctx, id, u)
}

// CancelUnbonding returns amount of the staker's unbonding msg.Id to its
// counted stake on the hotkey, at once: the tokens never left the module
// and counted before the removal, so they need no new warm-up. What is
// left of the unbonding still completes at its completion height. It
// returns the unbonding as left and the hotkey's new counted total.
func (k Keeper) CancelUnbonding(ctx context.Context, msg *types.MsgCancelUnbonding) (types.Unbonding, math.Int, error) {
	staker, err := k.parseAddr("staker", msg.Staker)
	if err != nil {
		return types.Unbonding{}, math.Int{}, err
	}
	if msg.Amount.IsNil() || !msg.Amount.IsPositive() {
		return types.Unbonding{}, math.Int{}, errorsmod.Wrap(types.ErrInvalidAmount, "amount must be > 0")
	}
	u, err := k.Unbondings.Get(ctx, msg.Id)
	if errors.Is(err, collections.ErrNotFound) {
		return u, math.Int{}, errorsmod.Wrapf(types.ErrUnbondingNotFound, "no unbonding %d (it may have completed)", msg.Id)
	}
	if err != nil {
		return u, math.Int{}, err
	}
	if u.Staker != msg.Staker {
		return u, math.Int{}, errorsmod.Wrapf(types.ErrUnbondingNotFound, "unbonding %d belongs to %s, not %s", msg.Id, u.Staker, msg.Staker)
	}
	if u.Amount.LT(msg.Amount) {
		return u, math.Int{}, errorsmod.Wrapf(types.ErrInsufficientUnbonding, "unbonding %d holds %s%s, asked to cancel %s%s", msg.Id, u.Amount, k.denom, msg.Amount, k.denom)
	}
	hotkey, err := k.parseAddr("hotkey", u.Hotkey)
	if err != nil {
		return u, math.Int{}, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return u, math.Int{}, err
	}
	if err := k.useStakeOp(ctx, params, hotkey, staker); err != nil {
		return u, math.Int{}, err
	}
	u.Amount = u.Amount.Sub(msg.Amount)
	if u.Amount.IsZero() {
		err = k.Unbondings.Remove(ctx, u.Id)
	} else {
		err = k.Unbondings.Set(ctx, u.Id, u)
	}
	if err != nil {
		return u, math.Int{}, err
	}
	total, err := k.changeStake(ctx, hotkey, staker, msg.Amount)
	return u, total, err
}

// dueUnbondings lists the ids of the unbondings whose completion height is
// at most height, in (completion, id) order.
func (k Keeper) dueUnbondings(ctx context.Context, height int64) ([]uint64, error) {
	var ids []uint64
	rng := collections.NewPrefixUntilPairRange[int64, uint64](height)
	err := k.Unbondings.Indexes.Completion.Walk(ctx, rng, func(_ int64, id uint64) (bool, error) {
		ids = append(ids, id)
		return false, nil
	})
	return ids, err
}

// completeOne pays one unbonding to its staker and removes it.
func (k Keeper) completeOne(ctx context.Context, id uint64) (proto.Message, error) {
	u, err := k.Unbondings.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("unbonding %d: %w", id, err)
	}
	staker, err := k.parseAddr("staker", u.Staker)
	if err != nil {
		return nil, err
	}
	if err := k.Unbondings.Remove(ctx, id); err != nil {
		return nil, err
	}
	if err := k.pay(ctx, staker, u.Amount); err != nil {
		return nil, err
	}
	return &types.EventUnbondingCompleted{Id: id, Staker: u.Staker, Hotkey: u.Hotkey, Amount: u.Amount.String()}, nil
}

// processStakeQueues makes warmed stake count and pays completed
// unbondings. Each entry runs in a cached context written only if it
// succeeds: an entry that fails (a bug, or a payment the bank refuses) is
// logged and stays queued for the next block, and holds up no other.
func (k Keeper) processStakeQueues(ctx sdk.Context) error {
	return k.processStakeQueuesUntil(ctx, ctx.BlockHeight())
}

// processStakeQueuesUntil is processStakeQueues for the entries due at
// height (tests pass a later height to skip the wait).
func (k Keeper) processStakeQueuesUntil(ctx sdk.Context, height int64) error {
	warm, err := k.dueWarmups(ctx, height)
	if err != nil {
		return err
	}
	for _, key := range warm {
		if err := k.isolated(ctx, "stake maturity", func(c context.Context) (proto.Message, error) { return k.matureOne(c, key) }); err != nil {
			return err
		}
	}
	ids, err := k.dueUnbondings(ctx, height)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := k.isolated(ctx, "unbonding payout", func(c context.Context) (proto.Message, error) { return k.completeOne(c, id) }); err != nil {
			return err
		}
	}
	return nil
}

// isolated runs f in a cached context (applyIfNoError), emits f's event if
// f succeeds, and logs f's error otherwise (returning only emit errors).
func (k Keeper) isolated(ctx sdk.Context, what string, f func(context.Context) (proto.Message, error)) error {
	var ev proto.Message
	err := k.applyIfNoError(ctx, func(c sdk.Context) error {
		var err error
		ev, err = f(c)
		return err
	})
	if err != nil {
		k.Logger(ctx).Error(what+" failed; left queued for the next block", "height", ctx.BlockHeight(), "err", err)
		return nil
	}
	return emit(ctx, ev)
}
