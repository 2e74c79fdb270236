package keeper_test

import (
	"fmt"
	stdmath "math"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const tensor = 1_000_000 // utensor per TENSOR

// flashResult is what one run of the flash-stake scenario measured over the
// attacked epoch.
type flashResult struct {
	// incentiveB is the attacker's favourite miner's incentive (of 65535).
	incentiveB uint32
	// honestPayout is what the honest staker of X earned (compounded).
	honestPayout math.Int
	// attackerGain is what the attacker holds after the attack (balance,
	// stake, warming and unbonding) less what it held before.
	attackerGain math.Int
}

// runFlashStake builds a subnet (tempo 10) with an honest validator H
// (3,000 TENSOR, weights only miner A), a permit holder X (1,000 TENSOR
// from an honest delegator D, weights A and its favourite B equally) and
// miners A and B: H's majority keeps B out of consensus.
// After a tempo with those weights, the attacker stakes flash TENSOR on X
// in an epoch block, before the epoch runs, and removes it in the next
// block. With counts, the attacker's stake is made to count at once, as
// every stake did before the warm-up: the control that shows the scenario
// is an attack. flash 0 is the run without attack.
func runFlashStake(t *testing.T, flash int64, counts bool) flashResult {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.Tempo, hp.CommitReveal, hp.WeightsRateLimit, hp.MaxAllowedValidators = 10, false, 0, 2
	hp.MaxRegistrationsPerBlock, hp.ImmunityPeriod = 8, 0
	netuid := e.createSubnet(e.account("owner"), &hp)
	hots := map[string]string{}
	for _, n := range []string{"h", "x", "a", "b"} {
		hots[n] = e.key(n)
		e.register(e.account("cold-"+n), hots[n], netuid)
	}
	honest, attacker := e.account("honest"), e.account("attacker")
	e.stakeNow(e.account("h-staker"), hots["h"], 3_000*tensor)
	e.stakeNow(honest, hots["x"], 1_000*tensor)
	for !e.neuron(netuid, 1).ValidatorPermit {
		e.step()
		if e.Ctx.BlockHeight() > 40 {
			t.Fatal("no validator permit for X after 40 blocks")
		}
	}
	for v, uids := range map[string][]uint32{"h": {2}, "x": {2, 3}} {
		values := []uint32{65535, 65535}[:len(uids)]
		if _, err := e.Msgs.SetWeights(e.Ctx, &types.MsgSetWeights{Hotkey: hots[v], Netuid: netuid, Uids: uids, Values: values}); err != nil {
			t.Fatal(err)
		}
	}
	for range 11 { // one epoch with the weights: bonds form
		e.step()
	}
	epoch := types.NextEpochBlock(netuid, hp.Tempo, e.Ctx.BlockHeight()+1)
	for e.Ctx.BlockHeight() < epoch-1 {
		e.step()
	}
	x := mustAddr(e, hots["x"])
	honestBefore, err := e.Keeper.StakeOf(e.Ctx, x, mustAddr(e, honest))
	if err != nil {
		t.Fatal(err)
	}
	held := func() math.Int { return e.attackerHolds(attacker, hots["x"]) }
	attackerBefore := held()

	// the epoch block: BeginBlocker, the attacker's tx, then the epoch
	e.block(func() {
		if flash == 0 {
			return
		}
		if _, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: attacker, Hotkey: hots["x"], Amount: math.NewInt(flash * tensor)}); err != nil {
			t.Fatal(err)
		}
		if counts {
			if err := keeper.ProcessStakeQueuesUntil(e.Keeper, e.Ctx, stdmath.MaxInt64); err != nil {
				t.Fatal(err)
			}
		}
	})
	if !types.IsEpochBlock(netuid, hp.Tempo, e.Ctx.BlockHeight()) {
		t.Fatalf("block %d is not an epoch block", e.Ctx.BlockHeight())
	}
	res := flashResult{incentiveB: e.neuron(netuid, 3).LastEpoch.Incentive}
	honestAfter, err := e.Keeper.StakeOf(e.Ctx, x, mustAddr(e, honest))
	if err != nil {
		t.Fatal(err)
	}
	res.honestPayout = honestAfter.Sub(honestBefore)
	// the next block: the attacker takes the stake out again
	e.block(func() {
		if flash == 0 {
			return
		}
		if _, err := e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: attacker, Hotkey: hots["x"], Amount: math.NewInt(flash * tensor)}); err != nil {
			t.Fatal(err)
		}
	})
	res.attackerGain = held().Sub(attackerBefore)
	return res
}

// block runs one block: BeginBlocker, txs, EndBlocker, and the invariants.
func (e *env) block(txs func()) {
	e.t.Helper()
	e.SetHeight(e.Ctx.BlockHeight() + 1)
	if err := e.Keeper.BeginBlocker(e.Ctx); err != nil {
		e.t.Fatal(err)
	}
	txs()
	if err := e.Keeper.EndBlocker(e.Ctx); err != nil {
		e.t.Fatal(err)
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		e.t.Fatalf("block %d: %v", e.Ctx.BlockHeight(), err)
	}
}

