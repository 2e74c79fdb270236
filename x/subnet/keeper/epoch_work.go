package keeper

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// EpochWorkEstimate returns a subnet's epoch cost in work units: one per
// UID, one per weight and bond entry stored for it, and types.ValidatorWork
// per validator permit slot (min(max_allowed_validators, UIDs)). The Yuma
// engine is sparse, so loading rows and paying validators dominate an
// epoch. It reads the subnet and two counters, not the rows.
func (k Keeper) EpochWorkEstimate(ctx context.Context, netuid uint32) (uint64, error) {
	s, err := k.Subnets.Get(ctx, netuid)
	if err != nil {
		return 0, err
	}
	n, err := k.neuronCount(ctx, netuid)
	if err != nil {
		return 0, err
	}
	entries, err := getOr(ctx, k.EpochWork, netuid, 0)
	slots := uint64(min(s.Hyperparams.MaxAllowedValidators, n))
	return uint64(n) + slots*types.ValidatorWork + entries, err
}

// changeEpochWork moves a subnet's stored-entries counter from having old
// entries in some rows to having new ones. It never goes below zero.
func (k Keeper) changeEpochWork(ctx context.Context, netuid uint32, old, new uint64) error {
	if old == new {
		return nil
	}
	cur, err := getOr(ctx, k.EpochWork, netuid, 0)
	if err != nil {
		return err
	}
	cur += new
	cur -= min(cur, old)
	if cur == 0 {
		return k.EpochWork.Remove(ctx, netuid)
	}
	return k.EpochWork.Set(ctx, netuid, cur)
}

// setWeightsRow stores a neuron's weight row and keeps EpochWork current.
func (k Keeper) setWeightsRow(ctx context.Context, key NeuronKey, row types.WeightsRow) error {
	old, err := getOr(ctx, k.Weights, key, types.WeightsRow{})
	if err != nil {
		return err
	}
	if err := k.Weights.Set(ctx, key, row); err != nil {
		return err
	}
	return k.changeEpochWork(ctx, key.K1(), uint64(len(old.Entries)), uint64(len(row.Entries)))
}

// removeEpochRows deletes a neuron's weight and bonds rows and takes their
// entries off EpochWork.
func (k Keeper) removeEpochRows(ctx context.Context, key NeuronKey) error {
	w, err := getOr(ctx, k.Weights, key, types.WeightsRow{})
	if err != nil {
		return err
	}
	b, err := getOr(ctx, k.Bonds, key, types.BondsRow{})
	if err != nil {
		return err
	}
	if err := k.Weights.Remove(ctx, key); err != nil {
		return err
	}
	if err := k.Bonds.Remove(ctx, key); err != nil {
		return err
	}
	return k.changeEpochWork(ctx, key.K1(), uint64(len(w.Entries)+len(b.Entries)), 0)
}

// bondEntries counts the entries of bonds rows.
func bondEntries(rows map[uint32]types.BondsRow) uint64 {
	var n uint64
	for _, r := range rows {
		n += uint64(len(r.Entries))
	}
	return n
}

// checkEpochWork verifies that EpochWork holds, for each subnet, exactly
// the weight and bond entries stored for it (no entry at zero), and that
// every queued epoch belongs to an existing subnet.
func (k Keeper) checkEpochWork(ctx context.Context) error {
	counts := map[uint32]uint64{}
	if err := k.Weights.Walk(ctx, nil, func(key NeuronKey, row types.WeightsRow) (bool, error) {
		counts[key.K1()] += uint64(len(row.Entries))
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.Bonds.Walk(ctx, nil, func(key NeuronKey, row types.BondsRow) (bool, error) {
		counts[key.K1()] += uint64(len(row.Entries))
		return false, nil
	}); err != nil {
		return err
	}
	var bad error
	err := k.EpochWork.Walk(ctx, nil, func(netuid uint32, n uint64) (bool, error) {
		if counts[netuid] != n || n == 0 {
			bad = fmt.Errorf("subnet %d: EpochWork %d != %d stored weight and bond entries", netuid, n, counts[netuid])
			return true, nil
		}
		delete(counts, netuid)
		return false, nil
	})
	if err != nil || bad != nil {
		return errors.Join(err, bad)
	}
	missing := make([]uint32, 0, len(counts))
	for netuid, n := range counts {
		if n > 0 {
			missing = append(missing, netuid)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("subnet %d: %d stored weight and bond entries but no EpochWork", missing[0], counts[missing[0]])
	}
	return k.DueEpochs.Walk(ctx, nil, func(netuid uint32, _ int64) (bool, error) {
		has, err := k.Subnets.Has(ctx, netuid)
		if err == nil && !has {
			err = fmt.Errorf("queued epoch of subnet %d, which does not exist", netuid)
		}
		return err != nil, err
	})
}
