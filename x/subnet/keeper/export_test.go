package keeper

// SetNeuronKeepHotkey exposes setNeuronKeepHotkey to the keeper_test package.
var SetNeuronKeepHotkey = Keeper.setNeuronKeepHotkey

// SubnetStakeOf exposes subnetStake to the keeper_test package.
var SubnetStakeOf = Keeper.subnetStake
