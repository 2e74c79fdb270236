package keeper_test

import (
	"testing"

	"cosmossdk.io/math"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func TestCreateSubnetLocksCost(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	before := e.balance(owner)
	netuid := e.createSubnet(owner, nil)
	if netuid != 1 {
		t.Fatalf("first netuid: got %d, want 1 (0 is never handed out)", netuid)
	}
	lock := types.DefaultParams().SubnetLockCost
	if got := before.Sub(e.balance(owner)); !got.Equal(lock) {
		t.Errorf("owner paid %s, want the lock cost %s", got, lock)
	}
	s, err := e.Keeper.GetSubnet(e.Ctx, netuid)
	if err != nil {
		t.Fatal(err)
	}
	if s.Owner != owner || !s.Locked.Equal(lock) || s.Hyperparams.Tempo != types.DefaultHyperparams().Tempo {
		t.Errorf("subnet stored wrong: %+v", s)
	}
	if second := e.createSubnet(owner, nil); second != 2 {
		t.Errorf("second netuid: got %d, want 2", second)
	}
}

func TestCreateSubnetRejections(t *testing.T) {
	badHP := types.DefaultHyperparams()
	badHP.Tempo = 0
	badTask := digitsTask()
	badTask.Inputs[0].Dtype = "float16"
	cases := []struct {
		name  string
		msg   func(e *env) *types.MsgCreateSubnet
		setup func(e *env)
		want  error
		text  string
	}{
		{
			name: "bad creator address",
			msg: func(e *env) *types.MsgCreateSubnet {
				return &types.MsgCreateSubnet{Creator: "cosmos1xyz", Name: "x", Task: digitsTask()}
			},
			want: sdkerrors.ErrInvalidAddress, text: "creator",
		},
		{
			name: "empty name",
			msg: func(e *env) *types.MsgCreateSubnet {
				return &types.MsgCreateSubnet{Creator: e.account("a"), Name: "", Task: digitsTask()}
			},
			want: types.ErrInvalidName, text: "length",
		},
		{
			name: "bad task dtype",
			msg: func(e *env) *types.MsgCreateSubnet {
				return &types.MsgCreateSubnet{Creator: e.account("a"), Name: "x", Task: badTask}
			},
			want: types.ErrInvalidTask, text: "float16",
		},
		{
			name: "bad hyperparams",
			msg: func(e *env) *types.MsgCreateSubnet {
				return &types.MsgCreateSubnet{Creator: e.account("a"), Name: "x", Task: digitsTask(), Hyperparams: &badHP}
			},
			want: types.ErrInvalidHyperparams, text: "tempo",
		},
		{
			name: "cannot afford the lock",
			msg: func(e *env) *types.MsgCreateSubnet {
				return &types.MsgCreateSubnet{Creator: e.key("poor"), Name: "x", Task: digitsTask()}
			},
			want: types.ErrInsufficientFunds, text: "subnet lock costs 1000000000utensor",
		},
		{
			name: "max subnets reached",
			setup: func(e *env) {
				p := types.DefaultParams()
				p.MaxSubnets = 1
				if err := e.Keeper.Params.Set(e.Ctx, p); err != nil {
					t.Fatal(err)
				}
				e.createSubnet(e.account("a"), nil)
			},
			msg: func(e *env) *types.MsgCreateSubnet {
				return &types.MsgCreateSubnet{Creator: e.account("a"), Name: "x", Task: digitsTask()}
			},
			want: types.ErrTooManySubnets, text: "max_subnets is 1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			_, err := e.Msgs.CreateSubnet(e.Ctx, tc.msg(e))
			expectErr(t, err, tc.want, tc.text)
		})
	}
}

func TestDissolveSubnet(t *testing.T) {
	e := newEnv(t)
	owner, coldkey, staker := e.account("owner"), e.account("cold"), e.account("staker")
	netuid := e.createSubnet(owner, nil)
	hot := e.key("hot")
	e.register(coldkey, hot, netuid)
	e.stakeNow(staker, hot, 500)

	_, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: e.account("stranger"), Netuid: netuid})
	expectErr(t, err, types.ErrInvalidSigner, "neither the owner")
	_, err = e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: owner, Netuid: 99})
	expectErr(t, err, types.ErrSubnetNotFound, "netuid 99")

	before := e.balance(owner)
	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: owner, Netuid: netuid}); err != nil {
		t.Fatal(err)
	}
	if got := e.balance(owner).Sub(before); !got.Equal(types.DefaultParams().SubnetLockCost) {
		t.Errorf("owner refunded %s, want the lock", got)
	}
	if _, err := e.Keeper.GetSubnet(e.Ctx, netuid); err == nil {
		t.Error("subnet still exists")
	}
	if _, err := e.Queries.NeuronByHotkey(e.Ctx, &types.QueryNeuronByHotkeyRequest{Netuid: netuid, Hotkey: hot}); err == nil {
		t.Error("neuron survived dissolution")
	}
	// stake stays with its staker and can be withdrawn
	if _, err := e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: staker, Hotkey: hot, Amount: math.NewInt(500)}); err != nil {
		t.Errorf("removing stake after dissolution: %v", err)
	}
	if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
		t.Error(err)
	}
}

