package keeper_test

import (
	"strings"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// neuronIndexEnv is a subnet with two neurons, uid 0 (hot-a) and 1 (hot-b).
func neuronIndexEnv(t *testing.T) (*env, uint32) {
	e := newEnv(t)
	owner, cold := e.account("owner"), e.account("cold")
	netuid := e.createSubnet(owner, nil)
	e.register(cold, e.key("hot-a"), netuid)
	e.register(cold, e.key("hot-b"), netuid)
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Fatalf("fresh subnet: %v", err)
	}
	return e, netuid
}

// stake adds amount from a funded staker to the named hotkey, counted at once.
func (e *env) stake(hotkey string, amount int64) {
	e.stakeNow(e.account("staker"), e.key(hotkey), amount)
}

// TestSubnetStakeFollowsStakeAndRegistration checks the recorded stake of
// two subnets through staking, registration in both, compounding epochs,
// pruning and dissolution, against the sum over their hotkeys.
func TestSubnetStakeFollowsStakeAndRegistration(t *testing.T) {
	e := newEnv(t)
	owner, cold := e.account("owner"), e.account("cold")
	n1 := e.createSubnet(owner, smallHyperparams(2, 0))
	n2 := e.createSubnet(owner, nil)
	want := func(step string, s1, s2 int64) {
		t.Helper()
		for _, c := range []struct {
			netuid uint32
			want   int64
		}{{n1, s1}, {n2, s2}} {
			got, err := e.Keeper.SubnetStake.Get(e.Ctx, c.netuid)
			if c.want == 0 {
				if err == nil {
					t.Errorf("%s: subnet %d has a recorded stake of %s, want none", step, c.netuid, got)
				}
				continue
			}
			if err != nil || !got.Equal(math.NewInt(c.want)) {
				t.Errorf("%s: subnet %d stake %v (%v), want %d", step, c.netuid, got, err, c.want)
			}
		}
		if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
			t.Errorf("%s: %v", step, err)
		}
	}
	want("no neurons", 0, 0)
	e.register(cold, e.key("hot-a"), n1)
	want("hot-a registers in 1", 0, 0)
	e.stake("hot-a", 1001)
	want("hot-a gets stake", 1001, 0)
	e.register(cold, e.key("hot-a"), n2)
	want("hot-a registers in 2: its stake is split, the odd one to the lower netuid", 501, 500)
	e.register(cold, e.key("hot-b"), n1)
	e.stake("hot-b", 300)
	want("hot-b registers in 1 and gets stake", 801, 500)
	if _, err := e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: e.account("staker"), Hotkey: e.key("hot-a"), Amount: math.NewInt(401)}); err != nil {
		t.Fatal(err)
	}
	want("401 unstaked from hot-a", 600, 300)
	// subnet 1 holds 2 UIDs: a third registration prunes one of them
	e.SetHeight(e.Ctx.BlockHeight() + 1)
	res := e.register(cold, e.key("hot-c"), n1)
	if res.ReplacedHotkey == "" {
		t.Fatal("the third registration in a 2-UID subnet pruned nothing")
	}
	sum := int64(0)
	for uid := uint32(0); uid < 2; uid++ {
		st, err := e.Keeper.StakeIn(e.Ctx, mustAddr(e, e.neuron(n1, uid).Hotkey), n1)
		if err != nil {
			t.Fatal(err)
		}
		sum += st.Int64()
	}
	n2Stake := int64(300)
	if res.ReplacedHotkey == e.key("hot-a") {
		n2Stake = 600 // hot-a left subnet 1: all of its stake counts in 2
	}
	want("hot-c replaced a neuron of subnet 1", sum, n2Stake)
	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: owner, Netuid: n2}); err != nil {
		t.Fatal(err)
	}
	sum = 0
	for uid := uint32(0); uid < 2; uid++ {
		st, err := e.Keeper.HotkeyStake(e.Ctx, mustAddr(e, e.neuron(n1, uid).Hotkey))
		if err != nil {
			t.Fatal(err)
		}
		sum += st.Int64()
	}
	want("subnet 2 dissolved: subnet 1's hotkeys count in full", sum, 0)
}

func (e *env) uidOf(netuid uint32, hotkey string) (uint32, bool) {
	pk, err := e.Keeper.Neurons.Indexes.Hotkey.MatchExact(e.Ctx, collections.Join(netuid, mustAddr(e, hotkey)))
	if err != nil {
		return 0, false
	}
	return pk.K2(), true
}

