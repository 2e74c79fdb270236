package keeper_test

import (
	"errors"
	"strings"
	"testing"

	storetypes "cosmossdk.io/store/types"
	abci "github.com/cometbft/cometbft/abci/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestApplyIfNoError checks the blockers' cached context: f's writes and
// events reach the block only when f returns nil; an error or a panic
// leaves the block as it was, and running out of gas still panics.
func TestApplyIfNoError(t *testing.T) {
	const probe = uint32(77)
	// work writes a DueEpochs entry and emits an event, then ends with end.
	work := func(k keeper.Keeper, end func() error) func(sdk.Context) error {
		return func(c sdk.Context) error {
			if err := k.DueEpochs.Set(c, probe, 1); err != nil {
				return err
			}
			c.EventManager().EmitEvent(sdk.NewEvent("probe"))
			return end()
		}
	}
	for _, tt := range []struct {
		name    string
		end     func() error
		wantErr error
		written bool
	}{
		{"success is written", func() error { return nil }, nil, true},
		{"error is dropped", func() error { return types.ErrInvalidAmount }, types.ErrInvalidAmount, false},
		{"panic is dropped and returned", func() error { panic("index out of range") }, keeper.ErrBlockWorkPanicked, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := e.Ctx.WithEventManager(sdk.NewEventManager())
			err := keeper.ApplyIfNoError(e.Keeper, ctx, work(e.Keeper, tt.end))
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			has, herr := e.Keeper.DueEpochs.Has(ctx, probe)
			if herr != nil {
				t.Fatal(herr)
			}
			events := len(ctx.EventManager().Events())
			if has != tt.written || (events == 1) != tt.written {
				t.Fatalf("written = %v with %d events, want written = %v", has, events, tt.written)
			}
		})
	}
	t.Run("out of gas panics again", func(t *testing.T) {
		e := newEnv(t)
		ctx := e.Ctx.WithGasMeter(storetypes.NewGasMeter(10))
		defer func() {
			if _, ok := recover().(storetypes.ErrorOutOfGas); !ok {
				t.Fatal("out of gas did not panic through")
			}
			if has, _ := e.Keeper.DueEpochs.Has(e.Ctx, probe); has {
				t.Fatal("the write before running out of gas reached the block")
			}
		}()
		_ = keeper.ApplyIfNoError(e.Keeper, ctx, work(e.Keeper, func() error {
			ctx.GasMeter().ConsumeGas(100, "test")
			return nil
		}))
	})
}

// epochFailures returns the EventEpochFailed emitted on ctx.
func epochFailures(t *testing.T, ctx sdk.Context) []*types.EventEpochFailed {
	t.Helper()
	var out []*types.EventEpochFailed
	for _, ev := range ctx.EventManager().Events() {
		msg, err := sdk.ParseTypedEvent(abci.Event(ev))
		if err != nil {
			continue
		}
		if f, ok := msg.(*types.EventEpochFailed); ok {
			out = append(out, f)
		}
	}
	return out
}

// TestRunDueEpochDissolved: a queued subnet that no longer exists is
// skipped without an error or an event.
func TestRunDueEpochDissolved(t *testing.T) {
	e := newEnv(t)
	ctx := e.Ctx.WithEventManager(sdk.NewEventManager())
	if err := keeper.RunDueEpoch(e.Keeper, ctx, 99, 1); err != nil {
		t.Fatalf("dissolved subnet: %v", err)
	}
	if n := len(ctx.EventManager().Events()); n != 0 {
		t.Fatalf("%d events for a dissolved subnet, want none", n)
	}
}

// TestRunDueEpochReadFailure: a subnet that cannot be read (any error but
// not-found) fails its epoch with EventEpochFailed, and the chain goes on.
func TestRunDueEpochReadFailure(t *testing.T) {
	e := newEnv(t)
	netuid := e.createSubnet(e.account("owner"), nil)
	if err := keeper.CorruptEntry(e.Keeper, e.Ctx, types.SubnetsKey, netuid); err != nil {
		t.Fatal(err)
	}
	ctx := e.Ctx.WithEventManager(sdk.NewEventManager())
	if err := keeper.RunDueEpoch(e.Keeper, ctx, netuid, 1); err != nil {
		t.Fatalf("read failure halted the block: %v", err)
	}
	failed := epochFailures(t, ctx)
	if len(failed) != 1 || failed[0].Netuid != netuid || !strings.Contains(failed[0].Error, "reading the subnet") {
		t.Fatalf("EventEpochFailed = %v, want one for subnet %d naming the read", failed, netuid)
	}
}

