package keeper

import (
	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// The secondary indexes of the keeper's IndexedMaps, and the constructors
// that build each map with its indexes. Index prefixes live in
// types/keys.go with the others.

// NeuronIndexes index neurons by (netuid, hotkey).
type NeuronIndexes struct {
	// Hotkey maps (netuid, hotkey) to the neuron's (netuid, uid).
	Hotkey *indexes.Unique[collections.Pair[uint32, sdk.AccAddress], NeuronKey, types.Neuron]
}

// IndexesList implements collections.Indexes.
func (i NeuronIndexes) IndexesList() []collections.Index[NeuronKey, types.Neuron] {
	return []collections.Index[NeuronKey, types.Neuron]{i.Hotkey}
}

// StakeIndexes index stakes by staker.
type StakeIndexes struct {
	// Staker maps a staker to the (hotkey, staker) keys of its stakes.
	Staker *indexes.Multi[sdk.AccAddress, StakeKey, math.Int]
}

// IndexesList implements collections.Indexes.
func (i StakeIndexes) IndexesList() []collections.Index[StakeKey, math.Int] {
	return []collections.Index[StakeKey, math.Int]{i.Staker}
}

// UnbondingIndexes index unbondings by staker, hotkey and completion block.
type UnbondingIndexes struct {
	// Staker maps a staker to the ids of its unbondings.
	Staker *indexes.Multi[sdk.AccAddress, uint64, types.Unbonding]
	// Hotkey maps a hotkey to the ids of the unbondings from it.
	Hotkey *indexes.Multi[sdk.AccAddress, uint64, types.Unbonding]
	// Completion maps a completion block to the ids completing then.
	Completion *indexes.Multi[int64, uint64, types.Unbonding]
}

// IndexesList implements collections.Indexes.
func (i UnbondingIndexes) IndexesList() []collections.Index[uint64, types.Unbonding] {
	return []collections.Index[uint64, types.Unbonding]{i.Staker, i.Hotkey, i.Completion}
}

// newNeurons builds the Neurons map and its (netuid, hotkey) index.
func newNeurons(sb *collections.SchemaBuilder, cdc codec.BinaryCodec, addressCodec address.Codec) *collections.IndexedMap[NeuronKey, types.Neuron, NeuronIndexes] {
	return collections.NewIndexedMap(sb, types.NeuronsKey, "neurons",
		collections.PairKeyCodec(collections.Uint32Key, collections.Uint32Key),
		codec.CollValue[types.Neuron](cdc),
		NeuronIndexes{
			Hotkey: indexes.NewUnique(sb, types.NeuronsByHotkeyKey, "neurons_by_hotkey",
				collections.PairKeyCodec(collections.Uint32Key, sdk.AccAddressKey),
				collections.PairKeyCodec(collections.Uint32Key, collections.Uint32Key),
				func(_ NeuronKey, n types.Neuron) (collections.Pair[uint32, sdk.AccAddress], error) {
					hk, err := addressCodec.StringToBytes(n.Hotkey)
					return collections.Join(n.Netuid, sdk.AccAddress(hk)), err
				}),
		})
}

// newStakes builds the Stakes map and its staker index.
func newStakes(sb *collections.SchemaBuilder) *collections.IndexedMap[StakeKey, math.Int, StakeIndexes] {
	return collections.NewIndexedMap(sb, types.StakesKey, "stakes",
		collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey),
		sdk.IntValue,
		StakeIndexes{
			Staker: indexes.NewMulti(sb, types.StakesByStakerKey, "stakes_by_staker",
				sdk.AccAddressKey,
				collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey),
				func(pk StakeKey, _ math.Int) (sdk.AccAddress, error) { return pk.K2(), nil }),
		})
}

// newUnbondings builds the Unbondings map and its indexes.
func newUnbondings(sb *collections.SchemaBuilder, cdc codec.BinaryCodec, ac address.Codec) *collections.IndexedMap[uint64, types.Unbonding, UnbondingIndexes] {
	addr := func(s string) (sdk.AccAddress, error) {
		bz, err := ac.StringToBytes(s)
		return bz, err
	}
	return collections.NewIndexedMap(sb, types.UnbondingsKey, "unbondings", collections.Uint64Key,
		codec.CollValue[types.Unbonding](cdc),
		UnbondingIndexes{
			Staker: indexes.NewMulti(sb, types.UnbondingsByStakerKey, "unbondings_by_staker",
				sdk.AccAddressKey, collections.Uint64Key,
				func(_ uint64, u types.Unbonding) (sdk.AccAddress, error) { return addr(u.Staker) }),
			Hotkey: indexes.NewMulti(sb, types.UnbondingsByHotkeyKey, "unbondings_by_hotkey",
				sdk.AccAddressKey, collections.Uint64Key,
				func(_ uint64, u types.Unbonding) (sdk.AccAddress, error) { return addr(u.Hotkey) }),
			Completion: indexes.NewMulti(sb, types.UnbondingsByCompletionKey, "unbondings_by_completion",
				collections.Int64Key, collections.Uint64Key,
				func(_ uint64, u types.Unbonding) (int64, error) { return u.CompletionHeight, nil }),
		})
}
