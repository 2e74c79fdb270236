package subnet

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
)

// AutoCLIOptions describes the `tensorcosmd tx subnet` and `query subnet`
// commands, generated from the Msg and Query services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: "tensorcosm.subnet.v1.Query",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the x/subnet params"},
				{RpcMethod: "Subnet", Use: "subnet [netuid]", Short: "Show a subnet",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Subnets", Use: "subnets", Short: "List subnets"},
				{RpcMethod: "Neuron", Use: "neuron [netuid] [uid]", Short: "Show the neuron at a UID",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "uid"}}},
				{RpcMethod: "NeuronByHotkey", Use: "neuron-by-hotkey [netuid] [hotkey]", Short: "Show the neuron of a hotkey",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "hotkey"}}},
				{RpcMethod: "Metagraph", Use: "metagraph [netuid]", Short: "Show every neuron of a subnet with stake, axon, model and last epoch",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "StakeByHotkey", Use: "stake-by-hotkey [hotkey]", Short: "List the stakes on a hotkey",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}}},
				{RpcMethod: "StakeByStaker", Use: "stake-by-staker [staker]", Short: "List a staker's stakes",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "staker"}}},
				{RpcMethod: "UnbondingsByStaker", Use: "unbondings-by-staker [staker]", Short: "List a staker's unbondings (removed stake waiting to be paid)",
					Example: "tensorcosmd q subnet unbondings-by-staker tensor1...", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "staker"}}},
				{RpcMethod: "UnbondingsByHotkey", Use: "unbondings-by-hotkey [hotkey]", Short: "List the unbondings from a hotkey",
					Example: "tensorcosmd q subnet unbondings-by-hotkey tensor1...", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}}},
				{RpcMethod: "WarmingStakes", Use: "warming-stakes [hotkey]", Short: "List the stake warming up on a hotkey (it counts from mature_block)",
					Example: "tensorcosmd q subnet warming-stakes tensor1...", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}}},
				{RpcMethod: "Emission", Use: "emission [netuid]", Short: "Show a subnet's pending emission, the next epoch block and the module's totals",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Weights", Use: "weights [netuid]", Short: "Show a subnet's weight rows (64 per page; --page-limit up to 128, --page-key for the next)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Bonds", Use: "bonds [netuid]", Short: "Show a subnet's bonds rows (Q16.48 fractions; 64 per page, --page-limit up to 128)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Commits", Use: "commits [netuid]", Short: "Show a subnet's pending weight commits (64 rows per page, --page-limit up to 128)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "RegistrationPrice", Use: "registration-price [netuid]", Short: "Show the registration price (utensor) of a subnet",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
			},
		},
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              "tensorcosm.subnet.v1.Msg",
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "UpdateParams", Skip: true}, // authority only: through a gov proposal
				{RpcMethod: "CreateSubnet", Use: "create-subnet [name] [task-json]",
					Short:          "Create a subnet, locking the subnet lock cost",
					Example:        `tensorcosmd tx subnet create-subnet digits '{"kind":"digits-classification","inputs":[{"name":"input","dtype":"float32","shape":[-1,64]}],"outputs":[{"name":"probabilities","dtype":"float32","shape":[-1,10]}],"scoring":"accuracy"}' --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "name"}, {ProtoField: "task"}}},
				{RpcMethod: "DissolveSubnet", Use: "dissolve-subnet [netuid]", Short: "Dissolve a subnet you own; the lock is returned",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "UpdateSubnetHyperparams", Use: "update-hyperparams [netuid] [hyperparams-json]",
					Short:          "Set a subnet's hyperparameters (all of them; they apply at the next epoch boundary)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "hyperparams"}}},
				{RpcMethod: "Register", Use: "register [hotkey] [netuid] [max-burn]",
					Short:          "Register a hotkey in a subnet; --from is the coldkey, and the hotkey must sign too",
					Long:           "Both keys sign: build with --generate-only, sign with the hotkey and the coldkey (tensorcosmd tx sign), then broadcast. The tensorcosm-miner does this for you.",
					Example:        "tensorcosmd tx subnet register $HOTKEY 1 2000000 --from coldkey --generate-only > reg.json",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}, {ProtoField: "netuid"}, {ProtoField: "max_burn"}}},
				{RpcMethod: "ServeAxon", Use: "serve-axon [netuid] [axon-json] [model-json]", Short: "Announce an axon and model commitment; --from is the hotkey",
					Example:        `tensorcosmd tx subnet serve-axon 1 '{"host":"127.0.0.1","port":8091,"protocol":"grpc"}' '{"sha256":"<64 hex>","size":10240}' --from hotkey`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "axon"}, {ProtoField: "model"}}},
				{RpcMethod: "AddStake", Use: "add-stake [hotkey] [amount]", Short: "Stake utensor on a registered hotkey (it counts after stake_warmup_blocks)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}, {ProtoField: "amount"}}},
				{RpcMethod: "RemoveStake", Use: "remove-stake [hotkey] [amount]", Short: "Unstake utensor from a hotkey: warming stake is paid at once, counted stake unbonds for unbonding_blocks",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}, {ProtoField: "amount"}}},
				{RpcMethod: "CancelUnbonding", Use: "cancel-unbonding [id] [amount]", Short: "Return all or part of one of your unbondings to counted stake on its hotkey",
					Example:        "tensorcosmd tx subnet cancel-unbonding 7 1000000 --from bob",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "id"}, {ProtoField: "amount"}}},
				{RpcMethod: "SetDelegateTake", Use: "set-delegate-take [hotkey] [take]", Short: "Set a hotkey's take (of 65535); --from is its coldkey",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}, {ProtoField: "take"}}},
				{RpcMethod: "SetWeights", Use: "set-weights [netuid] --uids 1,2 --values 65535,1000", Short: "Set weights (subnets without commit-reveal); --from is the hotkey",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "CommitWeights", Use: "commit-weights [netuid] [commit-hash-base64]", Short: "Commit to weights by hash; --from is the hotkey (validators do this for you)",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "commit_hash"}}},
				{RpcMethod: "RevealWeights", Use: "reveal-weights [netuid] --uids 1,2 --values 65535,1000 --salt BASE64", Short: "Reveal committed weights in their reveal epoch; --from is the hotkey",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
			},
		},
	}
}
