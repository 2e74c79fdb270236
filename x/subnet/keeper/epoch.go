package keeper

import (
	"context"
	"fmt"
	stdmath "math"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// epochState is a subnet's state loaded for one epoch, in UID order.
type epochState struct {
	neurons []types.Neuron
	hotkeys []sdk.AccAddress
	stakes  []math.Int
	weights map[uint32]types.WeightsRow
	bonds   map[uint32]types.BondsRow
}

// loadEpochState reads the neurons, their stake, weights and bonds. Rows
// are collected first and the per-neuron reads done after the iteration.
func (k Keeper) loadEpochState(ctx context.Context, netuid uint32) (epochState, error) {
	st := epochState{weights: map[uint32]types.WeightsRow{}, bonds: map[uint32]types.BondsRow{}}
	rng := collections.NewPrefixedPairRange[uint32, uint32](netuid)
	if err := k.Neurons.Walk(ctx, rng, func(_ NeuronKey, n types.Neuron) (bool, error) {
		st.neurons = append(st.neurons, n)
		return false, nil
	}); err != nil {
		return st, err
	}
	for i, n := range st.neurons {
		if n.Uid != uint32(i) {
			return st, fmt.Errorf("subnet %d: uid %d at position %d: UIDs are not dense", netuid, n.Uid, i)
		}
	}
	// The hotkeys' bytes come from the (netuid, hotkey) index rather than
	// from parsing each neuron's bech32 hotkey.
	st.hotkeys = make([]sdk.AccAddress, len(st.neurons))
	hkRange := collections.NewPrefixedPairRange[uint32, sdk.AccAddress](netuid)
	if err := k.Neurons.Indexes.Hotkey.Walk(ctx, hkRange, func(key collections.Pair[uint32, sdk.AccAddress], pk NeuronKey) (bool, error) {
		if uid := pk.K2(); uid >= uint32(len(st.hotkeys)) || st.hotkeys[uid] != nil {
			return true, fmt.Errorf("subnet %d: hotkey index points at uid %d of %d more than once or past the end", netuid, uid, len(st.hotkeys))
		}
		st.hotkeys[pk.K2()] = key.K2()
		return false, nil
	}); err != nil {
		return st, err
	}
	st.stakes = make([]math.Int, len(st.neurons))
	for i, hk := range st.hotkeys {
		if hk == nil {
			return st, fmt.Errorf("subnet %d: uid %d is missing from the hotkey index", netuid, i)
		}
		// the hotkey's counted stake split over its subnets: warming stake
		// is not in it, and a hotkey in n subnets weighs 1/n in each
		stake, err := k.StakeIn(ctx, hk, netuid)
		if err != nil {
			return st, err
		}
		st.stakes[i] = stake
	}
	if err := k.Weights.Walk(ctx, rng, func(key NeuronKey, row types.WeightsRow) (bool, error) {
		st.weights[key.K2()] = row
		return false, nil
	}); err != nil {
		return st, err
	}
	err := k.Bonds.Walk(ctx, rng, func(key NeuronKey, row types.BondsRow) (bool, error) {
		st.bonds[key.K2()] = row
		return false, nil
	})
	return st, err
}

// yumaInput converts the loaded state to the engine's input.
func yumaInput(s types.Subnet, st epochState, height int64, emission uint64) yuma.Input {
	n := len(st.neurons)
	hp := s.Hyperparams
	in := yuma.Input{
		Block:           uint64(height),
		Stake:           make([]uint64, n),
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]yuma.Weight, n),
		Bonds:           make([][]yuma.Bond, n),
		Emission:        emission,
		Params: yuma.Params{
			Kappa:                 yuma.FromU16(uint16(hp.Kappa)),
			BondsMovingAverage:    hp.BondsMovingAverage,
			BondsPenalty:          yuma.FromU16(uint16(hp.BondsPenalty)),
			ActivityCutoff:        hp.ActivityCutoff,
			MaxAllowedValidators:  uint16(min(hp.MaxAllowedValidators, stdmath.MaxUint16)),
			Tempo:                 uint64(hp.Tempo),
			Yuma3:                 hp.Yuma3,
			LiquidAlpha:           hp.LiquidAlpha,
			AlphaLow:              yuma.FromU16(uint16(hp.AlphaLow)),
			AlphaHigh:             yuma.FromU16(uint16(hp.AlphaHigh)),
			AlphaSigmoidSteepness: int16(min(hp.AlphaSigmoidSteepness, stdmath.MaxInt16)),
		},
	}
	for i, nr := range st.neurons {
		in.Stake[i] = types.SaturatingUint64(st.stakes[i])
		in.LastUpdate[i] = uint64(max(nr.LastUpdate, 0))
		in.RegisteredAt[i] = uint64(max(nr.RegistrationBlock, 0))
		in.ValidatorPermit[i] = nr.ValidatorPermit
		for _, e := range st.weights[uint32(i)].Entries {
			if e.Uid < uint32(n) {
				in.Weights[i] = append(in.Weights[i], yuma.Weight{UID: uint16(e.Uid), Value: uint16(e.Value)})
			}
		}
		for _, e := range st.bonds[uint32(i)].Entries {
			if e.Uid < uint32(n) {
				in.Bonds[i] = append(in.Bonds[i], yuma.Bond{UID: uint16(e.Uid), Value: yuma.Fixed(e.Value)})
			}
		}
		if s.OwnerHotkey != "" && nr.Hotkey == s.OwnerHotkey && nr.Coldkey == s.Owner {
			in.OwnerUID, in.HasOwner = uint16(i), true
		}
	}
	return in
}

