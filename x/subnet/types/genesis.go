package types

import (
	"fmt"

	"cosmossdk.io/math"
)

// DefaultGenesis returns the default x/subnet genesis: default params, no
// subnets, netuids starting at 1.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextNetuid: 1, NextUnbondingId: 1, TotalIssued: math.ZeroInt(), TotalDistributed: math.ZeroInt()}
}

// Validate checks the genesis state for consistency: params, unique netuids
// below next_netuid, neurons in existing subnets with unique (netuid, uid)
// and (netuid, hotkey), and non-negative stakes.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	if gs.NextNetuid == 0 {
		return fmt.Errorf("%w: next_netuid must be >= 1", ErrInvalidGenesis)
	}
	subnets := make(map[uint32]Subnet, len(gs.Subnets))
	for _, s := range gs.Subnets {
		if _, dup := subnets[s.Netuid]; dup {
			return fmt.Errorf("%w: subnet %d repeated", ErrInvalidGenesis, s.Netuid)
		}
		if s.Netuid == 0 || s.Netuid >= gs.NextNetuid {
			return fmt.Errorf("%w: subnet netuid %d not in [1, next_netuid=%d)", ErrInvalidGenesis, s.Netuid, gs.NextNetuid)
		}
		if err := s.Hyperparams.Validate(); err != nil {
			return fmt.Errorf("%w: subnet %d: %w", ErrInvalidGenesis, s.Netuid, err)
		}
		if err := s.Task.Validate(); err != nil {
			return fmt.Errorf("%w: subnet %d: %w", ErrInvalidGenesis, s.Netuid, err)
		}
		subnets[s.Netuid] = s
	}
	type uidKey struct{ netuid, uid uint32 }
	type hotKey struct {
		netuid uint32
		hotkey string
	}
	uids := map[uidKey]bool{}
	hotkeys := map[hotKey]bool{}
	for _, n := range gs.Neurons {
		s, ok := subnets[n.Netuid]
		if !ok {
			return fmt.Errorf("%w: neuron %d/%d in unknown subnet", ErrInvalidGenesis, n.Netuid, n.Uid)
		}
		if n.Uid >= s.Hyperparams.MaxAllowedUids {
			return fmt.Errorf("%w: neuron %d/%d: uid >= max_allowed_uids", ErrInvalidGenesis, n.Netuid, n.Uid)
		}
		if uids[uidKey{n.Netuid, n.Uid}] || hotkeys[hotKey{n.Netuid, n.Hotkey}] {
			return fmt.Errorf("%w: neuron %d/%d (%s) repeated", ErrInvalidGenesis, n.Netuid, n.Uid, n.Hotkey)
		}
		uids[uidKey{n.Netuid, n.Uid}] = true
		hotkeys[hotKey{n.Netuid, n.Hotkey}] = true
	}
	for _, st := range gs.Stakes {
		if st.Amount.IsNil() || !st.Amount.IsPositive() {
			return fmt.Errorf("%w: stake of %s on %s must be > 0", ErrInvalidGenesis, st.Staker, st.Hotkey)
		}
	}
	if err := gs.validateStakeQueues(); err != nil {
		return err
	}
	for _, w := range gs.Weights {
		if !uids[uidKey{w.Netuid, w.Uid}] {
			return fmt.Errorf("%w: weights of %d/%d, which is not a neuron", ErrInvalidGenesis, w.Netuid, w.Uid)
		}
	}
	for _, c := range gs.Commits {
		if !uids[uidKey{c.Netuid, c.Uid}] {
			return fmt.Errorf("%w: commits of %d/%d, which is not a neuron", ErrInvalidGenesis, c.Netuid, c.Uid)
		}
	}
	for _, b := range gs.Burns {
		if _, ok := subnets[b.Netuid]; !ok {
			return fmt.Errorf("%w: burn state for unknown subnet %d", ErrInvalidGenesis, b.Netuid)
		}
	}
	return nil
}

// validateStakeQueues checks the warm-up, unbonding and rate-limit records:
// positive amounts, one warming entry and one stake op per (hotkey,
// staker), unique unbonding ids below next_unbonding_id, and completion
// heights after creation.
func (gs GenesisState) validateStakeQueues() error {
	type pair struct{ hotkey, staker string }
	warming := map[pair]bool{}
	for _, w := range gs.WarmingStakes {
		if w.Amount.IsNil() || !w.Amount.IsPositive() {
			return fmt.Errorf("%w: warming stake of %s on %s must be > 0", ErrInvalidGenesis, w.Staker, w.Hotkey)
		}
		if warming[pair{w.Hotkey, w.Staker}] {
			return fmt.Errorf("%w: warming stake of %s on %s repeated", ErrInvalidGenesis, w.Staker, w.Hotkey)
		}
		warming[pair{w.Hotkey, w.Staker}] = true
	}
	ids := map[uint64]bool{}
	for _, u := range gs.Unbondings {
		if u.Amount.IsNil() || !u.Amount.IsPositive() {
			return fmt.Errorf("%w: unbonding %d must be > 0", ErrInvalidGenesis, u.Id)
		}
		if u.Id == 0 || u.Id >= gs.NextUnbondingId || ids[u.Id] {
			return fmt.Errorf("%w: unbonding id %d repeated or not in [1, next_unbonding_id=%d)", ErrInvalidGenesis, u.Id, gs.NextUnbondingId)
		}
		if u.CompletionHeight < u.CreationHeight {
			return fmt.Errorf("%w: unbonding %d completes at %d, before its creation at %d", ErrInvalidGenesis, u.Id, u.CompletionHeight, u.CreationHeight)
		}
		ids[u.Id] = true
	}
	ops := map[pair]bool{}
	for _, op := range gs.StakeOps {
		if ops[pair{op.Hotkey, op.Staker}] {
			return fmt.Errorf("%w: stake op of %s on %s repeated", ErrInvalidGenesis, op.Staker, op.Hotkey)
		}
		ops[pair{op.Hotkey, op.Staker}] = true
	}
	return nil
}
