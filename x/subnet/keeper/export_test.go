package keeper

// SetNeuronKeepHotkey exposes setNeuronKeepHotkey to the keeper_test package.
var SetNeuronKeepHotkey = Keeper.setNeuronKeepHotkey

// SubnetStakeOf exposes subnetStake to the keeper_test package.
var SubnetStakeOf = Keeper.subnetStake

// MatureStakes exposes matureStakes to the keeper_test package.
var MatureStakes = Keeper.matureStakes

// CompleteUnbondings exposes completeUnbondings to the keeper_test package.
var CompleteUnbondings = Keeper.completeUnbondings
