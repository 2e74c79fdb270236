package keeper_test

import (
	"fmt"
	"testing"

	"cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestSetWeightsGasGrowsPerEntry: a 4096-entry SetWeights consumes
// weights_gas_per_entry gas for each entry on top of the store gas, so it
// costs far more than a 1-entry one; without the param the difference is
// only the bytes written.
func TestSetWeightsGasGrowsPerEntry(t *testing.T) {
	const paramsReadSlack = 16
	const n = 4096
	e := newEnv(t)
	_, owner := e.Addr(t, "owner")
	e.SetHeight(1)
	hp := types.DefaultHyperparams()
	hp.MaxAllowedUids, hp.MaxAllowedValidators, hp.CommitReveal, hp.WeightsRateLimit = n, 1, false, 0
	gs := types.DefaultGenesis()
	gs.NextNetuid = 2
	gs.Subnets = []types.Subnet{{Netuid: 1, Owner: owner, Name: "gas", Hyperparams: hp, Locked: math.ZeroInt(), Task: digitsTask()}}
	var validator string
	for uid := 0; uid < n; uid++ {
		_, hot := e.Addr(t, fmt.Sprintf("h%d", uid))
		if uid == 0 {
			validator = hot
		}
		gs.Neurons = append(gs.Neurons, types.Neuron{Netuid: 1, Uid: uint32(uid), Hotkey: hot, Coldkey: owner,
			RegistrationBlock: 1, ValidatorPermit: uid == 0, LastEpoch: types.EpochResult{Emission: math.ZeroInt()}})
	}
	// each measurement on a fresh copy of the same state: the gas of a set
	// also depends on the row it replaces
	gasOf := func(perEntry uint64, entries int) uint64 {
		t.Helper()
		f := newEnv(t)
		if err := f.Keeper.InitGenesis(f.Ctx, gs); err != nil {
			t.Fatal(err)
		}
		f.setParams(func(p *types.Params) { p.WeightsGasPerEntry = perEntry })
		f.SetHeight(10)
		msg := &types.MsgSetWeights{Hotkey: validator, Netuid: 1}
		for uid := 0; uid < entries; uid++ {
			msg.Uids, msg.Values = append(msg.Uids, uint32(n-1-uid)), append(msg.Values, uint32(1+uid%1000))
		}
		ctx := f.Ctx.WithGasMeter(storetypes.NewGasMeter(1 << 40))
		if _, err := f.Msgs.SetWeights(ctx, msg); err != nil {
			t.Fatal(err)
		}
		return ctx.GasMeter().GasConsumed()
	}
	perEntry := types.DefaultParams().WeightsGasPerEntry
	one, full := gasOf(perEntry, 1), gasOf(perEntry, n)
	oneFree, fullFree := gasOf(0, 1), gasOf(0, n)
	// a non-zero param also makes each params read a few bytes (gas) dearer
	near := func(got, want uint64) bool { return got >= want && got <= want+paramsReadSlack }
	if !near(one-oneFree, perEntry) || !near(full-fullFree, n*perEntry) {
		t.Errorf("weights_gas_per_entry charged %d and %d gas, want %d and %d (+%d at most)", one-oneFree, full-fullFree, perEntry, n*perEntry, paramsReadSlack)
	}
	if full < 20*one {
		t.Errorf("a %d-entry set costs %d gas, a 1-entry set %d: want at least 20 times more", n, full, one)
	}
	t.Logf("gas: 1 entry %d, %d entries %d (%d and %d without weights_gas_per_entry)", one, n, full, oneFree, fullFree)
}
