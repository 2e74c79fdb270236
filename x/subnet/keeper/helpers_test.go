package keeper_test

import (
	"errors"
	stdmath "math"
	"strings"
	"testing"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	testkeeper "github.com/tensorcosm/tensorcosm/testutil/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const denom = types.DefaultDenom

// env is a fixture with funded accounts and helpers for common steps.
type env struct {
	*testkeeper.SubnetFixture
	t *testing.T
}

// newEnv builds the fixture with stake_rate_limit 0, so flows that stake
// and unstake a few blocks apart stay short; TestStakeRateLimit sets it.
func newEnv(t *testing.T) *env {
	e := &env{SubnetFixture: testkeeper.NewSubnetFixture(t), t: t}
	e.setParams(func(p *types.Params) { p.StakeRateLimit = 0 })
	return e
}

// stakeNow adds amount from staker to hotkey and makes every warming stake
// count at once, as if its warm-up had passed: for tests about what
// counted stake does, not about the warm-up.
func (e *env) stakeNow(staker, hotkey string, amount int64) {
	e.t.Helper()
	if _, err := e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: staker, Hotkey: hotkey, Amount: math.NewInt(amount)}); err != nil {
		e.t.Fatal(err)
	}
	if err := keeper.ProcessStakeQueuesUntil(e.Keeper, e.Ctx, stdmath.MaxInt64); err != nil {
		e.t.Fatal(err)
	}
}

// account returns a funded address (1,000,000 TENSOR).
func (e *env) account(name string) string {
	addr, s := e.Addr(e.t, name)
	if e.Bank.GetBalance(e.Ctx, addr, denom).IsZero() {
		e.Bank.Fund(addr, coins(1_000_000_000_000))
	}
	return s
}

// key returns an unfunded address (a hotkey needs no balance here).
func (e *env) key(name string) string {
	_, s := e.Addr(e.t, name)
	return s
}

func (e *env) balance(addr string) math.Int {
	bz, err := e.Codec.StringToBytes(addr)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.Bank.GetBalance(e.Ctx, sdk.AccAddress(bz), denom).Amount
}

func coins(n int64) sdk.Coins { return sdk.NewCoins(sdk.NewInt64Coin(denom, n)) }

func digitsTask() types.TaskSpec {
	return types.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []types.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []types.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
		Scoring: "accuracy",
	}
}

// createSubnet creates a subnet owned by owner with hp (nil: defaults).
func (e *env) createSubnet(owner string, hp *types.Hyperparams) uint32 {
	e.t.Helper()
	res, err := e.Msgs.CreateSubnet(e.Ctx, &types.MsgCreateSubnet{Creator: owner, Name: "digits", Task: digitsTask(), Hyperparams: hp})
	if err != nil {
		e.t.Fatalf("create subnet: %v", err)
	}
	return res.Netuid
}

// register registers hotkey for coldkey in netuid, moving to the next block
// first so the per-block limit never interferes.
func (e *env) register(coldkey, hotkey string, netuid uint32) *types.MsgRegisterResponse {
	e.t.Helper()
	e.SetHeight(e.Ctx.BlockHeight() + 1)
	res, err := e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: coldkey, Hotkey: hotkey, Netuid: netuid, MaxBurn: math.NewInt(1 << 62)})
	if err != nil {
		e.t.Fatalf("register %s: %v", hotkey, err)
	}
	return res
}

// expectErr checks err wraps want (a registered error) and mentions msg.
func expectErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("got error %q, want one wrapping %q", err, want)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q does not mention %q", err, msg)
	}
}

func smallHyperparams(maxUIDs uint32, immunity uint64) *types.Hyperparams {
	hp := types.DefaultHyperparams()
	hp.MaxAllowedUids = maxUIDs
	hp.MaxAllowedValidators = min(hp.MaxAllowedValidators, maxUIDs)
	hp.ImmunityPeriod = immunity
	hp.MaxRegistrationsPerBlock = 1
	return &hp
}

func mustAddr(e *env, s string) sdk.AccAddress {
	bz, err := e.Codec.StringToBytes(s)
	if err != nil {
		e.t.Fatal(err)
	}
	return bz
}

func moduleAddress() sdk.AccAddress { return authtypes.NewModuleAddress(types.ModuleName) }
