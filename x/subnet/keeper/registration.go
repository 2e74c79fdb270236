package keeper

import (
	"context"
	"errors"
	"math/big"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// DecayedBurn returns the registration price at height, given the state
// last written at state.UpdatedBlock. The part of the price above min_burn
// halves every burn_half_life blocks; between two halvings it falls
// linearly, so the curve is continuous, monotone, exact at every half-life
// and never below the exponential by more than 6.1% of the excess. Integer
// arithmetic, rounding up (in the chain's favour).
func DecayedBurn(state types.BurnState, hp types.Hyperparams, height int64) math.Int {
	price := state.Price
	if price.LT(hp.MinBurn) {
		price = hp.MinBurn
	}
	excess := price.Sub(hp.MinBurn)
	if dt := height - state.UpdatedBlock; dt > 0 && excess.IsPositive() {
		halvings := uint64(dt) / hp.BurnHalfLife
		if halvings >= 128 {
			excess = math.ZeroInt()
		} else {
			excess = excess.Quo(math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), uint(halvings))))
			rem := math.NewIntFromUint64(uint64(dt) % hp.BurnHalfLife)
			twoH := math.NewIntFromUint64(2 * hp.BurnHalfLife)
			// excess * (2H - rem) / 2H, rounded up
			excess = ceilDiv(excess.Mul(twoH.Sub(rem)), twoH)
		}
	}
	return clamp(hp.MinBurn.Add(excess), hp.MinBurn, hp.MaxBurn)
}

func ceilDiv(a, b math.Int) math.Int {
	q := a.Quo(b)
	if !a.Mod(b).IsZero() {
		q = q.AddRaw(1)
	}
	return q
}

func clamp(x, lo, hi math.Int) math.Int {
	if x.LT(lo) {
		return lo
	}
	if x.GT(hi) {
		return hi
	}
	return x
}