// RunEpoch runs one subnet's epoch: Yuma over the subnet's state, then the
// owner's cut, miner incentive to coldkeys, validator dividends (take to the
// coldkey, the rest compounded into the hotkey's stakers' stake), and the
// results stored on the neurons. Whatever rounding leaves stays pending.
func (k Keeper) RunEpoch(ctx context.Context, s types.Subnet) (*types.EventEpoch, []*types.EventDistribution, error) {
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := k.loadEpochState(ctx, s.Netuid)
	if err != nil {
		return nil, nil, err
	}
	pending, err := k.Pending(ctx, s.Netuid)
	if err != nil {
		return nil, nil, err
	}
	epochEmission := math.NewIntFromUint64(types.SaturatingUint64(pending))
	ev := &types.EventEpoch{Netuid: s.Netuid, Height: height, Emission: epochEmission.String(), Neurons: uint32(len(st.neurons))}
	if len(st.neurons) == 0 {
		ev.OwnerCut, ev.ToMiners, ev.ToValidators, ev.Dust = "0", "0", "0", pending.String()
		return ev, nil, nil
	}
	ownerCut := epochEmission.MulRaw(int64(params.OwnerCutBps)).QuoRaw(10_000)
	out, err := yuma.Run(yumaInput(s, st, height, epochEmission.Sub(ownerCut).Uint64()))
	if err != nil {
		return nil, nil, fmt.Errorf("yuma: %w", err)
	}
	owner, err := k.parseAddr("owner", s.Owner)
	if err != nil {
		return nil, nil, err
	}
	if err := k.pay(ctx, owner, ownerCut); err != nil {
		return nil, nil, err
	}
	paid := ownerCut
	toMiners, toValidators := math.ZeroInt(), math.ZeroInt()
	var dists []*types.EventDistribution
	for i := range st.neurons {
		d, spent, err := k.distribute(ctx, st, i, out)
		if err != nil {
			return nil, nil, err
		}
		paid = paid.Add(spent)
		toMiners = toMiners.Add(math.NewIntFromUint64(out.MinerEmission[i]))
		toValidators = toValidators.Add(math.NewIntFromUint64(out.ValidatorEmission[i]))
		if d != nil {
			dists = append(dists, d)
		}
		if err := k.storeEpochResult(ctx, st, i, out); err != nil {
			return nil, nil, err
		}
	}
	var newBonds uint64
	for _, row := range out.Bonds {
		newBonds += uint64(len(row))
	}
	if err := k.changeEpochWork(ctx, s.Netuid, bondEntries(st.bonds), newBonds); err != nil {
		return nil, nil, err
	}
	if err := k.addDistributed(ctx, paid); err != nil {
		return nil, nil, err
	}
	left := pending.Sub(paid)
	if err := k.PendingEmission.Set(ctx, s.Netuid, left); err != nil {
		return nil, nil, err
	}
	ev.OwnerCut, ev.ToMiners, ev.ToValidators, ev.Dust = ownerCut.String(), toMiners.String(), toValidators.String(), left.String()
	return ev, dists, nil
}

