package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// DefaultDelegateTake is a hotkey's take until its coldkey sets one: 18%,
// as in subtensor.
const DefaultDelegateTake = 11_796

// AddStake moves amount from staker to warming stake on hotkey, which must
// be registered in at least one subnet. The stake counts from the returned
// record's mature_block on: until then it weighs in no epoch, permit,
// emission split or dividend split, so stake moved in for one epoch earns
// nothing. Adding again restarts the warm-up of what is still warming.
func (k Keeper) AddStake(ctx context.Context, msg *types.MsgAddStake) (types.WarmingStake, error) {
	staker, hotkey, err := k.parseStakeMsg(msg.Staker, msg.Hotkey, msg.Amount)
	if err != nil {
		return types.WarmingStake{}, err
	}
	registered, err := k.isRegisteredAnywhere(ctx, hotkey)
	if err != nil {
		return types.WarmingStake{}, err
	}
	if !registered {
		return types.WarmingStake{}, errorsmod.Wrapf(types.ErrHotkeyNotRegistered, "%s is not registered in any subnet", msg.Hotkey)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.WarmingStake{}, err
	}
	if err := k.useStakeOp(ctx, params, hotkey, staker); err != nil {
		return types.WarmingStake{}, err
	}
	if err := k.collect(ctx, staker, msg.Amount, "stake"); err != nil {
		return types.WarmingStake{}, err
	}
	mature := sdk.UnwrapSDKContext(ctx).BlockHeight() + int64(params.StakeWarmupBlocks)
	return k.addWarming(ctx, hotkey, staker, msg.Amount, mature)
}

// RemovedStake is what RemoveStake did with the amount.
type RemovedStake struct {
	// Paid came from warming stake and was paid back at once.
	Paid math.Int
	// Unbonding came from counted stake; it is zero when nothing unbonds.
	Unbonding types.Unbonding
	// Total is the hotkey's counted stake after the removal.
	Total math.Int
}

// RemoveStake removes amount of staker's stake on hotkey, whether or not
// the hotkey is still registered: warming stake first, paid back at once
// (it never counted), then counted stake, which stops counting at once and
// is paid unbonding_blocks later. Taking warming stake first leaves the
// stake that was held longest counted.
func (k Keeper) RemoveStake(ctx context.Context, msg *types.MsgRemoveStake) (RemovedStake, error) {
	res := RemovedStake{Paid: math.ZeroInt(), Unbonding: types.Unbonding{Amount: math.ZeroInt()}}
	staker, hotkey, err := k.parseStakeMsg(msg.Staker, msg.Hotkey, msg.Amount)
	if err != nil {
		return res, err
	}
	warming, err := k.warmingOf(ctx, hotkey, staker)
	if err != nil {
		return res, err
	}
	have, err := k.StakeOf(ctx, hotkey, staker)
	if err != nil {
		return res, err
	}
	if have.Add(warming.Amount).LT(msg.Amount) {
		return res, errorsmod.Wrapf(types.ErrInsufficientStake, "%s has %s%s staked and %s%s warming on %s, asked to remove %s%s",
			msg.Staker, have, k.denom, warming.Amount, k.denom, msg.Hotkey, msg.Amount, k.denom)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return res, err
	}
	if err := k.useStakeOp(ctx, params, hotkey, staker); err != nil {
		return res, err
	}
	res.Paid = math.MinInt(warming.Amount, msg.Amount)
	if err := k.subWarming(ctx, hotkey, staker, warming, res.Paid); err != nil {
		return res, err
	}
	if err := k.pay(ctx, staker, res.Paid); err != nil {
		return res, err
	}
	unbond := msg.Amount.Sub(res.Paid)
	if res.Total, err = k.changeStake(ctx, hotkey, staker, unbond.Neg()); err != nil {
		return res, err
	}
	if unbond.IsPositive() {
		res.Unbonding, err = k.startUnbonding(ctx, params, msg.Staker, msg.Hotkey, unbond)
	}
	return res, err
}

// useStakeOp enforces stake_rate_limit for the (hotkey, staker) pair and
// records this block as its last operation.
func (k Keeper) useStakeOp(ctx context.Context, params types.Params, hotkey, staker sdk.AccAddress) error {
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	key := collections.Join(hotkey, staker)
	last, err := k.StakeOps.Get(ctx, key)
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return err
	default:
		if next := last + int64(params.StakeRateLimit); height < next {
			return errorsmod.Wrapf(types.ErrStakeRateLimit, "%s last staked on %s at block %d; next stake operation allowed at block %d", staker, hotkey, last, next)
		}
	}
	return k.StakeOps.Set(ctx, key, height)
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

// changeStake adds delta (which may be negative) to a counted stake, to the
// hotkey's total and to the stake of every subnet the hotkey is registered
// in, deleting entries that reach zero. It returns the hotkey's new total.
func (k Keeper) changeStake(ctx context.Context, hotkey, staker sdk.AccAddress, delta math.Int) (math.Int, error) {
	if delta.IsZero() {
		return k.HotkeyStake(ctx, hotkey)
	}
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
	switch {
	case have.IsNegative():
		return fmt.Errorf("stake of %s on %s would go negative (%s)", staker, hotkey, have)
	case have.IsZero():
		return k.Stakes.Remove(ctx, key)
	default:
		return k.Stakes.Set(ctx, key, have)
	}
}