// RegistrationPrice returns a subnet's current price and how many more
// registrations this block allows.
func (k Keeper) RegistrationPrice(ctx context.Context, netuid uint32) (math.Int, uint32, error) {
	s, err := k.GetSubnet(ctx, netuid)
	if err != nil {
		return math.Int{}, 0, err
	}
	state, err := k.Burns.Get(ctx, netuid)
	if err != nil {
		return math.Int{}, 0, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	left := s.Hyperparams.MaxRegistrationsPerBlock
	if state.UpdatedBlock == height {
		left -= min(left, state.RegistrationsThisBlock)
	}
	return DecayedBurn(state, s.Hyperparams, height), left, nil
}

// RegisterResult is what Register did.
type RegisterResult struct {
	UID      uint32
	Burned   math.Int
	Replaced string
}

// Register registers msg.Hotkey in a subnet for msg.Coldkey, burning the
// registration price from the coldkey. When the subnet is full the new
// neuron takes the UID of the prunable neuron with the lowest emission.
func (k Keeper) Register(ctx context.Context, msg *types.MsgRegister) (RegisterResult, error) {
	coldkey, err := k.parseAddr("coldkey", msg.Coldkey)
	if err != nil {
		return RegisterResult{}, err
	}
	hotkey, err := k.parseAddr("hotkey", msg.Hotkey)
	if err != nil {
		return RegisterResult{}, err
	}
	if msg.MaxBurn.IsNil() || msg.MaxBurn.IsNegative() {
		return RegisterResult{}, errorsmod.Wrap(types.ErrInvalidAmount, "max_burn must be >= 0")
	}
	s, err := k.GetSubnet(ctx, msg.Netuid)
	if err != nil {
		return RegisterResult{}, err
	}
	if err := k.checkHotkeyOwner(ctx, hotkey, coldkey); err != nil {
		return RegisterResult{}, err
	}
	if has, err := k.HotkeySubnets.Has(ctx, collections.Join(hotkey, msg.Netuid)); err != nil || has {
		if err == nil {
			err = errorsmod.Wrapf(types.ErrAlreadyRegistered, "%s in subnet %d", msg.Hotkey, msg.Netuid)
		}
		return RegisterResult{}, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	state, err := k.Burns.Get(ctx, msg.Netuid)
	if err != nil {
		return RegisterResult{}, err
	}
	if state.UpdatedBlock == height && state.RegistrationsThisBlock >= s.Hyperparams.MaxRegistrationsPerBlock {
		return RegisterResult{}, errorsmod.Wrapf(types.ErrRegistrationLimit, "subnet %d allows %d per block; try the next block", msg.Netuid, s.Hyperparams.MaxRegistrationsPerBlock)
	}
	price := DecayedBurn(state, s.Hyperparams, height)
	if price.GT(msg.MaxBurn) {
		return RegisterResult{}, errorsmod.Wrapf(types.ErrPriceAboveMax, "price is %s%s, max_burn is %s%s", price, k.denom, msg.MaxBurn, k.denom)
	}
	uid, replaced, err := k.allocateUID(ctx, s, height)
	if err != nil {
		return RegisterResult{}, err
	}
	if err := k.collect(ctx, coldkey, price, "registration"); err != nil {
		return RegisterResult{}, err
	}
	if err := k.bank.BurnCoins(ctx, types.ModuleName, k.coins(price)); err != nil {
		return RegisterResult{}, err
	}
	if err := k.bumpBurn(ctx, msg.Netuid, s.Hyperparams, state, price, height); err != nil {
		return RegisterResult{}, err
	}
	if err := k.HotkeyOwners.Set(ctx, hotkey, coldkey); err != nil {
		return RegisterResult{}, err
	}
	neuron := types.Neuron{
		Netuid:            msg.Netuid,
		Uid:               uid,
		Hotkey:            msg.Hotkey,
		Coldkey:           msg.Coldkey,
		RegistrationBlock: height,
		LastUpdate:        height,
		LastEpoch:         types.EpochResult{Emission: math.ZeroInt()},
	}
	if err := k.Neurons.Set(ctx, collections.Join(msg.Netuid, uid), neuron); err != nil {
		return RegisterResult{}, err
	}
	if err := k.joinSubnetStake(ctx, hotkey, msg.Netuid); err != nil {
		return RegisterResult{}, err
	}
	return RegisterResult{UID: uid, Burned: price, Replaced: replaced}, nil
}

// checkHotkeyOwner enforces that a hotkey belongs to one coldkey forever.
func (k Keeper) checkHotkeyOwner(ctx context.Context, hotkey, coldkey sdk.AccAddress) error {
	owner, err := k.HotkeyOwners.Get(ctx, hotkey)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !owner.Equals(coldkey) {
		return errorsmod.Wrapf(types.ErrHotkeyOwnedByOther, "%s belongs to %s", hotkey, owner)
	}
	return nil
}

// bumpBurn raises the price by burn_increase_bps after a registration and
// counts the registration in this block.
func (k Keeper) bumpBurn(ctx context.Context, netuid uint32, hp types.Hyperparams, state types.BurnState, price math.Int, height int64) error {
	if state.UpdatedBlock != height {
		state.RegistrationsThisBlock = 0
	}
	next := ceilDiv(price.MulRaw(int64(hp.BurnIncreaseBps)), math.NewInt(10_000))
	state.Price = clamp(next, hp.MinBurn, hp.MaxBurn)
	state.UpdatedBlock = height
	state.RegistrationsThisBlock++
	return k.Burns.Set(ctx, netuid, state)
}

// neuronCount returns the number of UIDs in use in a subnet.
func (k Keeper) neuronCount(ctx context.Context, netuid uint32) (uint32, error) {
	return getOr(ctx, k.NeuronCounts, netuid, 0)
}

// allocateUID returns a free UID, or prunes one when the subnet is full.
func (k Keeper) allocateUID(ctx context.Context, s types.Subnet, height int64) (uint32, string, error) {
	count, err := k.neuronCount(ctx, s.Netuid)
	if err != nil {
		return 0, "", err
	}
	if count < s.Hyperparams.MaxAllowedUids {
		return count, "", k.NeuronCounts.Set(ctx, s.Netuid, count+1)
	}
	victim, ok, err := k.pruneCandidate(ctx, s, height)
	if err != nil {
		return 0, "", err
	}
	if !ok {
		return 0, "", errorsmod.Wrapf(types.ErrSubnetFullImmune, "subnet %d has %d neurons, none past its %d-block immunity", s.Netuid, count, s.Hyperparams.ImmunityPeriod)
	}
	if err := k.removeNeuron(ctx, victim); err != nil {
		return 0, "", err
	}
	return victim.Uid, victim.Hotkey, nil
}

// pruneCandidate picks the neuron to replace: not immune, not the owner's
// hotkey, lowest last emission; ties go to the older registration, then the
// lower UID.
func (k Keeper) pruneCandidate(ctx context.Context, s types.Subnet, height int64) (types.Neuron, bool, error) {
	var best types.Neuron
	found := false
	rng := collections.NewPrefixedPairRange[uint32, uint32](s.Netuid)
	err := k.Neurons.Walk(ctx, rng, func(_ NeuronKey, n types.Neuron) (bool, error) {
		if height-n.RegistrationBlock < int64(s.Hyperparams.ImmunityPeriod) {
			return false, nil
		}
		if s.OwnerHotkey != "" && n.Hotkey == s.OwnerHotkey && n.Coldkey == s.Owner {
			return false, nil
		}
		if !found || prunesBefore(n, best) {
			best, found = n, true
		}
		return false, nil
	})
	return best, found, err
}

// prunesBefore orders prune candidates: lower emission, older registration,
// lower UID.
func prunesBefore(a, b types.Neuron) bool {
	ea, eb := a.LastEpoch.Emission, b.LastEpoch.Emission
	if ea.IsNil() {
		ea = math.ZeroInt()
	}
	if eb.IsNil() {
		eb = math.ZeroInt()
	}
	if !ea.Equal(eb) {
		return ea.LT(eb)
	}
	if a.RegistrationBlock != b.RegistrationBlock {
		return a.RegistrationBlock < b.RegistrationBlock
	}
	return a.Uid < b.Uid
}

// removeNeuron deletes a neuron and its per-UID state (weights, commits,
// bonds). The stake on its hotkey stays with the stakers.
func (k Keeper) removeNeuron(ctx context.Context, n types.Neuron) error {
	hotkey, err := k.parseAddr("hotkey", n.Hotkey)
	if err != nil {
		return err
	}
	key := collections.Join(n.Netuid, n.Uid)
	for _, remove := range []func() error{
		func() error { return k.Neurons.Remove(ctx, key) },
		func() error { return k.removeEpochRows(ctx, key) },
		func() error { return k.WeightCommits.Remove(ctx, key) },
	} {
		if err := remove(); err != nil {
			return err
		}
	}
	return k.leaveSubnetStake(ctx, hotkey, n.Netuid)
}

// GetNeuronByHotkey returns the neuron of hotkey in netuid.
func (k Keeper) GetNeuronByHotkey(ctx context.Context, netuid uint32, hotkey sdk.AccAddress) (types.Neuron, error) {
	key, err := k.Neurons.Indexes.Hotkey.MatchExact(ctx, collections.Join(netuid, hotkey))
	if errors.Is(err, collections.ErrNotFound) {
		return types.Neuron{}, errorsmod.Wrapf(types.ErrHotkeyNotRegistered, "%s in subnet %d", hotkey, netuid)
	}
	if err != nil {
		return types.Neuron{}, err
	}
	return k.Neurons.Get(ctx, key)
}
