// Package keeper holds x/subnet's state and the rules that change it.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"
	"cosmossdk.io/core/address"
	storetypes "cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// NeuronKey is (netuid, uid).
type NeuronKey = collections.Pair[uint32, uint32]

// StakeKey is (hotkey, staker).
type StakeKey = collections.Pair[sdk.AccAddress, sdk.AccAddress]

// WarmupKey is (mature_block, hotkey, staker).
type WarmupKey = collections.Triple[int64, sdk.AccAddress, sdk.AccAddress]

// Keeper is the x/subnet keeper.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService storetypes.KVStoreService
	addressCodec address.Codec
	bank         types.BankKeeper
	// authority may update params and any subnet (the gov module account by default).
	authority string
	// denom is the token staked, locked and burned.
	denom string

	Schema collections.Schema
	// Params: the module params.
	Params collections.Item[types.Params]
	// NextNetuid: the netuid the next subnet gets.
	NextNetuid collections.Sequence
	// Subnets: netuid -> subnet.
	Subnets collections.Map[uint32, types.Subnet]
	// Neurons: (netuid, uid) -> neuron, indexed by (netuid, hotkey).
	Neurons *collections.IndexedMap[NeuronKey, types.Neuron, NeuronIndexes]
	// neuronValues is Neurons' primary map without its index, for writes
	// that keep a neuron's hotkey (see setNeuronKeepHotkey).
	neuronValues collections.Map[NeuronKey, types.Neuron]
	// HotkeySubnets: (hotkey, netuid) for every subnet a hotkey is registered in.
	HotkeySubnets collections.KeySet[collections.Pair[sdk.AccAddress, uint32]]
	// HotkeyOwners: hotkey -> the coldkey that first registered it, forever.
	HotkeyOwners collections.Map[sdk.AccAddress, sdk.AccAddress]
	// Stakes: (hotkey, staker) -> amount staked, indexed by staker.
	Stakes *collections.IndexedMap[StakeKey, math.Int, StakeIndexes]
	// TotalHotkeyStake: hotkey -> sum of Stakes on it.
	TotalHotkeyStake collections.Map[sdk.AccAddress, math.Int]
	// SubnetStake: netuid -> sum of TotalHotkeyStake over the subnet's
	// registered hotkeys (absent when zero). Derived state, kept so that
	// the per-block emission split reads one entry per subnet.
	SubnetStake collections.Map[uint32, math.Int]
	// WarmingStakes: (hotkey, staker) -> stake added but not counted yet,
	// with the block it counts from (one entry per pair).
	WarmingStakes collections.Map[StakeKey, types.WarmingStake]
	// WarmupQueue: (mature_block, hotkey, staker) for each WarmingStakes
	// entry, so BeginBlocker finds what matures without a scan.
	WarmupQueue collections.KeySet[WarmupKey]
	// TotalHotkeyWarming: hotkey -> sum of WarmingStakes on it.
	TotalHotkeyWarming collections.Map[sdk.AccAddress, math.Int]
	// Unbondings: id -> removed stake waiting to be paid, indexed by staker,
	// hotkey and completion block.
	Unbondings *collections.IndexedMap[uint64, types.Unbonding, UnbondingIndexes]
	// NextUnbondingID: the id the next unbonding gets (ids start at 1).
	NextUnbondingID collections.Sequence
	// StakeOps: (hotkey, staker) -> block of the pair's last stake
	// operation, for stake_rate_limit.
	StakeOps collections.Map[StakeKey, int64]
	// DelegateTakes: hotkey -> its delegate take.
	DelegateTakes collections.Map[sdk.AccAddress, types.DelegateTake]
	// Burns: netuid -> registration price state.
	Burns collections.Map[uint32, types.BurnState]
	// NeuronCounts: netuid -> number of UIDs in use (UIDs are 0..count-1).
	NeuronCounts collections.Map[uint32, uint32]
	// Weights: (netuid, uid) -> the neuron's sparse weight row.
	Weights collections.Map[NeuronKey, types.WeightsRow]
	// WeightCommits: (netuid, uid) -> the neuron's unrevealed commits.
	WeightCommits collections.Map[NeuronKey, types.WeightCommits]
	// TotalIssued: everything x/subnet has minted.
	TotalIssued collections.Item[math.Int]
	// TotalDistributed: minted tokens paid out or compounded into stake.
	TotalDistributed collections.Item[math.Int]
	// PendingEmission: netuid -> minted emission waiting for the subnet's epoch.
	PendingEmission collections.Map[uint32, math.Int]
	// Bonds: (netuid, uid) -> the validator's bonds row from the last epoch.
	Bonds collections.Map[NeuronKey, types.BondsRow]
	// DueEpochs: netuid -> the block at which its epoch became due, for
	// subnets whose epoch has not run yet (EndBlocker runs them oldest due
	// first within the block's work budget; the rest wait here). A subnet is
	// in it at most once.
	DueEpochs collections.Map[uint32, int64]
	// EpochWork: netuid -> the weight and bond entries stored for the
	// subnet (absent when zero). Derived state: with the neuron count it is
	// an epoch's work estimate (EpochWorkEstimate), read without loading the
	// rows.
	EpochWork collections.Map[uint32, uint64]
	// legacyDueEpochs is the version-1 due set (netuid keys at prefix 19),
	// read only by Migrate1to2.
	legacyDueEpochs collections.KeySet[uint32]

	// observer sees epochs start and end, for the node's metrics; never state.
	observer *epochObserver
}

