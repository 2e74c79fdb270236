package keeper_test

import (
	"fmt"
	"math/rand"
	"testing"

	"cosmossdk.io/math"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestSupplyAccountingRandomSequence runs seeded random sequences of
// create/dissolve/register/stake/unstake, successful or not, and checks
// after every step that the total supply fell by exactly what registration
// burned and that the module account holds exactly the recorded stake and
// locks.
func TestSupplyAccountingRandomSequence(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			runSupplySequence(t, rand.New(rand.NewSource(seed)), 400)
		})
	}
}

func runSupplySequence(t *testing.T, rng *rand.Rand, steps int) {
	e := newEnv(t)
	colds := []string{e.account("c0"), e.account("c1"), e.account("c2")}
	var hots []string
	for i := 0; i < 8; i++ {
		hots = append(hots, e.key(fmt.Sprintf("h%d", i)))
	}
	pick := func(xs []string) string { return xs[rng.Intn(len(xs))] }
	startSupply := e.Bank.Supply(denom).Amount
	burned := math.ZeroInt()
	var netuids []uint32
	okCount := 0

	for step := 0; step < steps; step++ {
		e.SetHeight(e.Ctx.BlockHeight() + 1)
		var err error
		switch op := rng.Intn(6); op {
		case 0:
			var res *types.MsgCreateSubnetResponse
			res, err = e.Msgs.CreateSubnet(e.Ctx, &types.MsgCreateSubnet{Creator: pick(colds), Name: "s", Task: digitsTask(), Hyperparams: smallHyperparams(4, uint64(rng.Intn(5)))})
			if err == nil {
				netuids = append(netuids, res.Netuid)
			}
		case 1:
			if len(netuids) > 0 {
				i := rng.Intn(len(netuids))
				_, err = e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: pick(colds), Netuid: netuids[i]})
				if err == nil {
					netuids = append(netuids[:i], netuids[i+1:]...)
				}
			}
		case 2, 3:
			if len(netuids) > 0 {
				var res *types.MsgRegisterResponse
				maxBurn := math.NewInt(rng.Int63n(3_000_000))
				res, err = e.Msgs.Register(e.Ctx, &types.MsgRegister{Coldkey: pick(colds), Hotkey: pick(hots), Netuid: netuids[rng.Intn(len(netuids))], MaxBurn: maxBurn})
				if err == nil {
					burned = burned.Add(res.Burned)
				}
			}
		case 4:
			_, err = e.Msgs.AddStake(e.Ctx, &types.MsgAddStake{Staker: pick(colds), Hotkey: pick(hots), Amount: math.NewInt(1 + rng.Int63n(1_000_000))})
		case 5:
			_, err = e.Msgs.RemoveStake(e.Ctx, &types.MsgRemoveStake{Staker: pick(colds), Hotkey: pick(hots), Amount: math.NewInt(1 + rng.Int63n(1_000_000))})
		}
		if err == nil {
			okCount++
		}
		if got := startSupply.Sub(e.Bank.Supply(denom).Amount); !got.Equal(burned) {
			t.Fatalf("step %d: supply fell by %s, registrations burned %s", step, got, burned)
		}
		if err := e.Keeper.CheckInvariants(e.Ctx); err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
	}
	if okCount < steps/4 {
		t.Fatalf("only %d of %d steps succeeded: the sequence does not exercise the keeper", okCount, steps)
	}
	if burned.IsZero() {
		t.Fatal("no registration succeeded")
	}
}