func TestDissolveByAuthority(t *testing.T) {
	e := newEnv(t)
	netuid := e.createSubnet(e.account("owner"), nil)
	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: e.Authority, Netuid: netuid}); err != nil {
		t.Fatalf("gov dissolve: %v", err)
	}
}

func TestUpdateHyperparamsAppliesAtEpochBoundary(t *testing.T) {
	e := newEnv(t)
	owner := e.account("owner")
	netuid := e.createSubnet(owner, nil)
	hp := types.DefaultHyperparams()
	hp.Tempo = 10
	hp.Kappa = 40_000
	res, err := e.Msgs.UpdateSubnetHyperparams(e.Ctx, &types.MsgUpdateSubnetHyperparams{Signer: owner, Netuid: netuid, Hyperparams: hp})
	if err != nil {
		t.Fatal(err)
	}
	// tempo 100, netuid 1: epochs run when (h + 2) % 101 == 0, i.e. at 99.
	if res.EffectiveBlock != 100 {
		t.Fatalf("effective block: got %d, want 100", res.EffectiveBlock)
	}
	for h := int64(2); h <= 99; h++ {
		e.SetHeight(h)
		if err := e.Keeper.EndBlocker(e.Ctx); err != nil {
			t.Fatal(err)
		}
		s, _ := e.Keeper.GetSubnet(e.Ctx, netuid)
		if h < 99 && s.Hyperparams.Tempo != 100 {
			t.Fatalf("tempo changed at block %d, before the boundary", h)
		}
		if h == 99 && (s.Hyperparams.Tempo != 10 || s.Hyperparams.Kappa != 40_000 || s.PendingHyperparams != nil) {
			t.Fatalf("at the boundary: hyperparams %+v pending %v", s.Hyperparams, s.PendingHyperparams)
		}
	}
	// the next boundary follows the new tempo: (h + 2) % 11 == 0 -> 108
	if !types.IsEpochBlock(netuid, 10, 108) || types.NextEpochBlock(netuid, 10, 100) != 108 {
		t.Error("epoch schedule does not follow the new tempo")
	}
}

func TestUpdateHyperparamsRejections(t *testing.T) {
	cases := []struct {
		name   string
		signer func(e *env, owner string) string
		mutate func(*types.Hyperparams)
		setup  func(e *env, netuid uint32)
		want   error
		text   string
	}{
		{"stranger", func(e *env, _ string) string { return e.account("x") }, func(*types.Hyperparams) {}, nil, types.ErrInvalidSigner, "neither the owner"},
		{"out of range", func(_ *env, o string) string { return o }, func(h *types.Hyperparams) { h.Kappa = 70_000 }, nil, types.ErrInvalidHyperparams, "kappa"},
		{"gov-only by owner", func(_ *env, o string) string { return o }, func(h *types.Hyperparams) { h.MaxAllowedUids = 512 }, nil, types.ErrGovOnlyHyperparam, "max_allowed_uids"},
		{"fewer UIDs than neurons", func(e *env, _ string) string { return e.Authority }, func(h *types.Hyperparams) { h.MaxAllowedUids = 1; h.MaxAllowedValidators = 1; h.MinAllowedWeights = 1 },
			func(e *env, netuid uint32) {
				e.register(e.account("c"), e.key("h1"), netuid)
				e.register(e.account("c"), e.key("h2"), netuid)
			}, types.ErrUIDsInUse, "2 registered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			owner := e.account("owner")
			netuid := e.createSubnet(owner, nil)
			if tc.setup != nil {
				tc.setup(e, netuid)
			}
			hp := types.DefaultHyperparams()
			tc.mutate(&hp)
			_, err := e.Msgs.UpdateSubnetHyperparams(e.Ctx, &types.MsgUpdateSubnetHyperparams{Signer: tc.signer(e, owner), Netuid: netuid, Hyperparams: hp})
			expectErr(t, err, tc.want, tc.text)
		})
	}
}

func TestUpdateParamsOnlyAuthority(t *testing.T) {
	e := newEnv(t)
	p := types.DefaultParams()
	p.MaxSubnets = 7
	_, err := e.Msgs.UpdateParams(e.Ctx, &types.MsgUpdateParams{Authority: e.account("x"), Params: p})
	expectErr(t, err, types.ErrInvalidSigner, "expected authority")
	bad := p
	bad.MaxSubnets = 0
	_, err = e.Msgs.UpdateParams(e.Ctx, &types.MsgUpdateParams{Authority: e.Authority, Params: bad})
	expectErr(t, err, types.ErrInvalidParams, "max_subnets")
	if _, err := e.Msgs.UpdateParams(e.Ctx, &types.MsgUpdateParams{Authority: e.Authority, Params: p}); err != nil {
		t.Fatal(err)
	}
	got, _ := e.Keeper.Params.Get(e.Ctx)
	if got.MaxSubnets != 7 {
		t.Errorf("max_subnets: got %d, want 7", got.MaxSubnets)
	}
}
