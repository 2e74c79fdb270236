package keeper

import (
	"errors"
	"fmt"
	"runtime/debug"

	storetypes "cosmossdk.io/store/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// ErrBlockWorkPanicked wraps a panic recovered from block work run by
// applyIfNoError: a bug, since block work reads state that was validated on
// the way in.
var ErrBlockWorkPanicked = errors.New("x/subnet: block work panicked")

// applyIfNoError runs f in a cached context of ctx and writes the cache
// (f's state changes, and the events f emitted, to ctx) only if f returns
// nil. Otherwise ctx is left exactly as it was and f's error is returned, so
// the caller can report it and carry on without half-written state: the
// blockers' contract (README.md, "At a subnet's epoch") is that one failing
// unit of work (an epoch, the block's mint, one stake maturity or unbonding
// payout) never halts the chain.
//
// A panic in f is recovered and returned as an error wrapping
// ErrBlockWorkPanicked; what is logged (with the stack) never reaches state
// or events. Running out of gas is not a bug but the limit a transaction
// chose, so it is panicked again for the SDK to fail the transaction as a
// whole (the blockers run on an infinite gas meter and never see it).
func (k Keeper) applyIfNoError(ctx sdk.Context, f func(sdk.Context) error) error {
	cacheCtx, write := ctx.CacheContext()
	if err := k.recoverPanic(ctx, cacheCtx, f); err != nil {
		return err
	}
	write()
	return nil
}

// recoverPanic calls f(cacheCtx), turning a panic into an error; ctx is
// where the stack is logged.
func (k Keeper) recoverPanic(ctx, cacheCtx sdk.Context, f func(sdk.Context) error) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		switch r.(type) {
		case storetypes.ErrorOutOfGas, storetypes.ErrorGasOverflow:
			panic(r)
		}
		err = fmt.Errorf("%w: %v", ErrBlockWorkPanicked, r)
		k.Logger(ctx).Error("recovered a panic in block work; its writes are dropped",
			"height", ctx.BlockHeight(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}()
	return f(cacheCtx)
}
