package keeper

// SetNeuronKeepHotkey exposes setNeuronKeepHotkey to the keeper_test package.
var SetNeuronKeepHotkey = Keeper.setNeuronKeepHotkey

// SubnetStakeOf exposes subnetStake to the keeper_test package.
var SubnetStakeOf = Keeper.subnetStake

// ProcessStakeQueuesUntil exposes processStakeQueuesUntil to the
// keeper_test package: it matures the warming stake and pays the
// unbondings due at height, as the EndBlocker does at that height.
var ProcessStakeQueuesUntil = Keeper.processStakeQueuesUntil
