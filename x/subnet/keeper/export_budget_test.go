package keeper

import "cosmossdk.io/collections"

// LegacyDueEpochs exposes the version-1 due set to the keeper_test package.
func LegacyDueEpochs(k Keeper) collections.KeySet[uint32] { return k.legacyDueEpochs }
