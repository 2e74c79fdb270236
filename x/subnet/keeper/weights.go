package keeper

import (
	"bytes"
	"context"
	"errors"
	"sort"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// weightsCheck is the state SetWeights and RevealWeights check against.
type weightsCheck struct {
	subnet types.Subnet
	neuron types.Neuron
	count  uint32
	height int64
}

// loadWeightsCheck finds the subnet and the sender's neuron.
func (k Keeper) loadWeightsCheck(ctx context.Context, hotkeyStr string, netuid uint32) (weightsCheck, error) {
	hotkey, err := k.parseAddr("hotkey", hotkeyStr)
	if err != nil {
		return weightsCheck{}, err
	}
	s, err := k.GetSubnet(ctx, netuid)
	if err != nil {
		return weightsCheck{}, err
	}
	n, err := k.GetNeuronByHotkey(ctx, netuid, hotkey)
	if err != nil {
		return weightsCheck{}, err
	}
	count, err := k.neuronCount(ctx, netuid)
	if err != nil {
		return weightsCheck{}, err
	}
	return weightsCheck{subnet: s, neuron: n, count: count, height: sdk.UnwrapSDKContext(ctx).BlockHeight()}, nil
}

// loadCommitRevealCheck is loadWeightsCheck for commits and reveals, which
// only subnets with commit-reveal on accept.
func (k Keeper) loadCommitRevealCheck(ctx context.Context, hotkey string, netuid uint32) (weightsCheck, error) {
	c, err := k.loadWeightsCheck(ctx, hotkey, netuid)
	if err == nil && !c.subnet.Hyperparams.CommitReveal {
		err = errorsmod.Wrapf(types.ErrCommitRevealDisabled, "subnet %d", netuid)
	}
	return c, err
}

// checkWeights applies subtensor's checks to a weight set and returns the
// row to store: sorted by uid, zeros dropped, max-upscaled to 65535.
func checkWeights(c weightsCheck, uids, values []uint32, versionKey uint64) (types.WeightsRow, error) {
	hp := c.subnet.Hyperparams
	if len(uids) != len(values) {
		return types.WeightsRow{}, errorsmod.Wrapf(types.ErrInvalidWeights, "%d uids but %d values", len(uids), len(values))
	}
	if versionKey < hp.WeightsVersionKey {
		return types.WeightsRow{}, errorsmod.Wrapf(types.ErrVersionKey, "version_key %d < the subnet's %d", versionKey, hp.WeightsVersionKey)
	}
	seen := make(map[uint32]bool, len(uids))
	for i, u := range uids {
		if u >= c.count {
			return types.WeightsRow{}, errorsmod.Wrapf(types.ErrInvalidWeights, "uids[%d] = %d: the subnet has %d UIDs", i, u, c.count)
		}
		if seen[u] {
			return types.WeightsRow{}, errorsmod.Wrapf(types.ErrInvalidWeights, "uids[%d] = %d is repeated", i, u)
		}
		seen[u] = true
		if values[i] > types.U16Max {
			return types.WeightsRow{}, errorsmod.Wrapf(types.ErrInvalidWeights, "values[%d] = %d is not a u16", i, values[i])
		}
	}
	selfOnly := len(uids) == 1 && uids[0] == c.neuron.Uid
	if !c.neuron.ValidatorPermit && !selfOnly {
		return types.WeightsRow{}, errorsmod.Wrapf(types.ErrNoValidatorPermit, "uid %d may only set a weight on itself", c.neuron.Uid)
	}
	row := upscale(uids, values)
	if !selfOnly && uint32(len(row.Entries)) < min(hp.MinAllowedWeights, c.count) {
		return types.WeightsRow{}, errorsmod.Wrapf(types.ErrInvalidWeights, "%d non-zero weights, min_allowed_weights is %d", len(row.Entries), min(hp.MinAllowedWeights, c.count))
	}
	if !selfOnly && hp.MaxWeightLimit < types.U16Max {
		// max-upscaled, the limit applies to each weight's share of the row
		var sum uint64
		for _, e := range row.Entries {
			sum += uint64(e.Value)
		}
		for _, e := range row.Entries {
			if uint64(e.Value)*types.U16Max > uint64(hp.MaxWeightLimit)*sum {
				return types.WeightsRow{}, errorsmod.Wrapf(types.ErrInvalidWeights, "weight on uid %d is above max_weight_limit %d/65535 of the row", e.Uid, hp.MaxWeightLimit)
			}
		}
	}
	return row, nil
}

// upscale sorts the row by uid, drops zeros and scales it so that its
// largest value is 65535 (rounding down), as subtensor stores weights.
func upscale(uids, values []uint32) types.WeightsRow {
	var maxV uint64
	for _, v := range values {
		maxV = max(maxV, uint64(v))
	}
	row := types.WeightsRow{}
	if maxV == 0 {
		return row
	}
	for i, u := range uids {
		if values[i] == 0 {
			continue
		}
		row.Entries = append(row.Entries, types.WeightEntry{Uid: u, Value: uint32(uint64(values[i]) * types.U16Max / maxV)})
	}
	sort.Slice(row.Entries, func(a, b int) bool { return row.Entries[a].Uid < row.Entries[b].Uid })
	return row
}

// SetWeights stores the sender's weights on a subnet without commit-reveal.
func (k Keeper) SetWeights(ctx context.Context, msg *types.MsgSetWeights) (types.Neuron, int, error) {
	if err := k.chargeWeightEntries(ctx, len(msg.Uids), "set weights"); err != nil {
		return types.Neuron{}, 0, err
	}
	c, err := k.loadWeightsCheck(ctx, msg.Hotkey, msg.Netuid)
	if err != nil {
		return types.Neuron{}, 0, err
	}
	if c.subnet.Hyperparams.CommitReveal {
		return types.Neuron{}, 0, errorsmod.Wrapf(types.ErrCommitRevealEnabled, "subnet %d", msg.Netuid)
	}
	if err := checkRateLimit(c); err != nil {
		return types.Neuron{}, 0, err
	}
	row, err := checkWeights(c, msg.Uids, msg.Values, msg.VersionKey)
	if err != nil {
		return types.Neuron{}, 0, err
	}
	return c.neuron, len(row.Entries), k.storeWeights(ctx, c.neuron, row, c.height)
}

// checkRateLimit enforces weights_rate_limit blocks between two weight sets
// (or commits) of a neuron. A neuron's last update starts at its
// registration block, as in subtensor.
func checkRateLimit(c weightsCheck) error {
	if next := c.neuron.LastUpdate + int64(c.subnet.Hyperparams.WeightsRateLimit); c.height < next {
		return errorsmod.Wrapf(types.ErrWeightsRateLimit, "last update at block %d; next allowed at %d", c.neuron.LastUpdate, next)
	}
	return nil
}

// chargeWeightEntries consumes weights_gas_per_entry gas per weight entry
// of a message, before any check, so that the epoch work a weight row adds
// (and a refused oversized message) is paid for in proportion to its size;
// the store gas alone grows only with the row's bytes. A commit counts as
// one entry: it is a fixed-size hash, and its reveal pays for the row.
func (k Keeper) chargeWeightEntries(ctx context.Context, entries int, what string) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).GasMeter().ConsumeGas(params.WeightsGasPerEntry*uint64(entries), what)
	return nil
}

