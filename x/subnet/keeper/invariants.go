package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Accounting is what the module holds on behalf of others, and what it has
// minted.
type Accounting struct {
	Stake       math.Int
	Locks       math.Int
	Pending     math.Int
	Module      math.Int
	Issued      math.Int
	Distributed math.Int
}

// Accounting sums the recorded stake and subnet locks and reads the module
// account's balance.
func (k Keeper) Accounting(ctx context.Context) (Accounting, error) {
	a := Accounting{Stake: math.ZeroInt(), Locks: math.ZeroInt(), Pending: math.ZeroInt()}
	err := k.Stakes.Walk(ctx, nil, func(_ StakeKey, amt math.Int) (bool, error) {
		a.Stake = a.Stake.Add(amt)
		return false, nil
	})
	if err != nil {
		return a, err
	}
	err = k.Subnets.Walk(ctx, nil, func(_ uint32, s types.Subnet) (bool, error) {
		a.Locks = a.Locks.Add(s.Locked)
		return false, nil
	})
	if err != nil {
		return a, err
	}
	err = k.PendingEmission.Walk(ctx, nil, func(_ uint32, amt math.Int) (bool, error) {
		a.Pending = a.Pending.Add(amt)
		return false, nil
	})
	if err != nil {
		return a, err
	}
	if a.Issued, err = getInt(ctx, k.TotalIssued); err != nil {
		return a, err
	}
	if a.Distributed, err = getInt(ctx, k.TotalDistributed); err != nil {
		return a, err
	}
	a.Module = k.bank.GetBalance(ctx, authtypes.NewModuleAddress(types.ModuleName), k.denom).Amount
	return a, nil
}

// CheckInvariants verifies that the module account holds exactly the
// recorded stake plus the subnet locks plus pending emission, that every
// minted token is either distributed or pending, and that every hotkey's
// total equals the sum of its stakes.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	a, err := k.Accounting(ctx)
	if err != nil {
		return err
	}
	if want := a.Stake.Add(a.Locks).Add(a.Pending); !a.Module.Equal(want) {
		return fmt.Errorf("module balance %s%s != stake %s + locks %s + pending %s", a.Module, k.denom, a.Stake, a.Locks, a.Pending)
	}
	if want := a.Distributed.Add(a.Pending); !a.Issued.Equal(want) {
		return fmt.Errorf("issued %s != distributed %s + pending %s", a.Issued, a.Distributed, a.Pending)
	}
	sums := map[string]math.Int{}
	err = k.Stakes.Walk(ctx, nil, func(key StakeKey, amt math.Int) (bool, error) {
		h := string(key.K1())
		if s, ok := sums[h]; ok {
			sums[h] = s.Add(amt)
		} else {
			sums[h] = amt
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	var bad error
	err = k.TotalHotkeyStake.Walk(ctx, nil, func(hot sdk.AccAddress, total math.Int) (bool, error) {
		if s, ok := sums[string(hot)]; !ok || !s.Equal(total) {
			bad = fmt.Errorf("hotkey %s: total %s != sum of stakes %v", hot, total, sums[string(hot)])
			return true, nil
		}
		delete(sums, string(hot))
		return false, nil
	})
	if err != nil {
		return err
	}
	if bad == nil && len(sums) > 0 {
		bad = fmt.Errorf("%d hotkeys have stakes but no total", len(sums))
	}
	return bad
}
