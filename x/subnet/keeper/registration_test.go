package keeper_test

import (
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func TestRegisterBurnsPriceAndRaisesIt(t *testing.T) {
	e := newEnv(t)
	netuid := e.createSubnet(e.account("owner"), nil)
	cold := e.account("cold")
	supply := e.Bank.Supply(denom).Amount
	before := e.balance(cold)

	res := e.register(cold, e.key("h1"), netuid)
	hp := types.DefaultHyperparams()
	if res.Uid != 0 || !res.Burned.Equal(hp.MinBurn) {
		t.Fatalf("first registration: uid %d burned %s, want uid 0 and min_burn %s", res.Uid, res.Burned, hp.MinBurn)
	}
	if got := before.Sub(e.balance(cold)); !got.Equal(res.Burned) {
		t.Errorf("coldkey paid %s, burned %s", got, res.Burned)
	}
	if got := supply.Sub(e.Bank.Supply(denom).Amount); !got.Equal(res.Burned) {
		t.Errorf("supply fell by %s, want the burn %s", got, res.Burned)
	}
	// the price rises by burn_increase_bps: 1,000,000 * 1.26 = 1,260,000
	price, _, err := e.Keeper.RegistrationPrice(e.Ctx, netuid)
	if err != nil {
		t.Fatal(err)
	}
	if !price.Equal(math.NewInt(1_260_000)) {
		t.Errorf("price after one registration: got %s, want 1260000", price)
	}
	res2 := e.register(cold, e.key("h2"), netuid)
	if res2.Uid != 1 {
		t.Errorf("second uid: got %d, want 1", res2.Uid)
	}
}

func TestDecayedBurn(t *testing.T) {
	hp := types.DefaultHyperparams()
	hp.MinBurn, hp.MaxBurn, hp.BurnHalfLife = math.NewInt(100), math.NewInt(1_000_000), 10
	state := types.BurnState{Price: math.NewInt(1_100), UpdatedBlock: 0}
	cases := []struct {
		name   string
		height int64
		want   int64
	}{
		{"no time passed", 0, 1_100},
		{"one half-life halves the excess", 10, 100 + 500},
		{"two half-lives", 20, 100 + 250},
		{"halfway to the first halving: linear, 3/4 of the excess", 5, 100 + 750},
		{"long after: the floor", 10_000, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := keeper.DecayedBurn(state, hp, tc.height); !got.Equal(math.NewInt(tc.want)) {
				t.Errorf("got %s, want %d", got, tc.want)
			}
		})
	}
	// monotone non-increasing and never below the floor
	prev := keeper.DecayedBurn(state, hp, 0)
	for h := int64(1); h < 200; h++ {
		p := keeper.DecayedBurn(state, hp, h)
		if p.GT(prev) || p.LT(hp.MinBurn) {
			t.Fatalf("height %d: price %s after %s", h, p, prev)
		}
		prev = p
	}
}

func TestRegisterRejections(t *testing.T) {
	cases := []struct {
		name string
		run  func(e *env, netuid uint32) error
		want error
		text string
	}{
		{"unknown subnet", func(e *env, _ uint32) error {
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c"), Hotkey: e.key("h"), Netuid: 42, MaxBurn: math.NewInt(1e12)})
			return err
		}, types.ErrSubnetNotFound, "netuid 42"},
		{"bad hotkey address", func(e *env, n uint32) error {
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c"), Hotkey: "tensor1bad", Netuid: n, MaxBurn: math.NewInt(1e12)})
			return err
		}, sdkerrors.ErrInvalidAddress, "hotkey"},
		{"price above max", func(e *env, n uint32) error {
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c"), Hotkey: e.key("h"), Netuid: n, MaxBurn: math.NewInt(999_999)})
			return err
		}, types.ErrPriceAboveMax, "price is 1000000utensor, max_burn is 999999utensor"},
		{"cannot afford", func(e *env, n uint32) error {
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.key("poor"), Hotkey: e.key("h"), Netuid: n, MaxBurn: math.NewInt(1e12)})
			return err
		}, types.ErrInsufficientFunds, "registration costs"},
		{"already registered", func(e *env, n uint32) error {
			e.register(e.account("c"), e.key("h"), n)
			e.SetHeight(e.Ctx.BlockHeight() + 1)
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c"), Hotkey: e.key("h"), Netuid: n, MaxBurn: math.NewInt(1e12)})
			return err
		}, types.ErrAlreadyRegistered, "subnet 1"},
		{"hotkey of another coldkey", func(e *env, n uint32) error {
			e.register(e.account("c1"), e.key("h"), n)
			n2 := e.createSubnet(e.account("owner"), nil)
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c2"), Hotkey: e.key("h"), Netuid: n2, MaxBurn: math.NewInt(1e12)})
			return err
		}, types.ErrHotkeyOwnedByOther, "belongs to"},
		{"per-block limit", func(e *env, n uint32) error {
			e.register(e.account("c"), e.key("h1"), n)
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c"), Hotkey: e.key("h2"), Netuid: n, MaxBurn: math.NewInt(1e12)})
			return err
		}, types.ErrRegistrationLimit, "allows 1 per block"},
		{"full subnet of immune neurons", func(e *env, _ uint32) error {
			n := e.createSubnet(e.account("owner"), smallHyperparams(2, 100))
			e.register(e.account("c"), e.key("h1"), n)
			e.register(e.account("c"), e.key("h2"), n)
			e.SetHeight(e.Ctx.BlockHeight() + 1)
			_, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c"), Hotkey: e.key("h3"), Netuid: n, MaxBurn: math.NewInt(1e12)})
			return err
		}, types.ErrSubnetFullImmune, "none past its 100-block immunity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			netuid := e.createSubnet(e.account("owner"), nil)
			expectErr(t, tc.run(e, netuid), tc.want, tc.text)
		})
	}
}

