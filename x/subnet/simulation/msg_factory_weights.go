package simulation

import (
	"bytes"
	"context"
	"errors"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// voter is a neuron that may send weights now, with its subnet.
type voter struct {
	subnet types.Subnet
	neuron types.Neuron
}

// voters lists the neurons, in subnets with commit_reveal set as given,
// whose weights rate limit has passed and whose hotkey is a simulation
// account.
func (c chain) voters(ctx context.Context, data *simsx.ChainDataSource, commitReveal bool) []voter {
	var out []voter
	h := height(ctx)
	for _, s := range c.subnets(ctx) {
		if s.Hyperparams.CommitReveal != commitReveal {
			continue
		}
		for _, n := range c.neurons(ctx, s.Netuid) {
			if h >= n.LastUpdate+int64(s.Hyperparams.WeightsRateLimit) && data.HasAccount(n.Hotkey) {
				out = append(out, voter{subnet: s, neuron: n})
			}
		}
	}
	return out
}

// MsgSetWeightsFactory sets valid weights for a neuron of a subnet without
// commit-reveal.
func (c chain) MsgSetWeightsFactory() simsx.SimMsgFactoryFn[*types.MsgSetWeights] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgSetWeights) {
		r := data.Rand()
		v, ok := pick(r.Rand, c.voters(ctx, data, false))
		if !ok {
			reporter.Skip("no neuron may set weights now")
			return nil, nil
		}
		hp := v.subnet.Hyperparams
		uids, values := randomWeights(r.Rand, hp, v.neuron, c.neuronCount(ctx, v.subnet.Netuid))
		hot := data.GetAccount(reporter, v.neuron.Hotkey)
		return []simsx.SimAccount{hot}, &types.MsgSetWeights{
			Hotkey: v.neuron.Hotkey, Netuid: v.subnet.Netuid, Uids: uids, Values: values,
			VersionKey: hp.WeightsVersionKey + uint64(r.Intn(2)),
		}
	}
}

// MsgCommitWeightsFactory commits to valid weights for a neuron of a
// commit-reveal subnet with room for another commit, and remembers the
// weights and salt in book for MsgRevealWeightsFactory.
func (c chain) MsgCommitWeightsFactory(book *commitBook) simsx.SimMsgFactoryFn[*types.MsgCommitWeights] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCommitWeights) {
		r := data.Rand()
		v, ok := pick(r.Rand, filter(c.voters(ctx, data, true), func(v voter) bool {
			return c.liveCommits(ctx, v) < types.MaxWeightCommits
		}))
		if !ok {
			reporter.Skip("no neuron may commit weights now")
			return nil, nil
		}
		hp := v.subnet.Hyperparams
		cm := commit{netuid: v.subnet.Netuid, hotkey: v.neuron.Hotkey, salt: randomBytes(r.Rand, between(r.Rand, 0, 32)), versionKey: hp.WeightsVersionKey + uint64(r.Intn(2))}
		cm.uids, cm.values = randomWeights(r.Rand, hp, v.neuron, c.neuronCount(ctx, cm.netuid))
		cm.hash = types.CommitHash(cm.hotkey, cm.netuid, cm.uids, cm.values, cm.salt, cm.versionKey)
		book.add(cm)
		hot := data.GetAccount(reporter, v.neuron.Hotkey)
		return []simsx.SimAccount{hot}, &types.MsgCommitWeights{Hotkey: cm.hotkey, Netuid: cm.netuid, CommitHash: cm.hash}
	}
}

// liveCommits counts a neuron's commits whose reveal epoch has not passed.
func (c chain) liveCommits(ctx context.Context, v voter) int {
	hp := v.subnet.Hyperparams
	now := types.EpochIndex(v.subnet.Netuid, hp.Tempo, height(ctx))
	live := 0
	for _, cm := range c.onChainCommits(ctx, v.neuron).Commits {
		if cm.Epoch+hp.RevealPeriod >= now {
			live++
		}
	}
	return live
}

func (c chain) onChainCommits(ctx context.Context, n types.Neuron) types.WeightCommits {
	wc, err := c.k.WeightCommits.Get(ctx, collections.Join(n.Netuid, n.Uid))
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		panic(err)
	}
	return wc
}

// MsgRevealWeightsFactory reveals a remembered commitment whose reveal
// epoch is now and whose weights are still valid (the neuron may have lost
// its permit, or the subnet changed its hyperparameters, since). It forgets
// commitments that can no longer be revealed.
func (c chain) MsgRevealWeightsFactory(book *commitBook) simsx.SimMsgFactoryFn[*types.MsgRevealWeights] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRevealWeights) {
		var ready []commit
		book.keep(func(cm commit) bool {
			st := c.revealState(ctx, cm)
			if st == revealNow {
				ready = append(ready, cm)
			}
			return st != revealNever
		})
		cm, ok := pick(data.Rand().Rand, ready)
		if !ok {
			reporter.Skip("no commitment to reveal now")
			return nil, nil
		}
		book.remove(cm.hash)
		hot := data.GetAccount(reporter, cm.hotkey)
		return []simsx.SimAccount{hot}, &types.MsgRevealWeights{
			Hotkey: cm.hotkey, Netuid: cm.netuid, Uids: cm.uids, Values: cm.values, Salt: cm.salt, VersionKey: cm.versionKey,
		}
	}
}

// revealState says whether a commitment can be revealed now, later, or
// never (its subnet, neuron or on-chain commit is gone, or its reveal epoch
// has passed).
type revealState int

const (
	revealNever revealState = iota
	revealLater
	revealNow
)

func (c chain) revealState(ctx context.Context, cm commit) revealState {
	s, err := c.k.Subnets.Get(ctx, cm.netuid)
	if err != nil || !s.Hyperparams.CommitReveal {
		return revealNever
	}
	hot, err := sdk.AccAddressFromBech32(cm.hotkey)
	if err != nil {
		panic(err)
	}
	n, err := c.k.GetNeuronByHotkey(ctx, cm.netuid, hot)
	if err != nil {
		return revealNever
	}
	hp := s.Hyperparams
	for _, onChain := range c.onChainCommits(ctx, n).Commits {
		if !bytes.Equal(onChain.Hash, cm.hash) {
			continue
		}
		now, due := types.EpochIndex(cm.netuid, hp.Tempo, height(ctx)), onChain.Epoch+hp.RevealPeriod
		switch {
		case now > due:
			return revealNever
		case now < due:
			return revealLater
		case cm.versionKey >= hp.WeightsVersionKey && weightsOK(hp, n, c.neuronCount(ctx, cm.netuid), cm.uids, cm.values):
			return revealNow
		}
		return revealLater // invalid now; it may become valid within the epoch
	}
	return revealNever
}
