package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// DefaultDelegateTake is a hotkey's take until its coldkey sets one: 18%,
// as in subtensor.
const DefaultDelegateTake = 11_796

// AddStake moves amount from staker to stake on hotkey, which must be
// registered in at least one subnet. It returns the hotkey's new total.
func (k Keeper) AddStake(ctx context.Context, msg *types.MsgAddStake) (math.Int, error) {
	staker, hotkey, err := k.parseStakeMsg(msg.Staker, msg.Hotkey, msg.Amount)
	if err != nil {
		return math.Int{}, err
	}
	registered, err := k.isRegisteredAnywhere(ctx, hotkey)
	if err != nil {
		return math.Int{}, err
	}
	if !registered {
		return math.Int{}, errorsmod.Wrapf(types.ErrHotkeyNotRegistered, "%s is not registered in any subnet", msg.Hotkey)
	}
	if err := k.collect(ctx, staker, msg.Amount, "stake"); err != nil {
		return math.Int{}, err
	}
	return k.changeStake(ctx, hotkey, staker, msg.Amount)
}

// RemoveStake returns amount of staker's stake on hotkey to staker. It works
// whether or not the hotkey is still registered.
func (k Keeper) RemoveStake(ctx context.Context, msg *types.MsgRemoveStake) (math.Int, error) {
	staker, hotkey, err := k.parseStakeMsg(msg.Staker, msg.Hotkey, msg.Amount)
	if err != nil {
		return math.Int{}, err
	}
	have, err := k.StakeOf(ctx, hotkey, staker)
	if err != nil {
		return math.Int{}, err
	}
	if have.LT(msg.Amount) {
		return math.Int{}, errorsmod.Wrapf(types.ErrInsufficientStake, "%s has %s%s staked on %s, asked to remove %s%s", msg.Staker, have, k.denom, msg.Hotkey, msg.Amount, k.denom)
	}
	total, err := k.changeStake(ctx, hotkey, staker, msg.Amount.Neg())
	if err != nil {
		return math.Int{}, err
	}
	return total, k.pay(ctx, staker, msg.Amount)
}

func (k Keeper) parseStakeMsg(stakerStr, hotkeyStr string, amount math.Int) (sdk.AccAddress, sdk.AccAddress, error) {
	staker, err := k.parseAddr("staker", stakerStr)
	if err != nil {
		return nil, nil, err
	}
	hotkey, err := k.parseAddr("hotkey", hotkeyStr)
	if err != nil {
		return nil, nil, err
	}
	if amount.IsNil() || !amount.IsPositive() {
		return nil, nil, errorsmod.Wrap(types.ErrInvalidAmount, "amount must be > 0")
	}
	return staker, hotkey, nil
}

// changeStake adds delta (which may be negative) to a stake, to the
// hotkey's total and to the stake of every subnet the hotkey is registered
// in, deleting entries that reach zero. It returns the hotkey's new total.
func (k Keeper) changeStake(ctx context.Context, hotkey, staker sdk.AccAddress, delta math.Int) (math.Int, error) {
	if err := k.changeStakeEntry(ctx, hotkey, staker, delta); err != nil {
		return math.Int{}, err
	}
	return k.changeHotkeyStake(ctx, hotkey, delta)
}

// changeStakeEntry adds delta to staker's stake on hotkey and nothing else:
// callers follow it with changeHotkeyStake.
func (k Keeper) changeStakeEntry(ctx context.Context, hotkey, staker sdk.AccAddress, delta math.Int) error {
	have, err := k.StakeOf(ctx, hotkey, staker)
	if err != nil {
		return err
	}
	have = have.Add(delta)
	key := collections.Join(hotkey, staker)
	if have.IsZero() {
		return k.Stakes.Remove(ctx, key)
	}
	return k.Stakes.Set(ctx, key, have)
}

// changeHotkeyStake adds delta to hotkey's total and to the stake of each
// subnet the hotkey is registered in, and returns the new total.
func (k Keeper) changeHotkeyStake(ctx context.Context, hotkey sdk.AccAddress, delta math.Int) (math.Int, error) {
	total, err := k.HotkeyStake(ctx, hotkey)
	if err != nil || delta.IsZero() {
		return total, err
	}
	total = total.Add(delta)
	if total.IsZero() {
		err = k.TotalHotkeyStake.Remove(ctx, hotkey)
	} else {
		err = k.TotalHotkeyStake.Set(ctx, hotkey, total)
	}
	if err != nil {
		return math.Int{}, err
	}
	netuids, err := k.hotkeySubnets(ctx, hotkey)
	if err != nil {
		return math.Int{}, err
	}
	for _, netuid := range netuids {
		if err := k.addSubnetStake(ctx, netuid, delta); err != nil {
			return math.Int{}, err
		}
	}
	return total, nil
}

// subnetStake returns the stake on a subnet's registered hotkeys.
func (k Keeper) subnetStake(ctx context.Context, netuid uint32) (math.Int, error) {
	return getOr(ctx, k.SubnetStake, netuid, math.ZeroInt())
}