// storeWeights writes the row and the neuron's last update.
func (k Keeper) storeWeights(ctx context.Context, n types.Neuron, row types.WeightsRow, lastUpdate int64) error {
	key := collections.Join(n.Netuid, n.Uid)
	if err := k.setWeightsRow(ctx, key, row); err != nil {
		return err
	}
	n.LastUpdate = lastUpdate
	return k.Neurons.Set(ctx, key, n)
}

// CommitWeights records a commitment to weights; it can be revealed in the
// subnet epoch reveal_period epochs after the commit's.
func (k Keeper) CommitWeights(ctx context.Context, msg *types.MsgCommitWeights) (types.Neuron, uint64, error) {
	if err := k.chargeWeightEntries(ctx, 1, "commit weights"); err != nil {
		return types.Neuron{}, 0, err
	}
	c, err := k.loadCommitRevealCheck(ctx, msg.Hotkey, msg.Netuid)
	if err != nil {
		return types.Neuron{}, 0, err
	}
	hp := c.subnet.Hyperparams
	if len(msg.CommitHash) != 32 {
		return types.Neuron{}, 0, errorsmod.Wrapf(types.ErrInvalidWeights, "commit_hash must be 32 bytes, got %d", len(msg.CommitHash))
	}
	if err := checkRateLimit(c); err != nil {
		return types.Neuron{}, 0, err
	}
	key := collections.Join(msg.Netuid, c.neuron.Uid)
	commits, err := k.liveCommits(ctx, key, hp, msg.Netuid, c.height)
	if err != nil {
		return types.Neuron{}, 0, err
	}
	if len(commits.Commits) >= types.MaxWeightCommits {
		return types.Neuron{}, 0, errorsmod.Wrapf(types.ErrTooManyCommits, "%d unrevealed commits", len(commits.Commits))
	}
	epoch := types.EpochIndex(msg.Netuid, hp.Tempo, c.height)
	commits.Commits = append(commits.Commits, types.WeightCommit{Hash: msg.CommitHash, Block: c.height, Epoch: epoch})
	if err := k.WeightCommits.Set(ctx, key, commits); err != nil {
		return types.Neuron{}, 0, err
	}
	// the rate limit counts commits too
	c.neuron.LastUpdate = c.height
	return c.neuron, epoch + hp.RevealPeriod, k.Neurons.Set(ctx, key, c.neuron)
}