// changeHotkeyStake adds delta to hotkey's total and moves each of its
// subnets' stake by the change of the hotkey's share there, and returns the
// new total.
func (k Keeper) changeHotkeyStake(ctx context.Context, hotkey sdk.AccAddress, delta math.Int) (math.Int, error) {
	old, err := k.HotkeyStake(ctx, hotkey)
	if err != nil || delta.IsZero() {
		return old, err
	}
	total := old.Add(delta)
	switch {
	case total.IsNegative():
		return math.Int{}, fmt.Errorf("stake on %s would go negative (%s)", hotkey, total)
	case total.IsZero():
		err = k.TotalHotkeyStake.Remove(ctx, hotkey)
	default:
		err = k.TotalHotkeyStake.Set(ctx, hotkey, total)
	}
	if err != nil {
		return math.Int{}, err
	}
	netuids, err := k.hotkeySubnets(ctx, hotkey)
	if err != nil {
		return math.Int{}, err
	}
	return total, k.reshare(ctx, netuids, old, netuids, total)
}

// StakeShares splits a hotkey's counted stake across the n subnets it is
// registered in (one stake, one vote): each gets total/n, rounded down,
// and the first (the lowest netuid) also gets the remainder, so the shares
// add up to total exactly.
func StakeShares(total math.Int, n int) []math.Int {
	if n == 0 {
		return nil
	}
	shares := make([]math.Int, n)
	each := total.QuoRaw(int64(n))
	for i := range shares {
		shares[i] = each
	}
	shares[0] = total.Sub(each.MulRaw(int64(n - 1)))
	return shares
}

// reshare moves subnets' stake from a hotkey's shares of oldTotal over
// before to its shares of newTotal over after (netuids ascending), one
// write per subnet whose stake changes.
func (k Keeper) reshare(ctx context.Context, before []uint32, oldTotal math.Int, after []uint32, newTotal math.Int) error {
	delta := map[uint32]math.Int{}
	var order []uint32
	add := func(netuids []uint32, total math.Int, sign int64) {
		for i, share := range StakeShares(total, len(netuids)) {
			d, ok := delta[netuids[i]]
			if !ok {
				order, d = append(order, netuids[i]), math.ZeroInt()
			}
			delta[netuids[i]] = d.Add(share.MulRaw(sign))
		}
	}
	add(before, oldTotal, -1)
	add(after, newTotal, 1)
	slices.Sort(order)
	for _, netuid := range order {
		if err := k.addSubnetStake(ctx, netuid, delta[netuid]); err != nil {
			return err
		}
	}
	return nil
}

// StakeIn returns hotkey's counted stake in netuid: its share of the
// hotkey's total (StakeShares), zero where it is not registered. Yuma's
// stake vector, permits and the subnets' emission split all use it.
func (k Keeper) StakeIn(ctx context.Context, hotkey sdk.AccAddress, netuid uint32) (math.Int, error) {
	total, err := k.HotkeyStake(ctx, hotkey)
	if err != nil || total.IsZero() {
		return total, err
	}
	netuids, err := k.hotkeySubnets(ctx, hotkey)
	if err != nil {
		return math.Int{}, err
	}
	if i := slices.Index(netuids, netuid); i >= 0 {
		return StakeShares(total, len(netuids))[i], nil
	}
	return math.ZeroInt(), nil
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
// and splits its stake again over its subnets, netuid included.
func (k Keeper) joinSubnetStake(ctx context.Context, hotkey sdk.AccAddress, netuid uint32) error {
	return k.moveSubnet(ctx, hotkey, netuid, true)
}

// leaveSubnetStake undoes joinSubnetStake.
func (k Keeper) leaveSubnetStake(ctx context.Context, hotkey sdk.AccAddress, netuid uint32) error {
	return k.moveSubnet(ctx, hotkey, netuid, false)
}

func (k Keeper) moveSubnet(ctx context.Context, hotkey sdk.AccAddress, netuid uint32, join bool) error {
	before, err := k.hotkeySubnets(ctx, hotkey)
	if err != nil {
		return err
	}
	key := collections.Join(hotkey, netuid)
	if join {
		err = k.HotkeySubnets.Set(ctx, key)
	} else {
		err = k.HotkeySubnets.Remove(ctx, key)
	}
	if err != nil {
		return err
	}
	total, err := k.HotkeyStake(ctx, hotkey)
	if err != nil || total.IsZero() {
		return err
	}
	after, err := k.hotkeySubnets(ctx, hotkey)
	if err != nil {
		return err
	}
	return k.reshare(ctx, before, total, after, total)
}

// StakeOf returns what staker has staked on hotkey.
func (k Keeper) StakeOf(ctx context.Context, hotkey, staker sdk.AccAddress) (math.Int, error) {
	v, err := k.Stakes.Get(ctx, collections.Join(hotkey, staker))
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return v, err
}

// HotkeyStake returns the total counted stake on hotkey (warming and
// unbonding stake not included).
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

// migrateStake gives the stake params (stake_warmup_blocks at least
// max_tempo, unbonding_blocks, stake_rate_limit) their defaults where
// unset, and recomputes SubnetStake with each hotkey's stake split over its
// subnets (version 1 counted it in full in each). Existing stake counts on:
// it was held before the upgrade.
func (k Keeper) migrateStake(ctx context.Context) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	d := types.DefaultParams()
	if p.StakeWarmupBlocks == 0 {
		p.StakeWarmupBlocks = max(d.StakeWarmupBlocks, uint64(p.MaxTempo))
	}
	if p.UnbondingBlocks == 0 {
		p.UnbondingBlocks = d.UnbondingBlocks
	}
	if p.StakeRateLimit == 0 {
		p.StakeRateLimit = d.StakeRateLimit
	}
	if err := k.Params.Set(ctx, p); err != nil {
		return err
	}
	if err := k.SubnetStake.Clear(ctx, nil); err != nil {
		return err
	}
	return k.initSubnetStake(ctx)
}