// addSubnetStake adds delta to a subnet's stake, deleting it at zero. A
// negative result means the derived state has drifted from the stakes, and
// is an error rather than a silent clamp.
func (k Keeper) addSubnetStake(ctx context.Context, netuid uint32, delta math.Int) error {
	if delta.IsZero() {
		return nil
	}
	st, err := k.subnetStake(ctx, netuid)
	if err != nil {
		return err
	}
	st = st.Add(delta)
	switch {
	case st.IsNegative():
		return fmt.Errorf("subnet %d: stake would go negative (%s)", netuid, st)
	case st.IsZero():
		return k.SubnetStake.Remove(ctx, netuid)
	default:
		return k.SubnetStake.Set(ctx, netuid, st)
	}
}

// hotkeySubnets lists the netuids hotkey is registered in, ascending.
func (k Keeper) hotkeySubnets(ctx context.Context, hotkey sdk.AccAddress) ([]uint32, error) {
	var netuids []uint32
	err := k.HotkeySubnets.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint32](hotkey), func(key collections.Pair[sdk.AccAddress, uint32]) (bool, error) {
		netuids = append(netuids, key.K2())
		return false, nil
	})
	return netuids, err
}

// joinSubnetStake records hotkey as registered in netuid (HotkeySubnets)
// and adds its stake to the subnet's.
func (k Keeper) joinSubnetStake(ctx context.Context, hotkey sdk.AccAddress, netuid uint32) error {
	if err := k.HotkeySubnets.Set(ctx, collections.Join(hotkey, netuid)); err != nil {
		return err
	}
	st, err := k.HotkeyStake(ctx, hotkey)
	if err != nil {
		return err
	}
	return k.addSubnetStake(ctx, netuid, st)
}

// leaveSubnetStake undoes joinSubnetStake.
func (k Keeper) leaveSubnetStake(ctx context.Context, hotkey sdk.AccAddress, netuid uint32) error {
	if err := k.HotkeySubnets.Remove(ctx, collections.Join(hotkey, netuid)); err != nil {
		return err
	}
	st, err := k.HotkeyStake(ctx, hotkey)
	if err != nil {
		return err
	}
	return k.addSubnetStake(ctx, netuid, st.Neg())
}

// StakeOf returns what staker has staked on hotkey.
func (k Keeper) StakeOf(ctx context.Context, hotkey, staker sdk.AccAddress) (math.Int, error) {
	v, err := k.Stakes.Get(ctx, collections.Join(hotkey, staker))
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return v, err
}

// HotkeyStake returns the total stake on hotkey.
func (k Keeper) HotkeyStake(ctx context.Context, hotkey sdk.AccAddress) (math.Int, error) {
	return getOr(ctx, k.TotalHotkeyStake, hotkey, math.ZeroInt())
}

func (k Keeper) isRegisteredAnywhere(ctx context.Context, hotkey sdk.AccAddress) (bool, error) {
	it, err := k.HotkeySubnets.Iterate(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, uint32](hotkey))
	if err != nil {
		return false, err
	}
	defer func() { _ = it.Close() }()
	return it.Valid(), nil
}

// SetDelegateTake sets hotkey's take; only the hotkey's coldkey may. Raising
// the take is capped and rate-limited; lowering it is always allowed.
func (k Keeper) SetDelegateTake(ctx context.Context, msg *types.MsgSetDelegateTake) error {
	coldkey, err := k.parseAddr("coldkey", msg.Coldkey)
	if err != nil {
		return err
	}
	hotkey, err := k.parseAddr("hotkey", msg.Hotkey)
	if err != nil {
		return err
	}
	owner, err := k.HotkeyOwners.Get(ctx, hotkey)
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrHotkeyNotRegistered, "%s has never been registered", msg.Hotkey)
	}
	if err != nil {
		return err
	}
	if !owner.Equals(coldkey) {
		return errorsmod.Wrapf(types.ErrNotHotkeyOwner, "%s belongs to %s, not %s", msg.Hotkey, owner, msg.Coldkey)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if msg.Take > params.MaxDelegateTake {
		return errorsmod.Wrapf(types.ErrTakeTooHigh, "take %d > max_delegate_take %d (of 65535)", msg.Take, params.MaxDelegateTake)
	}
	current, err := k.DelegateTake(ctx, hotkey)
	if err != nil {
		return err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	// A raise must wait delegate_take_rate_limit blocks after the last
	// change of any kind, so lowering and immediately raising cannot dodge it.
	if msg.Take > current.Take {
		if next := current.SetBlock + int64(params.DelegateTakeRateLimit); current.SetBlock > 0 && height < next {
			return errorsmod.Wrapf(types.ErrTakeRateLimit, "take last changed at block %d; next raise allowed at %d", current.SetBlock, next)
		}
	}
	current.Hotkey, current.Take, current.SetBlock = msg.Hotkey, msg.Take, height
	return k.DelegateTakes.Set(ctx, hotkey, current)
}

// DelegateTake returns hotkey's take record; a hotkey that never set one
// has the default take (and no hotkey or block in the record).
func (k Keeper) DelegateTake(ctx context.Context, hotkey sdk.AccAddress) (types.DelegateTake, error) {
	return getOr(ctx, k.DelegateTakes, hotkey, types.DelegateTake{Take: DefaultDelegateTake})
}
