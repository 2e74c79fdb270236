package simulation

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// minDissolveAge is how many blocks a subnet lives before the simulation
// may dissolve it, so that subnets see epochs, pruning and reveals first.
const minDissolveAge = 100

// MsgCreateSubnetFactory creates a subnet from an account that can pay the
// lock, with the default or random hyperparameters and sometimes an owner
// hotkey.
func (c chain) MsgCreateSubnetFactory() simsx.SimMsgFactoryFn[*types.MsgCreateSubnet] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateSubnet) {
		r := data.Rand()
		params := c.params(ctx)
		if n := uint32(len(c.subnets(ctx))); n >= params.MaxSubnets {
			reporter.Skipf("%d subnets exist, max_subnets is %d", n, params.MaxSubnets)
			return nil, nil
		}
		lock := c.coin(params.SubnetLockCost)
		creator, ok := anyAccount(data, reporter, func(a simsx.SimAccount) bool { return a.LiquidBalance().IsAllGTE(sdk.NewCoins(lock)) })
		if !ok || (lock.IsPositive() && !creator.LiquidBalance().BlockAmount(lock)) {
			reporter.Skip("no account can pay the subnet lock")
			return nil, nil
		}
		msg := &types.MsgCreateSubnet{Creator: creator.AddressBech32, Name: "sim-" + r.StringN(8), Task: randomTask(r.Rand)}
		if r.Intn(2) == 0 {
			hp := withinCreationLimits(RandomHyperparams(r.Rand), params.DefaultHyperparams)
			msg.Hyperparams = &hp
		}
		if r.Intn(2) == 0 {
			msg.OwnerHotkey = data.AccountAt(reporter, r.Intn(data.AccountsCount())).AddressBech32
		}
		return []simsx.SimAccount{creator}, msg
	}
}

// withinCreationLimits brings hp within what an account may create
// (types.CreationLimitViolations): no more UIDs, permits or immunity and no
// lower min_burn than the defaults.
func withinCreationLimits(hp, defaults types.Hyperparams) types.Hyperparams {
	hp.MaxAllowedUids = min(hp.MaxAllowedUids, defaults.MaxAllowedUids)
	hp.MaxAllowedValidators = min(hp.MaxAllowedValidators, hp.MaxAllowedUids, defaults.MaxAllowedValidators)
	hp.MinAllowedWeights = min(hp.MinAllowedWeights, hp.MaxAllowedUids)
	hp.ImmunityPeriod = min(hp.ImmunityPeriod, defaults.ImmunityPeriod)
	if hp.MinBurn.LT(defaults.MinBurn) {
		hp.MinBurn = defaults.MinBurn
	}
	if hp.MaxBurn.LT(hp.MinBurn) {
		hp.MaxBurn = hp.MinBurn
	}
	return hp
}

// MsgDissolveSubnetFactory dissolves a subnet at least minDissolveAge
// blocks old; its owner signs.
func (c chain) MsgDissolveSubnetFactory() simsx.SimMsgFactoryFn[*types.MsgDissolveSubnet] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDissolveSubnet) {
		old := filter(c.subnets(ctx), func(s types.Subnet) bool {
			return height(ctx)-s.CreatedBlock >= minDissolveAge && data.HasAccount(s.Owner)
		})
		s, ok := pick(data.Rand().Rand, old)
		if !ok {
			reporter.Skipf("no subnet older than %d blocks", minDissolveAge)
			return nil, nil
		}
		owner := data.GetAccount(reporter, s.Owner)
		return []simsx.SimAccount{owner}, &types.MsgDissolveSubnet{Signer: s.Owner, Netuid: s.Netuid}
	}
}

// MsgUpdateSubnetHyperparamsFactory schedules random hyperparameters for a
// subnet; its owner signs, so the governance-only values stay as they are.
func (c chain) MsgUpdateSubnetHyperparamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateSubnetHyperparams] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateSubnetHyperparams) {
		r := data.Rand()
		owned := filter(c.subnets(ctx), func(s types.Subnet) bool { return data.HasAccount(s.Owner) })
		s, ok := pick(r.Rand, owned)
		if !ok {
			reporter.Skip("no subnet")
			return nil, nil
		}
		hp := ownerHyperparams(r.Rand, RandomHyperparams(r.Rand), s.Hyperparams)
		if err := hp.Validate(); err != nil {
			reporter.Skip(err.Error())
			return nil, nil
		}
		owner := data.GetAccount(reporter, s.Owner)
		return []simsx.SimAccount{owner}, &types.MsgUpdateSubnetHyperparams{Signer: s.Owner, Netuid: s.Netuid, Hyperparams: hp}
	}
}

// ownerHyperparams is hp with the values only governance may change taken
// from current (types.GovOnlyChanges), and min_allowed_weights kept within
// max_allowed_uids. Three times in four the epoch schedule (tempo,
// commit_reveal, reveal_period) stays too, as an owner tuning a live subnet
// would mostly leave it: a change of it strands the commitments in flight.
func ownerHyperparams(r *rand.Rand, hp, current types.Hyperparams) types.Hyperparams {
	if r.Intn(4) > 0 {
		hp.Tempo, hp.CommitReveal, hp.RevealPeriod = current.Tempo, current.CommitReveal, current.RevealPeriod
	}
	hp.MaxAllowedUids = current.MaxAllowedUids
	hp.MaxAllowedValidators = current.MaxAllowedValidators
	hp.ImmunityPeriod = current.ImmunityPeriod
	hp.MinBurn, hp.MaxBurn = current.MinBurn, current.MaxBurn
	hp.BurnHalfLife = current.BurnHalfLife
	hp.BurnIncreaseBps = current.BurnIncreaseBps
	hp.MaxRegistrationsPerBlock = current.MaxRegistrationsPerBlock
	hp.MinAllowedWeights = min(hp.MinAllowedWeights, hp.MaxAllowedUids)
	return hp
}