// distribute pays neuron i its epoch emission and returns what it spent of
// the pending emission (all but the stakers' rounding dust).
func (k Keeper) distribute(ctx context.Context, st epochState, i int, out yuma.Output) (*types.EventDistribution, math.Int, error) {
	n := st.neurons[i]
	miner := math.NewIntFromUint64(out.MinerEmission[i])
	validator := math.NewIntFromUint64(out.ValidatorEmission[i])
	if miner.IsZero() && validator.IsZero() {
		return nil, math.ZeroInt(), nil
	}
	coldkey, err := k.parseAddr("coldkey", n.Coldkey)
	if err != nil {
		return nil, math.Int{}, err
	}
	take, err := k.DelegateTake(ctx, st.hotkeys[i])
	if err != nil {
		return nil, math.Int{}, err
	}
	takeAmt := validator.MulRaw(int64(take.Take)).QuoRaw(types.U16Max)
	rest := validator.Sub(takeAmt)
	staked := math.ZeroInt()
	total, err := k.HotkeyStake(ctx, st.hotkeys[i])
	if err != nil {
		return nil, math.Int{}, err
	}
	if total.IsPositive() {
		staked, err = k.compound(ctx, st.hotkeys[i], total, rest)
		if err != nil {
			return nil, math.Int{}, err
		}
	} else {
		// nobody staked on this hotkey: its coldkey gets the whole part
		takeAmt = validator
	}
	if err := k.pay(ctx, coldkey, miner.Add(takeAmt)); err != nil {
		return nil, math.Int{}, err
	}
	return &types.EventDistribution{Netuid: n.Netuid, Uid: n.Uid, Hotkey: n.Hotkey,
		Miner: miner.String(), Take: takeAmt.String(), Staked: staked.String()}, miner.Add(takeAmt).Add(staked), nil
}

// compound adds amount to the counted stakes on hotkey, pro rata to each
// staker's counted stake (total is their sum; rounding down), and returns
// what it added. Warming stake earns nothing: it was not held through the
// tempo. What is added counts at once, as it was earned by counted stake.
// The tokens are already in the module account, so only the records change.
func (k Keeper) compound(ctx context.Context, hotkey sdk.AccAddress, total, amount math.Int) (math.Int, error) {
	if !amount.IsPositive() {
		return math.ZeroInt(), nil
	}
	type stake struct {
		staker sdk.AccAddress
		amount math.Int
	}
	var stakes []stake
	err := k.Stakes.Walk(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, sdk.AccAddress](hotkey), func(key StakeKey, amt math.Int) (bool, error) {
		stakes = append(stakes, stake{key.K2(), amt})
		return false, nil
	})
	if err != nil {
		return math.Int{}, err
	}
	added := math.ZeroInt()
	for _, s := range stakes {
		share := amount.Mul(s.amount).Quo(total)
		if share.IsZero() {
			continue
		}
		if err := k.changeStakeEntry(ctx, hotkey, s.staker, share); err != nil {
			return math.Int{}, err
		}
		added = added.Add(share)
	}
	// the hotkey's and its subnets' totals once, not once per staker
	if _, err := k.changeHotkeyStake(ctx, hotkey, added); err != nil {
		return math.Int{}, err
	}
	return added, nil
}

// storeEpochResult writes neuron i's permit, epoch results and bonds.
func (k Keeper) storeEpochResult(ctx context.Context, st epochState, i int, out yuma.Output) error {
	n := st.neurons[i]
	n.ValidatorPermit = out.ValidatorPermit[i]
	n.LastEpoch = types.EpochResult{
		Rank:           uint32(out.Rank[i].ToU16()),
		Trust:          uint32(out.Trust[i].ToU16()),
		Consensus:      uint32(out.Consensus[i].ToU16()),
		Incentive:      uint32(out.Incentive[i].ToU16()),
		Dividends:      uint32(out.Dividends[i].ToU16()),
		ValidatorTrust: uint32(out.ValidatorTrust[i].ToU16()),
		Emission:       math.NewIntFromUint64(out.Emission[i]),
		Active:         out.Active[i],
	}
	key := collections.Join(n.Netuid, n.Uid)
	if err := k.setNeuronKeepHotkey(ctx, st.neurons[i], n); err != nil {
		return err
	}
	if len(out.Bonds[i]) == 0 {
		return k.Bonds.Remove(ctx, key)
	}
	row := types.BondsRow{Entries: make([]types.BondEntry, len(out.Bonds[i]))}
	for j, b := range out.Bonds[i] {
		row.Entries[j] = types.BondEntry{Uid: uint32(b.UID), Value: uint64(b.Value)}
	}
	return k.Bonds.Set(ctx, key, row)
}
