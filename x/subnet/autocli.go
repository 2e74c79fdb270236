package subnet

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
	"github.com/spf13/cobra"

	"github.com/tensorcosm/tensorcosm/x/subnet/client/cli"
)

// GetTxCmd returns the hand-written `tx subnet` commands (weights and
// amounts, see client/cli); autocli adds the others to it.
func (AppModule) GetTxCmd() *cobra.Command { return cli.GetTxCmd() }

// AutoCLIOptions describes the `tensorcosmd tx subnet` and `query subnet`
// commands, generated from the Msg and Query services.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	return &autocliv1.ModuleOptions{
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: "tensorcosm.subnet.v1.Query",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the x/subnet params", Example: "tensorcosmd q subnet params"},
				{RpcMethod: "Subnet", Use: "subnet [netuid]", Short: "Show a subnet",
					Example:        "tensorcosmd q subnet subnet 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Subnets", Use: "subnets", Short: "List subnets", Example: "tensorcosmd q subnet subnets"},
				{RpcMethod: "Neuron", Use: "neuron [netuid] [uid]", Short: "Show the neuron at a UID",
					Example:        "tensorcosmd q subnet neuron 1 0",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "uid"}}},
				{RpcMethod: "NeuronByHotkey", Use: "neuron-by-hotkey [netuid] [hotkey]", Short: "Show the neuron of a hotkey",
					Example:        "tensorcosmd q subnet neuron-by-hotkey 1 tensor1...",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "hotkey"}}},
				{RpcMethod: "Metagraph", Use: "metagraph [netuid]", Short: "Show every neuron of a subnet with stake, axon, model and last epoch",
					Example:        "tensorcosmd q subnet metagraph 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "StakeByHotkey", Use: "stake-by-hotkey [hotkey]", Short: "List the stakes on a hotkey",
					Example:        "tensorcosmd q subnet stake-by-hotkey tensor1...",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}}},
				{RpcMethod: "StakeByStaker", Use: "stake-by-staker [staker]", Short: "List a staker's stakes",
					Example:        "tensorcosmd q subnet stake-by-staker tensor1...",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "staker"}}},
				{RpcMethod: "UnbondingsByStaker", Use: "unbondings-by-staker [staker]", Short: "List a staker's unbondings (removed stake waiting to be paid)",
					Example: "tensorcosmd q subnet unbondings-by-staker tensor1...", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "staker"}}},
				{RpcMethod: "UnbondingsByHotkey", Use: "unbondings-by-hotkey [hotkey]", Short: "List the unbondings from a hotkey",
					Example: "tensorcosmd q subnet unbondings-by-hotkey tensor1...", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}}},
				{RpcMethod: "WarmingStakes", Use: "warming-stakes [hotkey]", Short: "List the stake warming up on a hotkey (it counts from mature_block)",
					Example: "tensorcosmd q subnet warming-stakes tensor1...", PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}}},
				{RpcMethod: "Emission", Use: "emission [netuid]", Short: "Show a subnet's pending emission, the next epoch block and the module's totals",
					Example:        "tensorcosmd q subnet emission 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Weights", Use: "weights [netuid]", Short: "Show a subnet's weight rows (64 per page; --page-limit up to 128, --page-key for the next)",
					Example:        "tensorcosmd q subnet weights 1 --page-limit 128",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Bonds", Use: "bonds [netuid]", Short: "Show a subnet's bonds rows (Q16.48 fractions; 64 per page, --page-limit up to 128)",
					Example:        "tensorcosmd q subnet bonds 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "Commits", Use: "commits [netuid]", Short: "Show a subnet's pending weight commits (64 rows per page, --page-limit up to 128)",
					Example:        "tensorcosmd q subnet commits 1",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "RegistrationPrice", Use: "registration-price [netuid]", Short: "Show the registration price (utensor) of a subnet",
					Example:        "tensorcosmd q subnet registration-price 1",
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
					Example:        "tensorcosmd tx subnet dissolve-subnet 1 --from alice",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}}},
				{RpcMethod: "UpdateSubnetHyperparams", Use: "update-hyperparams [netuid] [hyperparams-json]",
					Short:          "Set a subnet's hyperparameters (all of them; they apply at the next epoch boundary)",
					Example:        `tensorcosmd tx subnet update-hyperparams 1 "$(tensorcosmd q subnet subnet 1 -o json | jq -c '.subnet.hyperparams | .tempo = 360')" --from alice`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "hyperparams"}}},
				{RpcMethod: "Register", Skip: true}, // client/cli: the amount takes a denom
				{RpcMethod: "ServeAxon", Use: "serve-axon [netuid] [axon-json] [model-json]", Short: "Announce an axon and model commitment; --from is the hotkey",
					Example:        `tensorcosmd tx subnet serve-axon 1 '{"host":"127.0.0.1","port":8091,"protocol":"grpc"}' '{"sha256":"<64 hex>","size":10240}' --from hotkey`,
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "netuid"}, {ProtoField: "axon"}, {ProtoField: "model"}}},
				{RpcMethod: "AddStake", Skip: true},        // client/cli: the amount takes a denom
				{RpcMethod: "RemoveStake", Skip: true},     // client/cli: the amount takes a denom
				{RpcMethod: "CancelUnbonding", Skip: true}, // client/cli: the amount takes a denom
				{RpcMethod: "SetDelegateTake", Use: "set-delegate-take [hotkey] [take]", Short: "Set a hotkey's take (of 65535); --from is its coldkey",
					Example:        "tensorcosmd tx subnet set-delegate-take tensor1... 6553 --from coldkey",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "hotkey"}, {ProtoField: "take"}}},
				{RpcMethod: "SetWeights", Skip: true},    // client/cli: autocli cannot bind repeated uint32
				{RpcMethod: "CommitWeights", Skip: true}, // client/cli: the hash can be computed from the weights
				{RpcMethod: "RevealWeights", Skip: true}, // client/cli: autocli cannot bind repeated uint32
			},
		},
	}
}