func TestSetNeuronKeepHotkey(t *testing.T) {
	e, netuid := neuronIndexEnv(t)

	// Same hotkey: the fields change and the index still points at the neuron.
	old := e.neuron(netuid, 1)
	n := old
	n.LastEpoch.Incentive = 1234
	n.ValidatorPermit = !old.ValidatorPermit
	if err := keeper.SetNeuronKeepHotkey(e.Keeper, e.Ctx, old, n); err != nil {
		t.Fatal(err)
	}
	if got := e.neuron(netuid, 1); got.LastEpoch.Incentive != 1234 || got.ValidatorPermit == old.ValidatorPermit {
		t.Errorf("stored neuron did not change: %+v", got)
	}
	if uid, ok := e.uidOf(netuid, e.key("hot-b")); !ok || uid != 1 {
		t.Errorf("hot-b resolves to (%d, %v), want uid 1", uid, ok)
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Error(err)
	}

	// A new hotkey goes through the indexed write: the old entry is gone.
	old = e.neuron(netuid, 1)
	n = old
	n.Hotkey = e.key("hot-c")
	if err := keeper.SetNeuronKeepHotkey(e.Keeper, e.Ctx, old, n); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.uidOf(netuid, e.key("hot-b")); ok {
		t.Error("hot-b still in the index after its uid got hot-c")
	}
	if uid, ok := e.uidOf(netuid, e.key("hot-c")); !ok || uid != 1 {
		t.Errorf("hot-c resolves to (%d, %v), want uid 1", uid, ok)
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Error(err)
	}
}

func TestCheckInvariantsCatchesDerivedStateDamage(t *testing.T) {
	cases := []struct {
		name   string
		damage func(e *env, netuid uint32) error
		want   string
	}{
		{"index entry missing", func(e *env, netuid uint32) error {
			key := collections.Join(netuid, uint32(1))
			return e.Keeper.Neurons.Indexes.Hotkey.Unreference(e.Ctx, key, func() (types.Neuron, error) {
				return e.neuron(netuid, 1), nil
			})
		}, "2 neurons"},
		{"extra index entry", func(e *env, netuid uint32) error {
			// a second entry, for hot-z, pointing at uid 1 (hot-b)
			n := e.neuron(netuid, 1)
			n.Hotkey = e.key("hot-z")
			return e.Keeper.Neurons.Indexes.Hotkey.Reference(e.Ctx, collections.Join(netuid, uint32(1)), n, func() (types.Neuron, error) {
				return types.Neuron{}, collections.ErrNotFound
			})
		}, "matches no neuron"},
		{"hotkey changed past the index", func(e *env, netuid uint32) error {
			// a caller that lies about the stored neuron gets the unindexed
			// write, which is what the check is there to catch
			n := e.neuron(netuid, 1)
			n.Hotkey = e.key("hot-z")
			return keeper.SetNeuronKeepHotkey(e.Keeper, e.Ctx, n, n)
		}, "matches no neuron"},
		{"neuron count wrong", func(e *env, netuid uint32) error {
			return e.Keeper.NeuronCounts.Set(e.Ctx, netuid, 3)
		}, "neuron count 3 != 2"},
		{"subnet stake wrong", func(e *env, netuid uint32) error {
			e.stake("hot-a", 500)
			return e.Keeper.SubnetStake.Set(e.Ctx, netuid, math.NewInt(499))
		}, "recorded stake 499 != 500"},
		{"subnet stake missing", func(e *env, netuid uint32) error {
			e.stake("hot-b", 500)
			return e.Keeper.SubnetStake.Remove(e.Ctx, netuid)
		}, "none is recorded"},
		{"subnet stake for a subnet without stake", func(e *env, netuid uint32) error {
			return e.Keeper.SubnetStake.Set(e.Ctx, netuid+1, math.NewInt(1))
		}, "recorded stake 1 != <nil>"},
		{"neuron under another uid", func(e *env, netuid uint32) error {
			n := e.neuron(netuid, 1)
			n.Uid = 7
			return e.Keeper.Neurons.Set(e.Ctx, collections.Join(netuid, uint32(1)), n)
		}, "is stored under"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, netuid := neuronIndexEnv(t)
			if err := tc.damage(e, netuid); err != nil {
				t.Fatal(err)
			}
			err := e.Keeper.CheckInvariants(e.Ctx)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckInvariants = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