// NewKeeper builds the keeper. authority and denom must be valid.
func NewKeeper(
	cdc codec.BinaryCodec,
	storeService storetypes.KVStoreService,
	addressCodec address.Codec,
	bank types.BankKeeper,
	authority string,
	denom string,
) (Keeper, error) {
	if _, err := addressCodec.StringToBytes(authority); err != nil {
		return Keeper{}, fmt.Errorf("invalid authority address %q: %w", authority, err)
	}
	if err := sdk.ValidateDenom(denom); err != nil {
		return Keeper{}, fmt.Errorf("invalid denom: %w", err)
	}
	sb := collections.NewSchemaBuilder(storeService)
	k := Keeper{
		cdc:          cdc,
		storeService: storeService,
		addressCodec: addressCodec,
		bank:         bank,
		authority:    authority,
		denom:        denom,
		observer:     &epochObserver{},

		Params:     collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		NextNetuid: collections.NewSequence(sb, types.NextNetuidKey, "next_netuid"),
		Subnets:    collections.NewMap(sb, types.SubnetsKey, "subnets", collections.Uint32Key, codec.CollValue[types.Subnet](cdc)),
		Neurons:    newNeurons(sb, cdc, addressCodec),
		HotkeySubnets: collections.NewKeySet(sb, types.HotkeySubnetsKey, "hotkey_subnets",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint32Key)),
		HotkeyOwners: collections.NewMap(sb, types.HotkeyOwnersKey, "hotkey_owners",
			sdk.AccAddressKey, collcodec.KeyToValueCodec(sdk.AccAddressKey)),
		Stakes:           newStakes(sb),
		TotalHotkeyStake: collections.NewMap(sb, types.TotalHotkeyStakeKey, "total_hotkey_stake", sdk.AccAddressKey, sdk.IntValue),
		SubnetStake:      collections.NewMap(sb, types.SubnetStakeKey, "subnet_stake", collections.Uint32Key, sdk.IntValue),
		WarmingStakes: collections.NewMap(sb, types.WarmingStakesKey, "warming_stakes",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey), codec.CollValue[types.WarmingStake](cdc)),
		WarmupQueue: collections.NewKeySet(sb, types.WarmupQueueKey, "warmup_queue",
			collections.TripleKeyCodec(collections.Int64Key, sdk.AccAddressKey, sdk.AccAddressKey)),
		TotalHotkeyWarming: collections.NewMap(sb, types.TotalHotkeyWarmingKey, "total_hotkey_warming", sdk.AccAddressKey, sdk.IntValue),
		Unbondings:         newUnbondings(sb, cdc, addressCodec),
		NextUnbondingID:    collections.NewSequence(sb, types.NextUnbondingIDKey, "next_unbonding_id"),
		StakeOps: collections.NewMap(sb, types.StakeOpsKey, "stake_ops",
			collections.PairKeyCodec(sdk.AccAddressKey, sdk.AccAddressKey), collections.Int64Value),
		DelegateTakes: collections.NewMap(sb, types.DelegateTakesKey, "delegate_takes", sdk.AccAddressKey, codec.CollValue[types.DelegateTake](cdc)),
		Burns:         collections.NewMap(sb, types.BurnsKey, "burns", collections.Uint32Key, codec.CollValue[types.BurnState](cdc)),
		NeuronCounts:  collections.NewMap(sb, types.NeuronCountsKey, "neuron_counts", collections.Uint32Key, collections.Uint32Value),
		Weights: collections.NewMap(sb, types.WeightsKey, "weights",
			collections.PairKeyCodec(collections.Uint32Key, collections.Uint32Key), codec.CollValue[types.WeightsRow](cdc)),
		WeightCommits: collections.NewMap(sb, types.WeightCommitsKey, "weight_commits",
			collections.PairKeyCodec(collections.Uint32Key, collections.Uint32Key), codec.CollValue[types.WeightCommits](cdc)),
		TotalIssued:      collections.NewItem(sb, types.TotalIssuedKey, "total_issued", sdk.IntValue),
		TotalDistributed: collections.NewItem(sb, types.TotalDistributedKey, "total_distributed", sdk.IntValue),
		PendingEmission:  collections.NewMap(sb, types.PendingEmissionKey, "pending_emission", collections.Uint32Key, sdk.IntValue),
		DueEpochs:        collections.NewMap(sb, types.DueEpochQueueKey, "due_epoch_queue", collections.Uint32Key, collections.Int64Value),
		EpochWork:        collections.NewMap(sb, types.EpochWorkKey, "epoch_work", collections.Uint32Key, collections.Uint64Value),
		Bonds: collections.NewMap(sb, types.BondsKey, "bonds",
			collections.PairKeyCodec(collections.Uint32Key, collections.Uint32Key), codec.CollValue[types.BondsRow](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		return Keeper{}, err
	}
	k.Schema = schema
	// The same prefix as Neurons, so on a schema of its own: the module's
	// schema (genesis export, queries) lists each collection once.
	rawSB := collections.NewSchemaBuilder(storeService)
	k.neuronValues = collections.NewMap(rawSB, types.NeuronsKey, "neurons",
		collections.PairKeyCodec(collections.Uint32Key, collections.Uint32Key), codec.CollValue[types.Neuron](cdc))
	// The version-1 due set too: only the migration reads it.
	k.legacyDueEpochs = collections.NewKeySet(rawSB, types.DueEpochsKey, "due_epochs", collections.Uint32Key)
	if _, err := rawSB.Build(); err != nil {
		return Keeper{}, err
	}
	return k, nil
}

