package keeper_test

import (
	"fmt"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// step runs one block: emission in BeginBlocker, epochs in EndBlocker,
// then checks the accounting invariants.
func (e *env) step() {
	e.t.Helper()
	e.SetHeight(e.Ctx.BlockHeight() + 1)
	if err := e.Keeper.BeginBlocker(e.Ctx); err != nil {
		e.t.Fatal(err)
	}
	if err := e.Keeper.EndBlocker(e.Ctx); err != nil {
		e.t.Fatal(err)
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		e.t.Fatalf("block %d: %v", e.Ctx.BlockHeight(), err)
	}
}

func (e *env) neuron(netuid, uid uint32) types.Neuron {
	n, err := e.Keeper.Neurons.Get(e.Ctx, collections.Join(netuid, uid))
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestEpochsRankMinersAndPayEveryone runs a subnet with two validators
// (stake 3:1) and three miners through several epochs. Both validators
// weight miner A over B and ignore C. A must earn the most, C nothing; the
// bigger validator must earn more dividends; every block the module holds
// exactly stake + locks + pending, and issued = distributed + pending.
func TestEpochsRankMinersAndPayEveryone(t *testing.T) {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.Tempo, hp.CommitReveal, hp.WeightsRateLimit, hp.MaxAllowedValidators = 10, false, 0, 2
	hp.MaxRegistrationsPerBlock, hp.ImmunityPeriod = 8, 0
	owner := e.account("owner")
	netuid := e.createSubnet(owner, &hp)
	names := []string{"v1", "v2", "a", "b", "c"}
	var hots, colds []string
	for _, n := range names {
		cold := e.account("cold-" + n)
		hot := e.key(n)
		e.register(cold, hot, netuid)
		hots, colds = append(hots, hot), append(colds, cold)
	}
	staker := e.account("staker")
	for i, amt := range []int64{3_000_000, 1_000_000} {
		e.stakeNow(staker, hots[i], amt)
	}
	// the first epoch hands out permits by stake
	for !e.neuron(netuid, 0).ValidatorPermit {
		e.step()
		if e.Ctx.BlockHeight() > 40 {
			t.Fatal("no validator permit after 40 blocks")
		}
	}
	if e.neuron(netuid, 2).ValidatorPermit {
		t.Fatal("a miner without stake got a permit")
	}
	for _, v := range []int{0, 1} {
		if _, err := e.Msgs.SetWeights(e.Ctx, &types.MsgSetWeights{Hotkey: hots[v], Netuid: netuid, Uids: []uint32{2, 3, 4}, Values: []uint32{65535, 20000, 0}}); err != nil {
			t.Fatal(err)
		}
	}
	before := make([]math.Int, len(colds))
	for i, c := range colds {
		before[i] = e.balance(c)
	}
	ownerBefore := e.balance(owner)
	for i := 0; i < 30; i++ {
		e.step()
	}
	a, b, c := e.neuron(netuid, 2).LastEpoch, e.neuron(netuid, 3).LastEpoch, e.neuron(netuid, 4).LastEpoch
	if !(a.Incentive > b.Incentive && b.Incentive > c.Incentive && c.Incentive == 0) {
		t.Fatalf("incentive a %d, b %d, c %d: want a > b > c = 0", a.Incentive, b.Incentive, c.Incentive)
	}
	// both validators submit the same row, so nobody is clipped: A and B keep all
	// their trust; nobody weights C or the validators
	if a.Trust != types.U16Max || b.Trust != types.U16Max || c.Trust != 0 || e.neuron(netuid, 0).LastEpoch.Trust != 0 {
		t.Fatalf("trust a %d, b %d, c %d, v1 %d: want 65535, 65535, 0, 0", a.Trust, b.Trust, c.Trust, e.neuron(netuid, 0).LastEpoch.Trust)
	}
	v1, v2 := e.neuron(netuid, 0).LastEpoch, e.neuron(netuid, 1).LastEpoch
	if v1.Dividends == 0 || v2.Dividends == 0 || v1.Dividends <= v2.Dividends {
		t.Fatalf("dividends v1 %d, v2 %d: want both > 0 and v1 > v2", v1.Dividends, v2.Dividends)
	}
	// miners are paid to their coldkeys; A earned the most
	gain := func(i int) math.Int { return e.balance(colds[i]).Sub(before[i]) }
	if !(gain(2).GT(gain(3)) && gain(3).IsPositive() && gain(4).IsZero()) {
		t.Fatalf("miner coldkey gains a %s, b %s, c %s", gain(2), gain(3), gain(4))
	}
	// validators' coldkeys get the default take; the stakers' stake grew
	if !gain(0).IsPositive() {
		t.Errorf("validator 1's coldkey earned no take")
	}
	st, _ := e.Keeper.StakeOf(e.Ctx, mustAddr(e, hots[0]), mustAddr(e, staker))
	if !st.GT(math.NewInt(3_000_000)) {
		t.Errorf("stake on v1 did not compound: %s", st)
	}
	if !e.balance(owner).GT(ownerBefore) {
		t.Errorf("the owner got no cut")
	}
}

// TestEpochStoresTrust: validators V1 (stake 3) and V2 (stake 1) disagree: V1 weights
// miners A:B 65535:20000, V2 20000:65535. V1 holds more than kappa, so its row is the
// consensus; V2 is clipped on B. With a = 20000/85535 and b = 65535/85535 the
// normalised weights, B's trust is (3a + a) / (3a + b) = 80000/125535, stored as
// round(80000 * 65535 / 125535) = 41764; A is not clipped and keeps 65535.
func TestEpochStoresTrust(t *testing.T) {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.Tempo, hp.CommitReveal, hp.WeightsRateLimit, hp.MaxAllowedValidators = 10, false, 0, 2
	hp.MaxRegistrationsPerBlock, hp.ImmunityPeriod = 8, 0
	netuid := e.createSubnet(e.account("owner"), &hp)
	var hots []string
	for _, n := range []string{"v1", "v2", "a", "b"} {
		hots = append(hots, e.key(n))
		e.register(e.account("cold-"+n), hots[len(hots)-1], netuid)
	}
	staker := e.account("staker")
	for i, amt := range []int64{3_000_000, 1_000_000} {
		e.stakeNow(staker, hots[i], amt)
	}
	for !e.neuron(netuid, 0).ValidatorPermit {
		e.step()
		if e.Ctx.BlockHeight() > 40 {
			t.Fatal("no validator permit after 40 blocks")
		}
	}
	for v, values := range [][]uint32{{65535, 20000}, {20000, 65535}} {
		if _, err := e.Msgs.SetWeights(e.Ctx, &types.MsgSetWeights{Hotkey: hots[v], Netuid: netuid, Uids: []uint32{2, 3}, Values: values}); err != nil {
			t.Fatal(err)
		}
	}
	for range 11 { // one full tempo: exactly one epoch with the weights
		e.step()
	}
	got := []uint32{e.neuron(netuid, 0).LastEpoch.Trust, e.neuron(netuid, 1).LastEpoch.Trust,
		e.neuron(netuid, 2).LastEpoch.Trust, e.neuron(netuid, 3).LastEpoch.Trust}
	if want := []uint32{0, 0, types.U16Max, 41764}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("trust %v, want %v", got, want)
	}
}

// TestBlockEmissionSplitsByStakeAndHalves checks the per-block mint: the
// validators' share to the fee collector, the rest to subnets by stake, and
// the halving by issuance.
func TestBlockEmissionSplitsByStakeAndHalves(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	n1, n2 := e.createSubnet(owner, nil), e.createSubnet(owner, nil)
	h1, h2 := e.key("h1"), e.key("h2")
	e.register(e.account("c"), h1, n1)
	e.register(e.account("c"), h2, n2)
	for hot, amt := range map[string]int64{h1: 3_000, h2: 1_000} {
		e.stakeNow(e.account("s"), hot, amt)
	}
	if err := e.Keeper.MintBlockEmission(e.Ctx); err != nil {
		t.Fatal(err)
	}
	// 1,000,000 minted: 10% to the fee collector, 900,000 split 3:1
	p1, _ := e.Keeper.Pending(e.Ctx, n1)
	p2, _ := e.Keeper.Pending(e.Ctx, n2)
	if !p1.Equal(math.NewInt(675_000)) || !p2.Equal(math.NewInt(225_000)) {
		t.Errorf("pending: %s and %s, want 675000 and 225000", p1, p2)
	}
	if got := e.Bank.ModuleBalance("fee_collector", denom).Amount; !got.Equal(math.NewInt(100_000)) {
		t.Errorf("fee collector got %s, want 100000", got)
	}
	p := types.DefaultParams()
	half := p.MaxSupply.QuoRaw(2)
	for _, tc := range []struct {
		issued math.Int
		want   int64
	}{
		{math.ZeroInt(), 1_000_000},
		{half.SubRaw(1), 1_000_000},
		{half, 500_000},
		{half.Add(half.QuoRaw(2)), 250_000},
		{p.MaxSupply.SubRaw(7), 0}, // 41 halvings of 10^6 leave nothing
		{p.MaxSupply, 0},
	} {
		if got := p.BlockEmissionAt(tc.issued); !got.Equal(math.NewInt(tc.want)) {
			t.Errorf("emission after %s issued: got %s, want %d", tc.issued, got, tc.want)
		}
	}
	// never more than what is left of max_supply
	small := types.Params{BlockEmission: math.NewInt(5_000), MaxSupply: math.NewInt(1_000)}
	if got := small.BlockEmissionAt(math.ZeroInt()); !got.Equal(math.NewInt(1_000)) {
		t.Errorf("capped emission: got %s, want 1000", got)
	}
}

// TestEpochScheduling checks staggering by netuid and the per-block bound:
// with max_epochs_per_block 1, subnets due in the same block run one per
// block, lowest netuid first.
func TestEpochScheduling(t *testing.T) {
	e := newEnv(t)
	hp := types.DefaultHyperparams()
	hp.Tempo = 4
	owner := e.account("owner")
	n1, n2 := e.createSubnet(owner, &hp), e.createSubnet(owner, &hp)
	epochs := func() map[uint32][]int64 {
		got := map[uint32][]int64{}
		for _, ev := range e.Ctx.EventManager().Events() {
			if ev.Type != "tensorcosm.subnet.v1.EventEpoch" {
				continue
			}
			var netuid uint32
			var height int64
			for _, a := range ev.Attributes {
				switch a.Key {
				case "netuid":
					_, _ = fmt.Sscan(a.Value, &netuid)
				case "height":
					_, _ = fmt.Sscan(strings.Trim(a.Value, `"`), &height)
				}
			}
			got[netuid] = append(got[netuid], height)
		}
		return got
	}
	for h := int64(2); h <= 12; h++ {
		e.step()
	}
	got := epochs()
	// (h + netuid + 1) % 5 == 0: netuid 1 at 3, 8; netuid 2 at 2, 7, 12
	if fmt.Sprint(got[n1]) != "[3 8]" || fmt.Sprint(got[n2]) != "[2 7 12]" {
		t.Fatalf("staggered epochs: subnet 1 at %v, subnet 2 at %v", got[n1], got[n2])
	}

	// two subnets due in one block with a bound of 1: the second waits a block
	e2 := newEnv(t)
	p := types.DefaultParams()
	p.MaxEpochsPerBlock = 1
	if err := e2.Keeper.Params.Set(e2.Ctx, p); err != nil {
		t.Fatal(err)
	}
	hpA, hpB := types.DefaultHyperparams(), types.DefaultHyperparams()
	hpA.Tempo, hpB.Tempo = 9, 10 // netuid 1: (h+2)%10, netuid 2: (h+3)%11 -> both due at 8
	a, b := e2.createSubnet(e2.account("o"), &hpA), e2.createSubnet(e2.account("o"), &hpB)
	for h := int64(2); h <= 9; h++ {
		e2.step()
	}
	e = e2
	got = epochs()
	if fmt.Sprint(got[a]) != "[8]" || fmt.Sprint(got[b]) != "[9]" {
		t.Fatalf("bounded epochs: subnet 1 at %v, subnet 2 at %v (want [8] and [9])", got[a], got[b])
	}
}

// TestDissolvePaysPendingEmission dissolves a subnet holding pending
// emission and bonds: a final epoch pays the pending emission, the owner
// gets the lock and only its cut, no per-subnet state is left, and the
// accounting still balances.
func TestDissolvePaysPendingEmission(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	netuid := e.createSubnet(owner, nil)
	hot := e.key("hot")
	e.register(e.account("cold"), hot, netuid)
	e.stakeNow(e.account("s"), hot, 10)
	e.step()
	pending, _ := e.Keeper.Pending(e.Ctx, netuid)
	if !pending.IsPositive() {
		t.Fatal("no pending emission to test with")
	}
	key := collections.Join(netuid, uint32(0))
	if err := e.Keeper.Bonds.Set(e.Ctx, key, types.BondsRow{Entries: []types.BondEntry{{Uid: 0, Value: 1}}}); err != nil {
		t.Fatal(err)
	}
	before := e.balance(owner)
	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: owner, Netuid: netuid}); err != nil {
		t.Fatal(err)
	}
	cut := pending.MulRaw(int64(types.DefaultParams().OwnerCutBps)).QuoRaw(10_000)
	if got, want := e.balance(owner).Sub(before), types.DefaultParams().SubnetLockCost.Add(cut); !got.Equal(want) {
		t.Errorf("owner got %s, want lock + its cut = %s", got, want)
	}
	if has, _ := e.Keeper.PendingEmission.Has(e.Ctx, netuid); has {
		t.Error("pending emission of a dissolved subnet still stored")
	}
	if has, _ := e.Keeper.Bonds.Has(e.Ctx, key); has {
		t.Error("bonds of a dissolved subnet still stored")
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Error(err)
	}
}
