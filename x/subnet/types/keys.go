package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the name of the module, its store key and its module account.
	ModuleName = "subnet"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
)

// Collection prefixes. Each is used by exactly one collection and is never
// reused, even after a collection is removed.
var (
	ParamsKey           = collections.NewPrefix(0)
	NextNetuidKey       = collections.NewPrefix(1)
	SubnetsKey          = collections.NewPrefix(2)
	NeuronsKey          = collections.NewPrefix(3)
	NeuronsByHotkeyKey  = collections.NewPrefix(4)
	HotkeyOwnersKey     = collections.NewPrefix(5)
	StakesKey           = collections.NewPrefix(6)
	StakesByStakerKey   = collections.NewPrefix(7)
	TotalHotkeyStakeKey = collections.NewPrefix(8)
	DelegateTakesKey    = collections.NewPrefix(9)
	BurnsKey            = collections.NewPrefix(10)
	HotkeySubnetsKey    = collections.NewPrefix(11)
	NeuronCountsKey     = collections.NewPrefix(12)
	WeightsKey          = collections.NewPrefix(13)
	WeightCommitsKey    = collections.NewPrefix(14)
	TotalIssuedKey      = collections.NewPrefix(15)
	PendingEmissionKey  = collections.NewPrefix(16)
	BondsKey            = collections.NewPrefix(17)
	TotalDistributedKey = collections.NewPrefix(18)
	// DueEpochsKey held the due set (netuid only) until consensus version 2;
	// Migrate1to2 moves it to DueEpochQueueKey.
	DueEpochsKey     = collections.NewPrefix(19)
	SubnetStakeKey   = collections.NewPrefix(20)
	DueEpochQueueKey = collections.NewPrefix(21)
	EpochWorkKey     = collections.NewPrefix(22)

	WarmingStakesKey          = collections.NewPrefix(23)
	WarmupQueueKey            = collections.NewPrefix(24)
	TotalHotkeyWarmingKey     = collections.NewPrefix(25)
	UnbondingsKey             = collections.NewPrefix(26)
	UnbondingsByStakerKey     = collections.NewPrefix(27)
	UnbondingsByHotkeyKey     = collections.NewPrefix(28)
	UnbondingsByCompletionKey = collections.NewPrefix(29)
	NextUnbondingIDKey        = collections.NewPrefix(30)
	StakeOpsKey               = collections.NewPrefix(31)
)