// Authority returns the module authority address.
func (k Keeper) Authority() string { return k.authority }

// Denom returns the module's token denom.
func (k Keeper) Denom() string { return k.denom }

// Logger returns the module logger.
func (k Keeper) Logger(ctx sdk.Context) log.Logger {
	return ctx.Logger().With("module", "x/"+types.ModuleName)
}

// coins returns amount of the module denom as sdk.Coins.
func (k Keeper) coins(amount math.Int) sdk.Coins {
	return sdk.NewCoins(sdk.NewCoin(k.denom, amount))
}

// parseAddr decodes a bech32 address field, naming the field on error.
func (k Keeper) parseAddr(field, addr string) (sdk.AccAddress, error) {
	bz, err := k.addressCodec.StringToBytes(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(sdkerrors.ErrInvalidAddress, "%s %q: %s", field, addr, err)
	}
	return bz, nil
}

// setNeuronKeepHotkey writes n over old, the neuron as stored. When the two
// share netuid, uid and hotkey, the (netuid, hotkey) index already points at
// the neuron, so n goes straight to the primary map; Neurons.Set would read
// old back and delete and rewrite its index entry, parsing the bech32 hotkey
// twice, which was about half the time of a 4096-UID epoch. Any other
// change goes through Neurons.Set.
func (k Keeper) setNeuronKeepHotkey(ctx context.Context, old, n types.Neuron) error {
	key := collections.Join(n.Netuid, n.Uid)
	if old.Netuid != n.Netuid || old.Uid != n.Uid || old.Hotkey != n.Hotkey {
		return k.Neurons.Set(ctx, key, n)
	}
	return k.neuronValues.Set(ctx, key, n)
}