// TestPruningReplacesLowestEmission fills a 3-UID subnet and checks which
// neuron a newcomer replaces: the non-immune one with the lowest emission,
// then the older registration, then the lower UID; never the owner's hotkey.
func TestPruningReplacesLowestEmission(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	res, err := e.Msgs.CreateSubnet(e.Ctx, &types.MsgCreateSubnet{
		Creator: owner, Name: "p", Task: digitsTask(), Hyperparams: smallHyperparams(3, 10), OwnerHotkey: e.key("ownerhot"),
	})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Netuid
	e.register(owner, e.key("ownerhot"), n)   // uid 0, block 2
	e.register(e.account("c"), e.key("a"), n) // uid 1, block 3
	e.register(e.account("c"), e.key("b"), n) // uid 2, block 4
	setEmission := func(uid uint32, amt int64) {
		nr, err := e.Keeper.Neurons.Get(e.Ctx, collections.Join(n, uid))
		if err != nil {
			t.Fatal(err)
		}
		nr.LastEpoch.Emission = math.NewInt(amt)
		if err := e.Keeper.Neurons.Set(e.Ctx, collections.Join(n, uid), nr); err != nil {
			t.Fatal(err)
		}
	}
	setEmission(0, 0)  // owner's hotkey: lowest, but protected
	setEmission(1, 50) // a
	setEmission(2, 10) // b: lowest prunable

	// block 5: a and b are still immune (registered at 3, 4; immunity 10)
	e.SetHeight(5)
	_, err = e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: e.account("c"), Hotkey: e.key("x"), Netuid: n, MaxBurn: math.NewInt(1e12)})
	expectErr(t, err, types.ErrSubnetFullImmune, "immunity")

	e.SetHeight(20)
	r := e.register(e.account("c"), e.key("x"), n)
	if r.Uid != 2 || r.ReplacedHotkey != e.key("b") {
		t.Fatalf("newcomer got uid %d replacing %q, want uid 2 replacing b", r.Uid, r.ReplacedHotkey)
	}
	if _, err := e.Queries.NeuronByHotkey(e.Ctx, &types.QueryNeuronByHotkeyRequest{Netuid: n, Hotkey: e.key("b")}); err == nil {
		t.Error("pruned hotkey still found")
	}
	nr, _ := e.Keeper.Neurons.Get(e.Ctx, collections.Join(n, uint32(2)))
	if !nr.LastEpoch.Emission.IsZero() || nr.Axon != nil || nr.RegistrationBlock != 21 {
		t.Errorf("replaced UID not reset: %+v", nr)
	}

	// ties on emission: the older registration goes first (a at block 3 vs x at 21)
	setEmission(1, 0)
	setEmission(2, 0)
	e.SetHeight(40)
	r = e.register(e.account("c"), e.key("y"), n)
	if r.Uid != 1 || r.ReplacedHotkey != e.key("a") {
		t.Fatalf("tie on emission: got uid %d replacing %q, want uid 1 replacing a", r.Uid, r.ReplacedHotkey)
	}
}