// TestEndBlockerUnreadableWork: a queued subnet whose epoch work cannot be
// read fails its epoch with EventEpochFailed and leaves the queue; the
// block goes on.
func TestEndBlockerUnreadableWork(t *testing.T) {
	e := newEnv(t)
	netuid := e.createSubnet(e.account("owner"), nil)
	if err := keeper.CorruptEntry(e.Keeper, e.Ctx, types.EpochWorkKey, netuid); err != nil {
		t.Fatal(err)
	}
	ctx := e.Ctx.WithEventManager(sdk.NewEventManager())
	if err := e.Keeper.DueEpochs.Set(ctx, netuid, ctx.BlockHeight()); err != nil {
		t.Fatal(err)
	}
	if err := e.Keeper.EndBlocker(ctx); err != nil {
		t.Fatalf("unreadable epoch work halted the block: %v", err)
	}
	failed := epochFailures(t, ctx)
	if len(failed) != 1 || failed[0].Netuid != netuid || !strings.Contains(failed[0].Error, "estimating the epoch's work") {
		t.Fatalf("EventEpochFailed = %v, want one for subnet %d naming the estimate", failed, netuid)
	}
	if queued, _ := e.Keeper.DueEpochs.Has(ctx, netuid); queued {
		t.Fatal("the failed epoch is still queued")
	}
}

// TestEpochPanicIsIsolated: an epoch that panics halfway (here the bank,
// paying the owner's cut) leaves the subnet's state as it was, emits
// EventEpochFailed and lets the block finish; the next epoch pays.
func TestEpochPanicIsIsolated(t *testing.T) {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.Tempo = 1000
	netuid := e.createSubnet(e.account("owner"), &hp)
	hot := e.key("miner")
	e.register(e.account("cold"), hot, netuid)
	e.stakeNow(e.account("staker"), hot, 1_000_000)
	for range 3 {
		e.step()
	}
	pending, err := e.Keeper.Pending(e.Ctx, netuid)
	if err != nil || !pending.IsPositive() {
		t.Fatalf("pending %v (%v), want some to pay", pending, err)
	}
	e.SetHeight(e.Ctx.BlockHeight() + 1)
	ctx := e.Ctx.WithEventManager(sdk.NewEventManager())
	if err := e.Keeper.DueEpochs.Set(ctx, netuid, ctx.BlockHeight()); err != nil {
		t.Fatal(err)
	}
	e.Bank.PanicOn = "SendCoinsFromModuleToAccount"
	if err := e.Keeper.EndBlocker(ctx); err != nil {
		t.Fatalf("a panicking epoch halted the block: %v", err)
	}
	failed := epochFailures(t, ctx)
	if len(failed) != 1 || !strings.Contains(failed[0].Error, keeper.ErrBlockWorkPanicked.Error()) {
		t.Fatalf("EventEpochFailed = %v, want one naming the panic", failed)
	}
	if after, _ := e.Keeper.Pending(ctx, netuid); !after.Equal(pending) {
		t.Fatalf("pending %s after the failed epoch, want %s untouched", after, pending)
	}
	if err := e.Keeper.CheckInvariants(ctx); err != nil {
		t.Fatalf("failed epoch left broken state: %v", err)
	}
	e.Bank.PanicOn = ""
	if err := keeper.RunDueEpoch(e.Keeper, ctx, netuid, ctx.BlockHeight()); err != nil {
		t.Fatal(err)
	}
	if after, _ := e.Keeper.Pending(ctx, netuid); after.GTE(pending) {
		t.Fatalf("pending %s after a working epoch, want below %s", after, pending)
	}
}

// TestBeginBlockerPanicMintsNothing: a panic while minting drops the
// block's emission and the block goes on.
func TestBeginBlockerPanicMintsNothing(t *testing.T) {
	e := newEnv(t)
	e.step()
	before, err := e.Keeper.TotalIssued.Get(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.Bank.PanicOn = "MintCoins"
	e.SetHeight(e.Ctx.BlockHeight() + 1)
	if err := e.Keeper.BeginBlocker(e.Ctx); err != nil {
		t.Fatalf("a panicking mint halted the block: %v", err)
	}
	if after, _ := e.Keeper.TotalIssued.Get(e.Ctx); !after.Equal(before) {
		t.Fatalf("issued %s after a failed mint, want %s", after, before)
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Fatal(err)
	}
}
