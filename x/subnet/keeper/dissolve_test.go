package keeper_test

import (
	"testing"

	"cosmossdk.io/math"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestDissolveBeforeEpochPaysByShares is attack 7: the owner dissolves its
// subnet one block before the epoch. On the old code the owner was paid the
// whole pending emission (90M utensor of a tempo-100 subnet) with its lock.
// Now a final epoch pays it by shares: the owner gets the lock and exactly
// owner_cut_bps of the pending emission, the miner and the validator (take
// to its coldkey, the rest compounded into its staker's stake) get the rest
// but for rounding dust, which goes to the fee collector.
func TestDissolveBeforeEpochPaysByShares(t *testing.T) {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.CommitReveal, hp.WeightsRateLimit, hp.ImmunityPeriod, hp.MaxRegistrationsPerBlock = false, 0, 0, 8
	owner := e.account("owner")
	netuid := e.createSubnet(owner, &hp)
	vCold, mCold, staker := e.account("cold-v"), e.account("cold-m"), e.account("staker")
	vHot, mHot := e.key("v"), e.key("m")
	e.register(vCold, vHot, netuid)
	e.register(mCold, mHot, netuid)
	e.stakeNow(staker, vHot, 1_000_000) // counted at once, as if warmed up
	for !e.neuron(netuid, 0).ValidatorPermit {
		e.step()
		if e.Ctx.BlockHeight() > 3*int64(hp.Tempo) {
			t.Fatal("no validator permit after three tempos")
		}
	}
	if _, err := e.Msgs.SetWeights(e.Ctx, &types.MsgSetWeights{Hotkey: vHot, Netuid: netuid, Uids: []uint32{1}, Values: []uint32{65535}}); err != nil {
		t.Fatal(err)
	}
	next := types.NextEpochBlock(netuid, hp.Tempo, e.Ctx.BlockHeight()+1)
	for e.Ctx.BlockHeight() < next-1 {
		e.step()
	}
	pending, err := e.Keeper.Pending(e.Ctx, netuid)
	if err != nil || !pending.IsPositive() {
		t.Fatalf("pending %s, %v: nothing to dissolve with", pending, err)
	}
	stakeOf := func() math.Int {
		st, err := e.Keeper.StakeOf(e.Ctx, mustAddr(e, vHot), mustAddr(e, staker))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	fees := func() math.Int { return e.Bank.ModuleBalance(authtypes.FeeCollectorName, denom).Amount }
	ownerBefore, vBefore, mBefore, stakeBefore, feesBefore := e.balance(owner), e.balance(vCold), e.balance(mCold), stakeOf(), fees()

	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: owner, Netuid: netuid}); err != nil {
		t.Fatal(err)
	}
	cut := pending.MulRaw(int64(types.DefaultParams().OwnerCutBps)).QuoRaw(10_000)
	ownerGain := e.balance(owner).Sub(ownerBefore)
	if want := types.DefaultParams().SubnetLockCost.Add(cut); !ownerGain.Equal(want) {
		t.Errorf("owner got %s, want the lock + its cut = %s (pending %s)", ownerGain, want, pending)
	}
	miner, validator, staked := e.balance(mCold).Sub(mBefore), e.balance(vCold).Sub(vBefore), stakeOf().Sub(stakeBefore)
	dust := fees().Sub(feesBefore)
	if !miner.IsPositive() || !validator.IsPositive() || !staked.IsPositive() {
		t.Errorf("participants: miner %s, validator take %s, staked %s: want each > 0", miner, validator, staked)
	}
	if got := miner.Add(validator).Add(staked).Add(dust); !got.Equal(pending.Sub(cut)) {
		t.Errorf("participants %s + dust %s = %s, want pending - cut = %s", miner.Add(validator).Add(staked), dust, got, pending.Sub(cut))
	}
	if dust.GT(math.NewInt(10)) {
		t.Errorf("dust %s: more than rounding", dust)
	}
	if has, _ := e.Keeper.PendingEmission.Has(e.Ctx, netuid); has {
		t.Error("pending emission of a dissolved subnet still stored")
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Error(err)
	}
	t.Logf("pending %s: owner cut %s, miner %s, validator take %s, staked %s, dust %s", pending, cut, miner, validator, staked, dust)
}
