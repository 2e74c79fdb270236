package keeper

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"cosmossdk.io/collections"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// dueEpoch is one queued epoch: the subnet and the block it became due.
type dueEpoch struct {
	netuid uint32
	due    int64
}

// EndBlocker queues the subnets whose epoch block this is and runs queued
// epochs oldest due first (lower netuid first among those due in the same
// block) while the block's budget lasts: the first queued epoch always runs,
// so an epoch bigger than the budget cannot wait forever; each next one runs
// only if its work estimate (EpochWorkEstimate) still fits
// max_epoch_work_per_block, and at most max_epochs_per_block run. The rest
// keep their place for the next block, so a subnet with a short tempo
// cannot overtake one that has waited longer. A subnet that is due again
// while still queued keeps its older place (it is never queued twice).
//
// Each epoch runs in a cached context written only if it succeeds, so a
// failure leaves the subnet's state untouched and is reported with
// EventEpochFailed instead of halting the chain; so is a subnet whose work
// cannot be estimated (its state cannot be read). A subnet dissolved while
// queued just leaves the queue.
func (k Keeper) EndBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if err := k.queueDueEpochs(ctx, height); err != nil {
		return err
	}
	queue, err := k.dueQueue(ctx)
	if err != nil {
		return err
	}
	var used uint64
	for i, d := range queue {
		if uint32(i) >= params.MaxEpochsPerBlock {
			break
		}
		work, err := k.EpochWorkEstimate(ctx, d.netuid)
		if err != nil {
			if err := k.DueEpochs.Remove(ctx, d.netuid); err != nil {
				return err
			}
			if errors.Is(err, collections.ErrNotFound) {
				continue // dissolved while queued: nothing to run
			}
			// unreadable state: fail this epoch, as runDueEpoch would
			if err := k.epochFailed(sdkCtx, d.netuid, fmt.Errorf("estimating the epoch's work: %w", err)); err != nil {
				return err
			}
			continue
		}
		if i > 0 && used+work > params.MaxEpochWorkPerBlock {
			break
		}
		used += work
		if err := k.DueEpochs.Remove(ctx, d.netuid); err != nil {
			return err
		}
		if err := k.runDueEpoch(sdkCtx, d, work); err != nil {
			return err
		}
	}
	return nil
}

// queueDueEpochs adds the subnets whose epoch block height is to the queue,
// leaving those already queued at their older place.
func (k Keeper) queueDueEpochs(ctx context.Context, height int64) error {
	var due []uint32
	err := k.Subnets.Walk(ctx, nil, func(netuid uint32, s types.Subnet) (bool, error) {
		if types.IsEpochBlock(netuid, s.Hyperparams.Tempo, height) {
			due = append(due, netuid)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, netuid := range due {
		queued, err := k.DueEpochs.Has(ctx, netuid)
		if err != nil {
			return err
		}
		if queued {
			continue
		}
		if err := k.DueEpochs.Set(ctx, netuid, height); err != nil {
			return err
		}
	}
	return nil
}

// dueQueue returns the queued epochs oldest due first, then by netuid. The
// queue holds at most one entry per subnet (max_subnets), so sorting it each
// block is cheap.
func (k Keeper) dueQueue(ctx context.Context) ([]dueEpoch, error) {
	var queue []dueEpoch
	err := k.DueEpochs.Walk(ctx, nil, func(netuid uint32, due int64) (bool, error) {
		queue = append(queue, dueEpoch{netuid: netuid, due: due})
		return false, nil
	})
	sort.SliceStable(queue, func(a, b int) bool {
		if queue[a].due != queue[b].due {
			return queue[a].due < queue[b].due
		}
		return queue[a].netuid < queue[b].netuid
	})
	return queue, err
}

// runDueEpoch runs one subnet's epoch and boundary work in a cached context
// (applyIfNoError). A subnet dissolved since it became due has nothing to
// run. Any other failure, reading the subnet included, leaves the subnet's
// state as it was and is reported with EventEpochFailed, so the chain goes
// on: only failing to emit an event is returned.
func (k Keeper) runDueEpoch(ctx sdk.Context, d dueEpoch, work uint64) error {
	s, err := k.Subnets.Get(ctx, d.netuid)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return k.epochFailed(ctx, d.netuid, fmt.Errorf("reading the subnet: %w", err))
	}
	ended := k.epochStarted(d.netuid)
	var events []proto.Message
	err = k.applyIfNoError(ctx, func(c sdk.Context) error {
		var err error
		events, err = k.epochBoundary(c, s)
		return err
	})
	if err != nil {
		ended(false)
		return k.epochFailed(ctx, d.netuid, err)
	}
	ended(true)
	recordEpoch(d.netuid, events)
	for _, ev := range events {
		if e, ok := ev.(*types.EventEpoch); ok {
			e.Work, e.DueHeight = work, d.due
		}
		if err := emit(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// epochFailed reports a subnet's epoch that did not run: logged, counted
// and emitted as EventEpochFailed.
func (k Keeper) epochFailed(ctx sdk.Context, netuid uint32, err error) error {
	recordEpochFailed(netuid)
	k.Logger(ctx).Error("epoch failed; subnet state left as it was", "netuid", netuid, "height", ctx.BlockHeight(), "err", err)
	return emit(ctx, &types.EventEpochFailed{Netuid: netuid, Height: ctx.BlockHeight(), Error: err.Error()})
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

// importDueEpochs queues netuids in the given order (oldest due first) with
// due blocks below any height, so they keep their order and run before
// epochs that become due after the import.
func (k Keeper) importDueEpochs(ctx context.Context, netuids []uint32) error {
	for i, netuid := range netuids {
		if err := k.DueEpochs.Set(ctx, netuid, int64(i)-int64(len(netuids))); err != nil {
			return err
		}
	}
	return nil
}