// liveCommits returns a neuron's commits without the expired ones.
func (k Keeper) liveCommits(ctx context.Context, key NeuronKey, hp types.Hyperparams, netuid uint32, height int64) (types.WeightCommits, error) {
	commits, err := k.WeightCommits.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return types.WeightCommits{}, nil
	}
	if err != nil {
		return commits, err
	}
	now := types.EpochIndex(netuid, hp.Tempo, height)
	live := commits.Commits[:0]
	for _, c := range commits.Commits {
		if c.Epoch+hp.RevealPeriod >= now {
			live = append(live, c)
		}
	}
	commits.Commits = live
	return commits, nil
}

// RevealWeights checks revealed weights against a commit and stores them.
// The neuron's last update becomes the commit's block, so miners that
// registered after the commit are masked by Yuma as in subtensor.
func (k Keeper) RevealWeights(ctx context.Context, msg *types.MsgRevealWeights) (types.Neuron, int, error) {
	if err := k.chargeWeightEntries(ctx, len(msg.Uids), "reveal weights"); err != nil {
		return types.Neuron{}, 0, err
	}
	c, err := k.loadCommitRevealCheck(ctx, msg.Hotkey, msg.Netuid)
	if err != nil {
		return types.Neuron{}, 0, err
	}
	hp := c.subnet.Hyperparams
	key := collections.Join(msg.Netuid, c.neuron.Uid)
	all, err := k.WeightCommits.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return types.Neuron{}, 0, err
	}
	hash := types.CommitHash(msg.Hotkey, msg.Netuid, msg.Uids, msg.Values, msg.Salt, msg.VersionKey)
	idx := -1
	for i, cm := range all.Commits {
		if bytes.Equal(cm.Hash, hash) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return types.Neuron{}, 0, errorsmod.Wrapf(types.ErrNoMatchingCommit, "uid %d has %d commits", c.neuron.Uid, len(all.Commits))
	}
	commit := all.Commits[idx]
	now := types.EpochIndex(msg.Netuid, hp.Tempo, c.height)
	if due := commit.Epoch + hp.RevealPeriod; now < due {
		return types.Neuron{}, 0, errorsmod.Wrapf(types.ErrRevealTooEarly, "committed in epoch %d; reveal in epoch %d, now %d", commit.Epoch, due, now)
	} else if now > due {
		return types.Neuron{}, 0, errorsmod.Wrapf(types.ErrCommitExpired, "committed in epoch %d; reveal epoch %d has passed (now %d)", commit.Epoch, due, now)
	}
	row, err := checkWeights(c, msg.Uids, msg.Values, msg.VersionKey)
	if err != nil {
		return types.Neuron{}, 0, err
	}
	all.Commits = append(all.Commits[:idx], all.Commits[idx+1:]...)
	if err := k.setCommits(ctx, key, all); err != nil {
		return types.Neuron{}, 0, err
	}
	return c.neuron, len(row.Entries), k.storeWeights(ctx, c.neuron, row, max(commit.Block, c.neuron.RegistrationBlock))
}

func (k Keeper) setCommits(ctx context.Context, key NeuronKey, commits types.WeightCommits) error {
	if len(commits.Commits) == 0 {
		return k.WeightCommits.Remove(ctx, key)
	}
	return k.WeightCommits.Set(ctx, key, commits)
}

// PruneExpiredCommits drops a subnet's commits whose reveal epoch has
// passed; it runs at the subnet's epoch boundary.
func (k Keeper) PruneExpiredCommits(ctx context.Context, s types.Subnet, height int64) error {
	type entry struct {
		key     NeuronKey
		commits types.WeightCommits
	}
	var changed []entry
	rng := collections.NewPrefixedPairRange[uint32, uint32](s.Netuid)
	now := types.EpochIndex(s.Netuid, s.Hyperparams.Tempo, height)
	err := k.WeightCommits.Walk(ctx, rng, func(key NeuronKey, wc types.WeightCommits) (bool, error) {
		live := types.WeightCommits{}
		for _, c := range wc.Commits {
			if c.Epoch+s.Hyperparams.RevealPeriod >= now {
				live.Commits = append(live.Commits, c)
			}
		}
		if len(live.Commits) != len(wc.Commits) {
			changed = append(changed, entry{key, live})
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, e := range changed {
		if err := k.setCommits(ctx, e.key, e.commits); err != nil {
			return err
		}
	}
	return nil
}
