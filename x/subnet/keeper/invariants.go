package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Accounting is what the module holds on behalf of others, and what it has
// minted.
type Accounting struct {
	// Stake is counted stake; Warming and Unbonding are stake that does
	// not count (yet, or any more) and is still held by the module.
	Stake       math.Int
	Warming     math.Int
	Unbonding   math.Int
	Locks       math.Int
	Pending     math.Int
	Module      math.Int
	Issued      math.Int
	Distributed math.Int
}

// Accounting sums the recorded stake and subnet locks and reads the module
// account's balance.
func (k Keeper) Accounting(ctx context.Context) (Accounting, error) {
	a := Accounting{Stake: math.ZeroInt(), Warming: math.ZeroInt(), Unbonding: math.ZeroInt(), Locks: math.ZeroInt(), Pending: math.ZeroInt()}
	err := k.Stakes.Walk(ctx, nil, func(_ StakeKey, amt math.Int) (bool, error) {
		a.Stake = a.Stake.Add(amt)
		return false, nil
	})
	if err != nil {
		return a, err
	}
	err = k.WarmingStakes.Walk(ctx, nil, func(_ StakeKey, w types.WarmingStake) (bool, error) {
		a.Warming = a.Warming.Add(w.Amount)
		return false, nil
	})
	if err != nil {
		return a, err
	}
	err = k.Unbondings.Walk(ctx, nil, func(_ uint64, u types.Unbonding) (bool, error) {
		a.Unbonding = a.Unbonding.Add(u.Amount)
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
// recorded stake (counted, warming and unbonding) plus the subnet locks
// plus pending emission, that every
// minted token is either distributed or pending, and CheckDerivedState.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	a, err := k.Accounting(ctx)
	if err != nil {
		return err
	}
	if want := a.Stake.Add(a.Warming).Add(a.Unbonding).Add(a.Locks).Add(a.Pending); !a.Module.Equal(want) {
		return fmt.Errorf("module balance %s%s != stake %s + warming %s + unbonding %s + locks %s + pending %s",
			a.Module, k.denom, a.Stake, a.Warming, a.Unbonding, a.Locks, a.Pending)
	}
	if want := a.Distributed.Add(a.Pending); !a.Issued.Equal(want) {
		return fmt.Errorf("issued %s != distributed %s + pending %s", a.Issued, a.Distributed, a.Pending)
	}
	return k.CheckDerivedState(ctx)
}

// CheckDerivedState verifies the state kept up to date beside the records
// it summarises, which needs no bank: every hotkey's total equals the sum
// of its stakes, the (netuid, hotkey) index matches the neurons exactly,
// and each subnet's recorded stake is the sum of its registered hotkeys'
// stake.
func (k Keeper) CheckDerivedState(ctx context.Context) error {
	sums := map[string]math.Int{}
	err := k.Stakes.Walk(ctx, nil, func(key StakeKey, amt math.Int) (bool, error) {
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
	if bad != nil {
		return bad
	}
	if err := k.checkNeuronIndex(ctx); err != nil {
		return err
	}
	if err := k.checkWarming(ctx); err != nil {
		return err
	}
	if err := k.checkEpochWork(ctx); err != nil {
		return err
	}
	return k.checkSubnetStake(ctx)
}

// checkWarming verifies that each hotkey's warming total is the sum of its
// warming stakes, and that the warm-up queue holds exactly one key per
// warming stake, at its mature_block.
func (k Keeper) checkWarming(ctx context.Context) error {
	sums := map[string]math.Int{}
	want := map[string]bool{}
	err := k.WarmingStakes.Walk(ctx, nil, func(key StakeKey, w types.WarmingStake) (bool, error) {
		h := string(key.K1())
		if s, ok := sums[h]; ok {
			sums[h] = s.Add(w.Amount)
		} else {
			sums[h] = w.Amount
		}
		want[fmt.Sprintf("%d/%x/%x", w.MatureBlock, []byte(key.K1()), []byte(key.K2()))] = true
		return false, nil
	})
	if err != nil {
		return err
	}
	var bad error
	err = k.TotalHotkeyWarming.Walk(ctx, nil, func(hot sdk.AccAddress, total math.Int) (bool, error) {
		if s, ok := sums[string(hot)]; !ok || !s.Equal(total) {
			bad = fmt.Errorf("hotkey %s: warming total %s != sum of warming stakes %v", hot, total, sums[string(hot)])
			return true, nil
		}
		delete(sums, string(hot))
		return false, nil
	})
	if err != nil || bad != nil {
		return errors.Join(err, bad)
	}
	if len(sums) > 0 {
		return fmt.Errorf("%d hotkeys have warming stakes but no warming total", len(sums))
	}
	queued := 0
	err = k.WarmupQueue.Walk(ctx, nil, func(key WarmupKey) (bool, error) {
		queued++
		if !want[fmt.Sprintf("%d/%x/%x", key.K1(), []byte(key.K2()), []byte(key.K3()))] {
			bad = fmt.Errorf("warm-up queue entry (%d, %s, %s) matches no warming stake", key.K1(), key.K2(), key.K3())
			return true, nil
		}
		return false, nil
	})
	if err != nil || bad != nil {
		return errors.Join(err, bad)
	}
	if queued != len(want) {
		return fmt.Errorf("warm-up queue has %d entries for %d warming stakes", queued, len(want))
	}
	return nil
}

// checkSubnetStake recomputes each subnet's stake from the (netuid, hotkey)
// index and the hotkeys' counted totals, each split over the hotkey's
// subnets (StakeShares), and compares it with SubnetStake, which must have
// no entry for a subnet without stake.
func (k Keeper) checkSubnetStake(ctx context.Context) error {
	byHotkey := map[string][]uint32{}
	var hotkeys []string
	err := k.Neurons.Indexes.Hotkey.Walk(ctx, nil, func(key collections.Pair[uint32, sdk.AccAddress], _ NeuronKey) (bool, error) {
		h := string(key.K2())
		if _, ok := byHotkey[h]; !ok {
			hotkeys = append(hotkeys, h)
		}
		byHotkey[h] = append(byHotkey[h], key.K1())
		return false, nil
	})
	if err != nil {
		return err
	}
	slices.Sort(hotkeys)
	sums := map[uint32]math.Int{}
	for _, h := range hotkeys {
		netuids := byHotkey[h]
		slices.Sort(netuids)
		total, err := k.HotkeyStake(ctx, sdk.AccAddress(h))
		if err != nil {
			return err
		}
		for i, share := range StakeShares(total, len(netuids)) {
			if sum, ok := sums[netuids[i]]; ok {
				sums[netuids[i]] = sum.Add(share)
			} else {
				sums[netuids[i]] = share
			}
		}
	}
	var bad error
	err = k.SubnetStake.Walk(ctx, nil, func(netuid uint32, st math.Int) (bool, error) {
		if sum := sums[netuid]; sum.IsNil() || !sum.Equal(st) || !st.IsPositive() {
			bad = fmt.Errorf("subnet %d: recorded stake %s != %v on its registered hotkeys", netuid, st, sum)
			return true, nil
		}
		delete(sums, netuid)
		return false, nil
	})
	if err != nil || bad != nil {
		return errors.Join(err, bad)
	}
	netuids := make([]uint32, 0, len(sums))
	for netuid, sum := range sums {
		if !sum.IsZero() {
			netuids = append(netuids, netuid)
		}
	}
	if len(netuids) > 0 {
		slices.Sort(netuids)
		return fmt.Errorf("subnet %d: hotkeys hold %s stake and none is recorded", netuids[0], sums[netuids[0]])
	}
	return nil
}

// checkNeuronIndex verifies that each neuron is stored under its own
// (netuid, uid), that the UIDs of each subnet are 0..count-1, and that the
// (netuid, hotkey) index holds exactly one entry per neuron, keyed by the
// neuron's hotkey and pointing at it. The epoch and the emission split
// read hotkeys from that index.
func (k Keeper) checkNeuronIndex(ctx context.Context) error {
	want := map[string][2]uint32{} // index key -> (netuid, uid); a Pair holds pointers
	counts := map[uint32]uint32{}
	var bad error
	err := k.Neurons.Walk(ctx, nil, func(key NeuronKey, n types.Neuron) (bool, error) {
		if n.Netuid != key.K1() || n.Uid != key.K2() {
			bad = fmt.Errorf("neuron (%d, %d) is stored under (%d, %d)", n.Netuid, n.Uid, key.K1(), key.K2())
			return true, nil
		}
		if n.Uid != counts[n.Netuid] {
			bad = fmt.Errorf("subnet %d: uid %d follows %d neurons: UIDs are not dense", n.Netuid, n.Uid, counts[n.Netuid])
			return true, nil
		}
		counts[n.Netuid]++
		hk, err := k.addressCodec.StringToBytes(n.Hotkey)
		if err != nil {
			bad = fmt.Errorf("neuron (%d, %d): hotkey %q: %w", n.Netuid, n.Uid, n.Hotkey, err)
			return true, nil
		}
		want[fmt.Sprintf("%d/%x", n.Netuid, hk)] = [2]uint32{n.Netuid, n.Uid}
		return false, nil
	})
	if err != nil || bad != nil {
		return errors.Join(err, bad)
	}
	entries := 0
	rng := new(collections.Range[collections.Pair[uint32, sdk.AccAddress]])
	err = k.Neurons.Indexes.Hotkey.Walk(ctx, rng, func(ik collections.Pair[uint32, sdk.AccAddress], pk NeuronKey) (bool, error) {
		entries++
		if got, ok := want[fmt.Sprintf("%d/%x", ik.K1(), []byte(ik.K2()))]; !ok || got != [2]uint32{pk.K1(), pk.K2()} {
			bad = fmt.Errorf("hotkey index entry (%d, %s) -> (%d, %d) matches no neuron with that hotkey", ik.K1(), ik.K2(), pk.K1(), pk.K2())
			return true, nil
		}
		return false, nil
	})
	if err != nil || bad != nil {
		return errors.Join(err, bad)
	}
	if entries != len(want) {
		return fmt.Errorf("hotkey index has %d entries for %d neurons", entries, len(want))
	}
	netuids := make([]uint32, 0, len(counts))
	for netuid := range counts {
		netuids = append(netuids, netuid)
	}
	slices.Sort(netuids)
	for _, netuid := range netuids {
		stored, err := k.NeuronCounts.Get(ctx, netuid)
		if err != nil {
			return fmt.Errorf("subnet %d: neuron count: %w", netuid, err)
		}
		if stored != counts[netuid] {
			return fmt.Errorf("subnet %d: neuron count %d != %d neurons stored", netuid, stored, counts[netuid])
		}
	}
	return nil
}