// MsgRegisterFactory registers a hotkey in a subnet that has room (or a
// neuron to prune) and a registration left this block. The hotkey is an
// account not registered there; its coldkey is the one it is bound to, or
// for a new hotkey another account. The coldkey pays the current price and
// both sign.
func (c chain) MsgRegisterFactory() simsx.SimMsgFactoryFn[*types.MsgRegister] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRegister) {
		r := data.Rand()
		s, ok := pick(r.Rand, filter(c.subnets(ctx), func(s types.Subnet) bool { return c.canRegister(ctx, s) }))
		if !ok {
			reporter.Skip("no subnet takes a registration now")
			return nil, nil
		}
		price, _, err := c.k.RegistrationPrice(ctx, s.Netuid)
		if err != nil {
			panic(err)
		}
		hot, cold, ok := c.registrationKeys(ctx, data, reporter, s.Netuid)
		if !ok || !cold.LiquidBalance().BlockAmount(c.coin(price)) {
			reporter.Skip("no hotkey and coldkey that can register")
			return nil, nil
		}
		maxBurn := price // sometimes exactly the price, sometimes more
		if r.Intn(2) == 0 {
			maxBurn = price.MulRaw(2)
		}
		msg := &types.MsgRegister{Coldkey: cold.AddressBech32, Hotkey: hot.AddressBech32, Netuid: s.Netuid, MaxBurn: maxBurn}
		return []simsx.SimAccount{cold, hot}, msg
	}
}

// canRegister reports whether the subnet allows one more registration this
// block and has a free UID or a neuron it may prune.
func (c chain) canRegister(ctx context.Context, s types.Subnet) bool {
	_, left, err := c.k.RegistrationPrice(ctx, s.Netuid)
	if err != nil {
		panic(err)
	}
	if left == 0 {
		return false
	}
	if c.neuronCount(ctx, s.Netuid) < s.Hyperparams.MaxAllowedUids {
		return true
	}
	h := height(ctx)
	for _, n := range c.neurons(ctx, s.Netuid) {
		immune := h-n.RegistrationBlock < int64(s.Hyperparams.ImmunityPeriod)
		ownerHotkey := s.OwnerHotkey != "" && n.Hotkey == s.OwnerHotkey && n.Coldkey == s.Owner
		if !immune && !ownerHotkey {
			return true
		}
	}
	return false
}

// registrationKeys picks a hotkey not registered in netuid and its coldkey:
// half the time a hotkey already bound to a coldkey (so hotkeys join
// several subnets), else any account, with a different account as the
// coldkey if it is new.
func (c chain) registrationKeys(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter, netuid uint32) (hot, cold simsx.SimAccount, ok bool) {
	r := data.Rand()
	owners := c.hotkeyOwners(ctx)
	for range 8 {
		var hotAddr sdk.AccAddress
		if len(owners) > 0 && r.Intn(2) == 0 {
			hotAddr = owners[r.Intn(len(owners))][0]
		} else {
			hotAddr = data.AccountAt(reporter, r.Intn(data.AccountsCount())).Address
		}
		if c.isRegistered(ctx, hotAddr, netuid) {
			continue
		}
		hot, ok = simAccount(data, reporter, hotAddr.String())
		if !ok {
			continue
		}
		if owner, bound := c.hotkeyOwner(ctx, hotAddr); bound {
			cold, ok = simAccount(data, reporter, owner.String())
		} else {
			cold, ok = anyAccount(data, reporter, func(a simsx.SimAccount) bool { return !a.Address.Equals(hotAddr) })
		}
		if ok && !cold.Address.Equals(hotAddr) {
			return hot, cold, true
		}
	}
	return hot, cold, false
}

// MsgServeAxonFactory announces an axon and a model for a registered
// neuron whose serving rate limit has passed; its hotkey signs.
func (c chain) MsgServeAxonFactory() simsx.SimMsgFactoryFn[*types.MsgServeAxon] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgServeAxon) {
		r := data.Rand()
		rateLimit := map[uint32]uint64{}
		for _, s := range c.subnets(ctx) {
			rateLimit[s.Netuid] = s.Hyperparams.ServingRateLimit
		}
		h := height(ctx)
		n, ok := pick(r.Rand, filter(c.allNeurons(ctx), func(n types.Neuron) bool {
			return data.HasAccount(n.Hotkey) && (n.Axon == nil || h >= n.Axon.Block+int64(rateLimit[n.Netuid]))
		}))
		if !ok {
			reporter.Skip("no neuron may serve now")
			return nil, nil
		}
		hot := data.GetAccount(reporter, n.Hotkey)
		axon := types.AxonInfo{
			Host:     fmt.Sprintf("10.%d.%d.%d", r.Intn(256), r.Intn(256), between(r.Rand, 1, 254)),
			Port:     uint32(between(r.Rand, 1, 65535)),
			Protocol: "grpc",
		}
		if r.Intn(2) == 0 {
			axon.Host = fmt.Sprintf("miner-%d.example.org", r.Intn(1000))
			axon.TlsFingerprint = hex.EncodeToString(randomBytes(r.Rand, 32))
		}
		model := types.ModelCommitment{Sha256: hex.EncodeToString(randomBytes(r.Rand, 32)), Size_: uint64(between(r.Rand, 1, 1<<30))}
		return []simsx.SimAccount{hot}, &types.MsgServeAxon{Hotkey: n.Hotkey, Netuid: n.Netuid, Axon: axon, Model: model}
	}
}

// randomBytes returns n bytes from the simulation's rand.
func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Intn(256))
	}
	return b
}
