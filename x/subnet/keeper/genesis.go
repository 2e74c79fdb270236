package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// InitGenesis loads the module state from a validated genesis.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.NextNetuid.Set(ctx, uint64(gs.NextNetuid)); err != nil {
		return err
	}
	for _, s := range gs.Subnets {
		if err := k.Subnets.Set(ctx, s.Netuid, s); err != nil {
			return err
		}
		if err := k.NeuronCounts.Set(ctx, s.Netuid, 0); err != nil {
			return err
		}
	}
	// stakes, then neurons (recording each hotkey's subnets), then one
	// walk over the (hotkey, netuid) keys to split each hotkey's stake
	// over its subnets: no iterator per stake or per neuron over a store
	// full of unsaved writes (quadratic in a large genesis)
	for _, st := range gs.Stakes {
		if err := k.initStake(ctx, st); err != nil {
			return err
		}
	}
	for _, n := range gs.Neurons {
		if err := k.initNeuron(ctx, n); err != nil {
			return err
		}
	}
	if err := k.initSubnetStake(ctx); err != nil {
		return err
	}
	if err := k.initStakeQueues(ctx, gs); err != nil {
		return err
	}
	for _, b := range gs.Burns {
		if err := k.Burns.Set(ctx, b.Netuid, b.State); err != nil {
			return err
		}
	}
	for _, o := range gs.HotkeyOwners {
		hot, err := k.parseAddr("hotkey", o.Hotkey)
		if err != nil {
			return err
		}
		cold, err := k.parseAddr("coldkey", o.Coldkey)
		if err != nil {
			return err
		}
		if err := k.HotkeyOwners.Set(ctx, hot, cold); err != nil {
			return err
		}
	}
	for _, w := range gs.Weights {
		if err := k.setWeightsRow(ctx, collections.Join(w.Netuid, w.Uid), w.Row); err != nil {
			return err
		}
	}
	for _, c := range gs.Commits {
		if err := k.WeightCommits.Set(ctx, collections.Join(c.Netuid, c.Uid), c.Commits); err != nil {
			return err
		}
	}
	for _, b := range gs.Bonds {
		if err := k.Bonds.Set(ctx, collections.Join(b.Netuid, b.Uid), b.Row); err != nil {
			return err
		}
		if err := k.changeEpochWork(ctx, b.Netuid, 0, uint64(len(b.Row.Entries))); err != nil {
			return err
		}
	}
	for _, p := range gs.Pending {
		if err := k.PendingEmission.Set(ctx, p.Netuid, p.Amount); err != nil {
			return err
		}
	}
	if err := k.importDueEpochs(ctx, gs.DueEpochs); err != nil {
		return err
	}
	if err := k.TotalIssued.Set(ctx, orZero(gs.TotalIssued)); err != nil {
		return err
	}
	if err := k.TotalDistributed.Set(ctx, orZero(gs.TotalDistributed)); err != nil {
		return err
	}
	for _, t := range gs.DelegateTakes {
		hot, err := k.parseAddr("hotkey", t.Hotkey)
		if err != nil {
			return err
		}
		if err := k.DelegateTakes.Set(ctx, hot, t); err != nil {
			return err
		}
	}
	return nil
}

func (k Keeper) initNeuron(ctx context.Context, n types.Neuron) error {
	hot, err := k.parseAddr("hotkey", n.Hotkey)
	if err != nil {
		return err
	}
	if n.LastEpoch.Emission.IsNil() {
		n.LastEpoch.Emission = math.ZeroInt()
	}
	if err := k.Neurons.Set(ctx, collections.Join(n.Netuid, n.Uid), n); err != nil {
		return err
	}
	// SubnetStake follows in initSubnetStake, once every neuron is loaded
	if err := k.HotkeySubnets.Set(ctx, collections.Join(hot, n.Netuid)); err != nil {
		return err
	}
	count, err := k.neuronCount(ctx, n.Netuid)
	if err != nil {
		return err
	}
	return k.NeuronCounts.Set(ctx, n.Netuid, max(count, n.Uid+1))
}

