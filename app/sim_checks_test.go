package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/proto"

	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"

	subnetkeeper "github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// blockChecks checks x/subnet after every block of a simulation. The SDK
// v0.53 simulator has no invariant hook (x/crisis is gone), so the checks
// ride on two BaseApp hooks the app itself does not use: a streaming
// listener sees each FinalizeBlock response (for EventEpochFailed, which
// the spec says only a bug produces), and the precommiter runs in Commit on
// the block's final state, after the simulator's transactions, where the
// keeper's invariants are checked.
type blockChecks struct {
	keeper subnetkeeper.Keeper
	// fail reports a violation; the simulation test passes t.Fatalf.
	fail func(format string, args ...any)
	// blocks counts the blocks checked.
	blocks int
	// epochFailures holds the EventEpochFailed of the current block.
	epochFailures []string
	// blockEvents counts the x/subnet events of the blocks (epochs,
	// distributions, proposals run by gov), by type.
	blockEvents map[string]int
	// progress, if set, is called every progressEvery blocks with a line
	// saying how far the run is; long runs print it (t.Logf).
	progress      func(format string, args ...any)
	progressEvery int
	// total is the number of blocks the run will check, for the progress
	// line; started and lastMark time it.
	total    int
	started  time.Time
	lastMark time.Time
	// emission is the last emission schedule printed, to print it again
	// only when governance changes it.
	emission string
	// sabotage, if set, runs before the checks: only the test of the
	// checks themselves uses it, to break an invariant on purpose.
	sabotage func(ctx sdk.Context)
}

var _ storetypes.ABCIListener = (*blockChecks)(nil)

// option installs the checks on a BaseApp; pass it to New.
func (c *blockChecks) option(b *baseapp.BaseApp) {
	b.SetPrecommiter(c.precommit)
	b.SetStreamingManager(storetypes.StreamingManager{ABCIListeners: []storetypes.ABCIListener{c}})
}

var (
	// epochFailedType is the event type of EventEpochFailed.
	epochFailedType = proto.MessageName(&subnettypes.EventEpochFailed{})
	// subnetEventPrefix starts the type of every x/subnet event.
	subnetEventPrefix = "tensorcosm.subnet.v1."
)

// ListenFinalizeBlock records the block's failed epochs.
func (c *blockChecks) ListenFinalizeBlock(_ context.Context, _ abci.RequestFinalizeBlock, res abci.ResponseFinalizeBlock) error {
	for _, ev := range res.Events {
		if strings.HasPrefix(ev.Type, subnetEventPrefix) {
			if c.blockEvents == nil {
				c.blockEvents = map[string]int{}
			}
			c.blockEvents[ev.Type]++
		}
		if ev.Type != epochFailedType {
			continue
		}
		var attrs []string
		for _, a := range ev.Attributes {
			attrs = append(attrs, a.Key+"="+a.Value)
		}
		c.epochFailures = append(c.epochFailures, strings.Join(attrs, " "))
	}
	return nil
}

// ListenCommit is a no-op; the checks run in the precommiter.
func (c *blockChecks) ListenCommit(context.Context, abci.ResponseCommit, []*storetypes.StoreKVPair) error {
	return nil
}

// precommit checks the block's final state.
func (c *blockChecks) precommit(ctx sdk.Context) {
	c.blocks++
	if c.sabotage != nil {
		c.sabotage(ctx)
	}
	if len(c.epochFailures) > 0 {
		failures := c.epochFailures
		c.epochFailures = nil
		c.fail("x/subnet epoch failed at height %d: %s", ctx.BlockHeight(), strings.Join(failures, "; "))
	}
	if err := c.keeper.CheckInvariants(ctx); err != nil {
		c.fail("x/subnet invariant broken at height %d: %v", ctx.BlockHeight(), err)
	}
	c.report(ctx)
}

// report prints a progress line every progressEvery blocks: blocks checked
// of the total, height, epochs and distributions so far, what x/subnet has
// minted and paid out, and wall time (the simulation test runs outside the
// state machine, so the wall clock is fine here).
func (c *blockChecks) report(ctx sdk.Context) {
	if c.progress == nil || c.progressEvery <= 0 {
		return
	}
	now := time.Now()
	if c.started.IsZero() {
		c.started, c.lastMark = now, now
	}
	issued, _ := c.keeper.TotalIssued.Get(ctx)
	if params, err := c.keeper.Params.Get(ctx); err == nil {
		schedule := fmt.Sprintf("block_emission %s, max_supply %s, validator_share_bps %d, owner_cut_bps %d",
			params.BlockEmission, params.MaxSupply, params.ValidatorShareBps, params.OwnerCutBps)
		if schedule != c.emission {
			c.progress("sim emission at height %d: %s", ctx.BlockHeight(), schedule)
			c.emission = schedule
		}
	}
	if c.blocks%c.progressEvery != 0 {
		return
	}
	distributed, _ := c.keeper.TotalDistributed.Get(ctx)
	c.progress("sim progress: %d/%d blocks checked (height %d), %d epochs, %d distributions, issued %s, distributed %s utensor; %s elapsed, last %d blocks %s",
		c.blocks, c.total, ctx.BlockHeight(),
		c.blockEvents[subnetEventPrefix+"EventEpoch"], c.blockEvents[subnetEventPrefix+"EventDistribution"],
		intOrZero(issued), intOrZero(distributed),
		now.Sub(c.started).Round(time.Second), c.progressEvery, now.Sub(c.lastMark).Round(100*time.Millisecond))
	c.lastMark = now
}

// intOrZero prints an unset Int as 0.
func intOrZero(i math.Int) string {
	if i.IsNil() {
		return "0"
	}
	return i.String()
}

// recorder is a fail function that keeps the messages, for the test of the
// checks.
type recorder []string

func (r *recorder) fail(format string, args ...any) {
	*r = append(*r, fmt.Sprintf(format, args...))
}
