package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// SetNeuronKeepHotkey exposes setNeuronKeepHotkey to the keeper_test package.
var SetNeuronKeepHotkey = Keeper.setNeuronKeepHotkey

// SubnetStakeOf exposes subnetStake to the keeper_test package.
var SubnetStakeOf = Keeper.subnetStake

// ProcessStakeQueuesUntil exposes processStakeQueuesUntil to the
// keeper_test package: it matures the warming stake and pays the
// unbondings due at height, as the EndBlocker does at that height.
var ProcessStakeQueuesUntil = Keeper.processStakeQueuesUntil

// ApplyIfNoError exposes applyIfNoError to the keeper_test package.
var ApplyIfNoError = Keeper.applyIfNoError

// RunDueEpoch runs netuid's queued epoch (due at due) as EndBlocker does.
func RunDueEpoch(k Keeper, ctx sdk.Context, netuid uint32, due int64) error {
	return k.runDueEpoch(ctx, dueEpoch{netuid: netuid, due: due}, 0)
}

// CorruptEntry stores bytes that decode as no value under netuid in the
// netuid-keyed collection at prefix (e.g. types.SubnetsKey), so reading it
// fails with an error other than collections.ErrNotFound.
func CorruptEntry(k Keeper, ctx context.Context, prefix collections.Prefix, netuid uint32) error {
	raw := collections.NewMap(collections.NewSchemaBuilder(k.storeService), prefix, "raw",
		collections.Uint32Key, collections.BytesValue)
	return raw.Set(ctx, netuid, []byte{0xff, 0xff, 0xff})
}