func (k Keeper) initStake(ctx context.Context, st types.Stake) error {
	hot, err := k.parseAddr("hotkey", st.Hotkey)
	if err != nil {
		return err
	}
	staker, err := k.parseAddr("staker", st.Staker)
	if err != nil {
		return err
	}
	if has, err := k.Stakes.Has(ctx, collections.Join(hot, staker)); err != nil || has {
		if err == nil {
			err = fmt.Errorf("%w: stake of %s on %s repeated", types.ErrInvalidGenesis, st.Staker, st.Hotkey)
		}
		return err
	}
	if err := k.changeStakeEntry(ctx, hot, staker, st.Amount); err != nil {
		return err
	}
	// no neuron is loaded yet, so no subnet's stake changes
	total, err := k.HotkeyStake(ctx, hot)
	if err != nil {
		return err
	}
	return k.TotalHotkeyStake.Set(ctx, hot, total.Add(st.Amount))
}

// initSubnetStake sets every subnet's stake from the hotkeys' counted
// stake and the subnets they are registered in (StakeShares), with one walk
// over HotkeySubnets, which lists each hotkey's netuids together, ascending.
func (k Keeper) initSubnetStake(ctx context.Context) error {
	var keys []collections.Pair[sdk.AccAddress, uint32]
	err := k.HotkeySubnets.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, uint32]) (bool, error) {
		keys = append(keys, key)
		return false, nil
	})
	if err != nil {
		return err
	}
	for start := 0; start < len(keys); {
		hotkey, end := keys[start].K1(), start
		var netuids []uint32
		for ; end < len(keys) && keys[end].K1().Equals(hotkey); end++ {
			netuids = append(netuids, keys[end].K2())
		}
		total, err := k.HotkeyStake(ctx, hotkey)
		if err != nil {
			return err
		}
		if err := k.reshare(ctx, nil, math.ZeroInt(), netuids, total); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// initStakeQueues loads the warming stakes, unbondings and stake ops. The
// unbonding id sequence never restarts below 1.
func (k Keeper) initStakeQueues(ctx context.Context, gs *types.GenesisState) error {
	for _, w := range gs.WarmingStakes {
		hot, err := k.parseAddr("hotkey", w.Hotkey)
		if err != nil {
			return err
		}
		staker, err := k.parseAddr("staker", w.Staker)
		if err != nil {
			return err
		}
		if _, err := k.addWarming(ctx, hot, staker, w.Amount, w.MatureBlock); err != nil {
			return err
		}
	}
	for _, u := range gs.Unbondings {
		if _, err := k.parseAddr("staker", u.Staker); err != nil {
			return err
		}
		if _, err := k.parseAddr("hotkey", u.Hotkey); err != nil {
			return err
		}
		if err := k.Unbondings.Set(ctx, u.Id, u); err != nil {
			return err
		}
	}
	if err := k.NextUnbondingID.Set(ctx, max(gs.NextUnbondingId, 1)); err != nil {
		return err
	}
	for _, op := range gs.StakeOps {
		hot, err := k.parseAddr("hotkey", op.Hotkey)
		if err != nil {
			return err
		}
		staker, err := k.parseAddr("staker", op.Staker)
		if err != nil {
			return err
		}
		if err := k.StakeOps.Set(ctx, collections.Join(hot, staker), op.Height); err != nil {
			return err
		}
	}
	return nil
}

// exportStakeQueues adds the warming stakes, unbondings and stake ops to gs.
func (k Keeper) exportStakeQueues(ctx context.Context, gs *types.GenesisState) error {
	err := k.WarmingStakes.Walk(ctx, nil, func(_ StakeKey, w types.WarmingStake) (bool, error) {
		gs.WarmingStakes = append(gs.WarmingStakes, w)
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.Unbondings.Walk(ctx, nil, func(_ uint64, u types.Unbonding) (bool, error) {
		gs.Unbondings = append(gs.Unbondings, u)
		return false, nil
	})
	if err != nil {
		return err
	}
	if gs.NextUnbondingId, err = k.NextUnbondingID.Peek(ctx); err != nil {
		return err
	}
	gs.NextUnbondingId = max(gs.NextUnbondingId, 1)
	return k.StakeOps.Walk(ctx, nil, func(key StakeKey, height int64) (bool, error) {
		h, err := k.addressCodec.BytesToString(key.K1())
		if err != nil {
			return true, err
		}
		s, err := k.addressCodec.BytesToString(key.K2())
		gs.StakeOps = append(gs.StakeOps, types.StakeOp{Hotkey: h, Staker: s, Height: height})
		return false, err
	})
}

// ExportGenesis writes the module state, in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.NextNetuid.Peek(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params, NextNetuid: uint32(max(next, 1))}
	err = k.Subnets.Walk(ctx, nil, func(_ uint32, s types.Subnet) (bool, error) {
		gs.Subnets = append(gs.Subnets, s)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Neurons.Walk(ctx, nil, func(_ NeuronKey, n types.Neuron) (bool, error) {
		gs.Neurons = append(gs.Neurons, n)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Burns.Walk(ctx, nil, func(netuid uint32, b types.BurnState) (bool, error) {
		gs.Burns = append(gs.Burns, types.SubnetBurn{Netuid: netuid, State: b})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.HotkeyOwners.Walk(ctx, nil, func(hot, cold sdk.AccAddress) (bool, error) {
		h, err := k.addressCodec.BytesToString(hot)
		if err != nil {
			return true, err
		}
		c, err := k.addressCodec.BytesToString(cold)
		gs.HotkeyOwners = append(gs.HotkeyOwners, types.HotkeyOwner{Hotkey: h, Coldkey: c})
		return false, err
	})
	if err != nil {
		return nil, err
	}
	err = k.Stakes.Walk(ctx, nil, func(key StakeKey, amt math.Int) (bool, error) {
		rec, err := k.stakeRecord(key, amt)
		gs.Stakes = append(gs.Stakes, rec)
		return false, err
	})
	if err != nil {
		return nil, err
	}
	if err := k.exportStakeQueues(ctx, gs); err != nil {
		return nil, err
	}
	err = k.DelegateTakes.Walk(ctx, nil, func(_ sdk.AccAddress, t types.DelegateTake) (bool, error) {
		gs.DelegateTakes = append(gs.DelegateTakes, t)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Weights.Walk(ctx, nil, func(key NeuronKey, row types.WeightsRow) (bool, error) {
		gs.Weights = append(gs.Weights, types.NeuronWeights{Netuid: key.K1(), Uid: key.K2(), Row: row})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.WeightCommits.Walk(ctx, nil, func(key NeuronKey, c types.WeightCommits) (bool, error) {
		gs.Commits = append(gs.Commits, types.NeuronCommits{Netuid: key.K1(), Uid: key.K2(), Commits: c})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.Bonds.Walk(ctx, nil, func(key NeuronKey, row types.BondsRow) (bool, error) {
		gs.Bonds = append(gs.Bonds, types.NeuronBonds{Netuid: key.K1(), Uid: key.K2(), Row: row})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	err = k.PendingEmission.Walk(ctx, nil, func(netuid uint32, amt math.Int) (bool, error) {
		gs.Pending = append(gs.Pending, types.SubnetPending{Netuid: netuid, Amount: amt})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	queue, err := k.dueQueue(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range queue {
		gs.DueEpochs = append(gs.DueEpochs, d.netuid)
	}
	if gs.TotalIssued, err = getInt(ctx, k.TotalIssued); err != nil {
		return nil, err
	}
	gs.TotalDistributed, err = getInt(ctx, k.TotalDistributed)
	return gs, err
}

func orZero(x math.Int) math.Int {
	if x.IsNil() {
		return math.ZeroInt()
	}
	return x
}
