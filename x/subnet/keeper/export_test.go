package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
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

// CorruptSubnet stores bytes that do not decode as netuid's subnet, so
// reading it fails with an error other than collections.ErrNotFound.
func CorruptSubnet(k Keeper, ctx context.Context, netuid uint32) error {
	raw := collections.NewMap(collections.NewSchemaBuilder(k.storeService), types.SubnetsKey, "subnets",
		collections.Uint32Key, collections.BytesValue)
	return raw.Set(ctx, netuid, []byte{0xff, 0xff, 0xff})
}
