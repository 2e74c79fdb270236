package keeper_test

import (
	"fmt"
	"testing"

	"cosmossdk.io/collections"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestMigrate1to2 runs the consensus-version 2 migration on version-1
// state: the due set (prefix 19) becomes the queue in netuid order, ahead
// of anything due later; the new params take their defaults; EpochWork is
// counted from the rows; the derived-state checks pass afterwards.
func TestMigrate1to2(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	for i := 0; i < 3; i++ {
		e.createSubnet(owner, nil)
	}
	legacy := keeper.LegacyDueEpochs(e.Keeper)
	for _, netuid := range []uint32{3, 1} {
		if err := legacy.Set(e.Ctx, netuid); err != nil {
			t.Fatal(err)
		}
	}
	// version-1 rows were written without a counter
	if err := e.Keeper.Weights.Set(e.Ctx, collections.Join(uint32(2), uint32(0)), types.WeightsRow{Entries: []types.WeightEntry{{Uid: 0, Value: 1}, {Uid: 1, Value: 2}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Keeper.Bonds.Set(e.Ctx, collections.Join(uint32(2), uint32(0)), types.BondsRow{Entries: []types.BondEntry{{Uid: 1, Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	p := types.DefaultParams()
	p.MinTempo, p.MaxTempo, p.MaxEpochWorkPerBlock, p.WeightsGasPerEntry = 0, 0, 0, 0
	if err := e.Keeper.Params.Set(e.Ctx, p); err != nil {
		t.Fatal(err)
	}

	if err := e.Keeper.Migrate1to2(e.Ctx); err != nil {
		t.Fatal(err)
	}
	var queue []string
	if err := e.Keeper.DueEpochs.Walk(e.Ctx, nil, func(netuid uint32, due int64) (bool, error) {
		queue = append(queue, fmt.Sprintf("%d@%d", netuid, due))
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(queue) != "[1@-2 3@-1]" {
		t.Errorf("queue %v, want netuid 1 then 3, due before any height", queue)
	}
	if has, _ := legacy.Has(e.Ctx, 1); has {
		t.Error("the version-1 due set is still there")
	}
	got, err := e.Keeper.Params.Get(e.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := types.DefaultParams()
	if got.MinTempo != d.MinTempo || got.MaxTempo != d.MaxTempo || got.MaxEpochWorkPerBlock != d.MaxEpochWorkPerBlock || got.WeightsGasPerEntry != d.WeightsGasPerEntry {
		t.Errorf("params after migration: min_tempo %d, max_tempo %d, budget %d, gas %d; want the defaults",
			got.MinTempo, got.MaxTempo, got.MaxEpochWorkPerBlock, got.WeightsGasPerEntry)
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
	if n, _ := e.Keeper.EpochWork.Get(e.Ctx, 2); n != 3 {
		t.Errorf("EpochWork of subnet 2 is %d, want 3", n)
	}
	if err := e.Keeper.CheckDerivedState(e.Ctx); err != nil {
		t.Error(err)
	}
}
