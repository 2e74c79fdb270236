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

// CreateSubnet creates a subnet owned by creator, locking the subnet lock
// cost from the creator's balance. hp nil means the default hyperparameters.
func (k Keeper) CreateSubnet(ctx context.Context, msg *types.MsgCreateSubnet) (types.Subnet, error) {
	creator, err := k.parseAddr("creator", msg.Creator)
	if err != nil {
		return types.Subnet{}, err
	}
	if msg.OwnerHotkey != "" {
		if _, err := k.parseAddr("owner_hotkey", msg.OwnerHotkey); err != nil {
			return types.Subnet{}, err
		}
	}
	if err := types.ValidateSubnetName(msg.Name); err != nil {
		return types.Subnet{}, err
	}
	if err := msg.Task.Validate(); err != nil {
		return types.Subnet{}, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Subnet{}, err
	}
	hp := params.DefaultHyperparams
	if msg.Hyperparams != nil {
		hp = *msg.Hyperparams
	}
	if err := k.checkNewHyperparams(params, msg.Creator, hp); err != nil {
		return types.Subnet{}, err
	}
	count, err := k.countSubnets(ctx)
	if err != nil {
		return types.Subnet{}, err
	}
	if count >= params.MaxSubnets {
		return types.Subnet{}, errorsmod.Wrapf(types.ErrTooManySubnets, "%d subnets exist, max_subnets is %d", count, params.MaxSubnets)
	}
	if err := k.collect(ctx, creator, params.SubnetLockCost, "subnet lock"); err != nil {
		return types.Subnet{}, err
	}
	netuid, err := k.nextNetuid(ctx)
	if err != nil {
		return types.Subnet{}, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	subnet := types.Subnet{
		Netuid:       netuid,
		Owner:        msg.Creator,
		Name:         msg.Name,
		Task:         msg.Task,
		Hyperparams:  hp,
		CreatedBlock: height,
		Locked:       params.SubnetLockCost,
		OwnerHotkey:  msg.OwnerHotkey,
	}
	if err := k.Subnets.Set(ctx, netuid, subnet); err != nil {
		return types.Subnet{}, err
	}
	if err := k.Burns.Set(ctx, netuid, types.BurnState{Price: hp.MinBurn, UpdatedBlock: height}); err != nil {
		return types.Subnet{}, err
	}
	return subnet, k.NeuronCounts.Set(ctx, netuid, 0)
}

// checkNewHyperparams checks a new subnet's hyperparameters: valid, a tempo
// within [min_tempo, max_tempo], and, unless the authority creates it, no
// governance-only hyperparameter beyond what the defaults allow
// (types.CreationLimitViolations): an account cannot create a subnet that
// an owner could not have updated its way to.
func (k Keeper) checkNewHyperparams(params types.Params, creator string, hp types.Hyperparams) error {
	if err := hp.Validate(); err != nil {
		return err
	}
	if err := params.CheckTempo(hp.Tempo); err != nil {
		return err
	}
	if creator == k.authority {
		return nil
	}
	if over := types.CreationLimitViolations(params.DefaultHyperparams, hp); len(over) > 0 {
		return errorsmod.Wrapf(types.ErrGovOnlyHyperparam, "only governance may create a subnet with %v beyond default_hyperparams", over)
	}
	return nil
}

// nextNetuid returns a fresh netuid. Netuid 0 is never handed out (it is
// Bittensor's root network and an easy mistake for "unset").
func (k Keeper) nextNetuid(ctx context.Context) (uint32, error) {
	for {
		n, err := k.NextNetuid.Next(ctx)
		if err != nil {
			return 0, err
		}
		if n > uint64(^uint32(0)) {
			return 0, errorsmod.Wrap(types.ErrTooManySubnets, "netuid space exhausted")
		}
		if n == 0 {
			continue
		}
		if has, err := k.Subnets.Has(ctx, uint32(n)); err != nil || !has {
			return uint32(n), err
		}
	}
}

func (k Keeper) countSubnets(ctx context.Context) (uint32, error) {
	var n uint32
	err := k.Subnets.Walk(ctx, nil, func(uint32, types.Subnet) (bool, error) {
		n++
		return false, nil
	})
	return n, err
}

// GetSubnet returns the subnet or ErrSubnetNotFound.
func (k Keeper) GetSubnet(ctx context.Context, netuid uint32) (types.Subnet, error) {
	s, err := k.Subnets.Get(ctx, netuid)
	if errors.Is(err, collections.ErrNotFound) {
		return s, errorsmod.Wrapf(types.ErrSubnetNotFound, "netuid %d", netuid)
	}
	return s, err
}

// isOwnerOrAuthority checks that signer may administer the subnet.
func (k Keeper) isOwnerOrAuthority(signer string, s types.Subnet) error {
	if signer == s.Owner || signer == k.authority {
		return nil
	}
	return errorsmod.Wrapf(types.ErrInvalidSigner, "%s is neither the owner of subnet %d (%s) nor the authority", signer, s.Netuid, s.Owner)
}

// DissolveSubnet removes a subnet and its neurons and returns the lock to
// the owner. The emission still pending is paid by a final epoch first
// (settleDissolved), so the owner gets only its cut of it and the neurons
// their shares. Stake stays on the hotkeys with their stakers.
func (k Keeper) DissolveSubnet(ctx context.Context, signer string, netuid uint32) (types.Subnet, uint32, error) {
	if _, err := k.parseAddr("signer", signer); err != nil {
		return types.Subnet{}, 0, err
	}
	s, err := k.GetSubnet(ctx, netuid)
	if err != nil {
		return s, 0, err
	}
	if err := k.isOwnerOrAuthority(signer, s); err != nil {
		return s, 0, err
	}
	if err := k.settleDissolved(ctx, s); err != nil {
		return s, 0, err
	}
	removed, err := k.removeNeurons(ctx, netuid)
	if err != nil {
		return s, 0, err
	}
	owner, err := k.parseAddr("owner", s.Owner)
	if err != nil {
		return s, 0, err
	}
	if err := k.pay(ctx, owner, s.Locked); err != nil {
		return s, 0, err
	}
	for _, remove := range []func() error{
		func() error { return k.EpochWork.Remove(ctx, netuid) },
		func() error { return k.Subnets.Remove(ctx, netuid) },
		func() error { return k.Burns.Remove(ctx, netuid) },
		func() error { return k.NeuronCounts.Remove(ctx, netuid) },
		func() error { return k.PendingEmission.Remove(ctx, netuid) },
		func() error { return k.DueEpochs.Remove(ctx, netuid) },
	} {
		if err := remove(); err != nil {
			return s, 0, err
		}
	}
	return s, removed, nil
}

// removeNeurons deletes every neuron of a subnet, with its per-UID state,
// and returns how many.
func (k Keeper) removeNeurons(ctx context.Context, netuid uint32) (uint32, error) {
	var neurons []types.Neuron
	rng := collections.NewPrefixedPairRange[uint32, uint32](netuid)
	err := k.Neurons.Walk(ctx, rng, func(_ NeuronKey, n types.Neuron) (bool, error) {
		neurons = append(neurons, n)
		return false, nil
	})
	if err != nil {
		return 0, err
	}
	for _, n := range neurons {
		if err := k.removeNeuron(ctx, n); err != nil {
			return 0, err
		}
	}
	return uint32(len(neurons)), nil
}

// UpdateHyperparams schedules new hyperparameters for the subnet's next
// epoch boundary and returns the first block they apply to. Some can only be
// changed by the authority (types.GovOnlyChanges).
func (k Keeper) UpdateHyperparams(ctx context.Context, signer string, netuid uint32, hp types.Hyperparams) (int64, error) {
	if _, err := k.parseAddr("signer", signer); err != nil {
		return 0, err
	}
	s, err := k.GetSubnet(ctx, netuid)
	if err != nil {
		return 0, err
	}
	if err := k.isOwnerOrAuthority(signer, s); err != nil {
		return 0, err
	}
	if err := hp.Validate(); err != nil {
		return 0, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	if err := params.CheckTempo(hp.Tempo); err != nil {
		return 0, err
	}
	if signer != k.authority {
		if changed := types.GovOnlyChanges(s.Hyperparams, hp); len(changed) > 0 {
			return 0, errorsmod.Wrapf(types.ErrGovOnlyHyperparam, "%v", changed)
		}
	}
	count, err := k.neuronCount(ctx, netuid)
	if err != nil {
		return 0, err
	}
	if hp.MaxAllowedUids < count {
		return 0, errorsmod.Wrapf(types.ErrUIDsInUse, "max_allowed_uids %d < %d registered neurons", hp.MaxAllowedUids, count)
	}
	s.PendingHyperparams = &hp
	if err := k.Subnets.Set(ctx, netuid, s); err != nil {
		return 0, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	return types.NextEpochBlock(netuid, s.Hyperparams.Tempo, height) + 1, nil
}

// ApplyPendingHyperparams makes a subnet's pending hyperparameters current.
// It runs at the subnet's epoch boundary, after the epoch, so an epoch never
// sees a tempo or kappa change halfway.
func (k Keeper) ApplyPendingHyperparams(ctx context.Context, s types.Subnet) (types.Subnet, bool, error) {
	if s.PendingHyperparams == nil {
		return s, false, nil
	}
	count, err := k.neuronCount(ctx, s.Netuid)
	if err != nil {
		return s, false, err
	}
	hp := *s.PendingHyperparams
	s.PendingHyperparams = nil
	if hp.MaxAllowedUids < count {
		// Neurons registered since the change was accepted: keep the old
		// values rather than evict anyone.
		return s, false, k.Subnets.Set(ctx, s.Netuid, s)
	}
	s.Hyperparams = hp
	return s, true, k.Subnets.Set(ctx, s.Netuid, s)
}

// collect moves amount of the denom from addr to the module account, with a
// clear error when addr cannot afford it.
func (k Keeper) collect(ctx context.Context, addr sdk.AccAddress, amount math.Int, what string) error {
	if !amount.IsPositive() {
		return nil
	}
	have := k.bank.SpendableCoins(ctx, addr).AmountOf(k.denom)
	if have.LT(amount) {
		return errorsmod.Wrapf(types.ErrInsufficientFunds, "%s costs %s%s, %s has %s%s spendable", what, amount, k.denom, addr, have, k.denom)
	}
	return k.bank.SendCoinsFromAccountToModule(ctx, addr, types.ModuleName, k.coins(amount))
}

// pay moves amount of the denom from the module account to addr.
func (k Keeper) pay(ctx context.Context, addr sdk.AccAddress, amount math.Int) error {
	if !amount.IsPositive() {
		return nil
	}
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, addr, k.coins(amount)); err != nil {
		return fmt.Errorf("paying %s%s to %s: %w", amount, k.denom, addr, err)
	}
	return nil
}