// attackerHolds is staker's balance plus its counted, warming and
// unbonding stake on hotkey.
func (e *env) attackerHolds(staker, hotkey string) math.Int {
	e.t.Helper()
	s, h := mustAddr(e, staker), mustAddr(e, hotkey)
	total := e.balance(staker)
	st, err := e.Keeper.StakeOf(e.Ctx, h, s)
	if err != nil {
		e.t.Fatal(err)
	}
	total = total.Add(st)
	if w, err := e.Keeper.WarmingStakes.Get(e.Ctx, collections.Join(h, s)); err == nil {
		total = total.Add(w.Amount)
	}
	err = e.Keeper.Unbondings.Walk(e.Ctx, nil, func(_ uint64, u types.Unbonding) (bool, error) {
		if u.Staker == staker {
			total = total.Add(u.Amount)
		}
		return false, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return total
}

// TestFlashStakeEarnsNothing is issue 15's attack 1: stake put on a permit
// holder in the epoch block and taken out in the next. Stake that counted
// at once flipped the attacker's favourite miner to full incentive and
// skimmed dividends from the honest staker; warming stake weighs nothing
// in the epoch, so incentive and the honest payout are as without attack
// and the attacker earns 0.
func TestFlashStakeEarnsNothing(t *testing.T) {
	baseline := runFlashStake(t, 0, false)
	t.Logf("no attack: incentive(B) %d, honest payout %s", baseline.incentiveB, baseline.honestPayout)
	if !baseline.honestPayout.IsPositive() {
		t.Fatal("the honest staker earns nothing even without attack: the scenario tests nothing")
	}
	for _, flash := range []int64{30_000, 9_000} {
		t.Run(fmt.Sprintf("%d TENSOR", flash), func(t *testing.T) {
			control := runFlashStake(t, flash, true)
			t.Logf("stake counting at once (before warm-up): incentive(B) %d, honest payout %s, attacker gain %s",
				control.incentiveB, control.honestPayout, control.attackerGain)
			if !control.attackerGain.IsPositive() || !control.honestPayout.LT(baseline.honestPayout) {
				t.Fatalf("counted at once, the flash stake gains nothing: the scenario is no attack (%+v)", control)
			}
			got := runFlashStake(t, flash, false)
			t.Logf("with warm-up: incentive(B) %d, honest payout %s, attacker gain %s", got.incentiveB, got.honestPayout, got.attackerGain)
			if got.incentiveB != baseline.incentiveB {
				t.Errorf("incentive of the attacker's miner %d, want %d as without attack", got.incentiveB, baseline.incentiveB)
			}
			if !got.attackerGain.IsZero() {
				t.Errorf("attacker gained %s utensor, want 0", got.attackerGain)
			}
			if !got.honestPayout.Equal(baseline.honestPayout) {
				t.Errorf("honest staker earned %s, want %s as without attack", got.honestPayout, baseline.honestPayout)
			}
		})
	}
}

// TestStakeInManySubnetsCountsOnce is issue 15's attack 5: 5,000 TENSOR on
// one hotkey registered in 5 subnets counted in full in each (25,000 of
// 35,000 subnet stake: 71.4% of the emission away from an honest subnet
// with 10,000). Split over its subnets it counts 5,000 once: the honest
// subnet gets 10,000/15,000 of the subnets' emission.
func TestStakeInManySubnetsCountsOnce(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	e.setParams(func(p *types.Params) { p.MaxSubnets = 8 })
	var attacked []uint32
	for range 5 {
		attacked = append(attacked, e.createSubnet(owner, nil))
	}
	honestNet := e.createSubnet(owner, nil)
	sybil, honest := e.key("sybil"), e.key("honest")
	for _, n := range attacked {
		e.register(e.account("cold-sybil"), sybil, n)
	}
	e.register(e.account("cold-honest"), honest, honestNet)
	e.stakeNow(e.account("attacker"), sybil, 5_000*tensor)
	e.stakeNow(e.account("staker"), honest, 10_000*tensor)
	if err := e.Keeper.MintBlockEmission(e.Ctx); err != nil {
		t.Fatal(err)
	}
	// 1 TENSOR minted: 10% to the fee collector, 900,000 to the subnets
	toSubnets := math.NewInt(900_000)
	got, err := e.Keeper.Pending(e.Ctx, honestNet)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("honest subnet: %s of %s utensor (%s bps)", got, toSubnets, got.MulRaw(10_000).Quo(toSubnets))
	if !got.Equal(math.NewInt(600_000)) {
		t.Errorf("honest subnet pending %s, want 600000 (10,000 of 15,000 counted stake)", got)
	}
	for _, n := range attacked {
		p, err := e.Keeper.Pending(e.Ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Equal(math.NewInt(60_000)) {
			t.Errorf("subnet %d pending %s, want 60000 (1,000 TENSOR share)", n, p)
		}
	}
}
