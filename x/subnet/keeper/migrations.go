package keeper

import (
	"context"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Migrate1to2 moves x/subnet from consensus version 1 to 2: the due set
// (prefix 19, where the lowest netuid ran first) becomes the due-epoch
// queue in that order, the new params (min_tempo, max_tempo,
// max_epoch_work_per_block, weights_gas_per_entry, and the stake delays of
// migrateStake) take their defaults where unset, SubnetStake is recomputed
// with each hotkey's stake split over its subnets, and EpochWork is counted
// from the stored rows.
func (k Keeper) Migrate1to2(ctx context.Context) error {
	var netuids []uint32
	err := k.legacyDueEpochs.Walk(ctx, nil, func(netuid uint32) (bool, error) {
		netuids = append(netuids, netuid)
		return false, nil
	})
	if err != nil {
		return err
	}
	if err := k.importDueEpochs(ctx, netuids); err != nil {
		return err
	}
	if err := k.legacyDueEpochs.Clear(ctx, nil); err != nil {
		return err
	}
	if err := k.migrateEpochParams(ctx); err != nil {
		return err
	}
	if err := k.migrateStake(ctx); err != nil {
		return err
	}
	return k.countEpochWork(ctx)
}

// migrateEpochParams gives the version-2 params their defaults where unset.
func (k Keeper) migrateEpochParams(ctx context.Context) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	d := types.DefaultParams()
	if p.MinTempo == 0 {
		p.MinTempo = min(d.MinTempo, p.DefaultHyperparams.Tempo)
	}
	if p.MaxTempo == 0 {
		p.MaxTempo = max(d.MaxTempo, p.DefaultHyperparams.Tempo)
	}
	if p.MaxEpochWorkPerBlock == 0 {
		p.MaxEpochWorkPerBlock = max(d.MaxEpochWorkPerBlock, types.EpochWorkBound(p.DefaultHyperparams.MaxAllowedUids))
	}
	if p.WeightsGasPerEntry == 0 {
		p.WeightsGasPerEntry = d.WeightsGasPerEntry
	}
	return k.Params.Set(ctx, p)
}

// countEpochWork sets EpochWork from the weight and bond rows in store.
func (k Keeper) countEpochWork(ctx context.Context) error {
	counts := map[uint32]uint64{}
	var order []uint32
	add := func(netuid uint32, n int) {
		if _, ok := counts[netuid]; !ok {
			order = append(order, netuid)
		}
		counts[netuid] += uint64(n)
	}
	if err := k.Weights.Walk(ctx, nil, func(key NeuronKey, row types.WeightsRow) (bool, error) {
		add(key.K1(), len(row.Entries))
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.Bonds.Walk(ctx, nil, func(key NeuronKey, row types.BondsRow) (bool, error) {
		add(key.K1(), len(row.Entries))
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.EpochWork.Clear(ctx, nil); err != nil {
		return err
	}
	for _, netuid := range order {
		if counts[netuid] == 0 {
			continue
		}
		if err := k.EpochWork.Set(ctx, netuid, counts[netuid]); err != nil {
			return err
		}
	}
	return nil
}
