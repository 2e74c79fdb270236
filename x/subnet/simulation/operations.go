package simulation

import (
	"github.com/cosmos/cosmos-sdk/testutil/simsx"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
)

// Default operation weights. The SDK modules' operations weigh about 1,500
// together; these make x/subnet about a third of all operations, most of
// them the everyday messages (registrations, stake, weights). A params file
// (-Params) overrides any of them as "op_weight_<name>".
const (
	WeightCreateSubnet      = 15
	WeightDissolveSubnet    = 2
	WeightUpdateHyperparams = 4
	WeightRegister          = 60
	WeightServeAxon         = 40
	WeightAddStake          = 80
	WeightRemoveStake       = 40
	WeightCancelUnbonding   = 20
	WeightSetDelegateTake   = 20
	WeightSetWeights        = 80
	WeightCommitWeights     = 80
	WeightRevealWeights     = 60
)

// RegisterOperations adds a factory for every x/subnet message a user
// signs. The commit and reveal factories share one commitBook, so a run
// reveals what it committed.
func RegisterOperations(k keeper.Keeper, weights simsx.WeightSource, reg simsx.Registry) {
	c, book := chain{k: k}, &commitBook{}
	reg.Add(weights.Get("msg_create_subnet", WeightCreateSubnet), c.MsgCreateSubnetFactory())
	reg.Add(weights.Get("msg_dissolve_subnet", WeightDissolveSubnet), c.MsgDissolveSubnetFactory())
	reg.Add(weights.Get("msg_update_subnet_hyperparams", WeightUpdateHyperparams), c.MsgUpdateSubnetHyperparamsFactory())
	reg.Add(weights.Get("msg_register", WeightRegister), c.MsgRegisterFactory())
	reg.Add(weights.Get("msg_serve_axon", WeightServeAxon), c.MsgServeAxonFactory())
	reg.Add(weights.Get("msg_add_stake", WeightAddStake), c.MsgAddStakeFactory())
	reg.Add(weights.Get("msg_remove_stake", WeightRemoveStake), c.MsgRemoveStakeFactory())
	reg.Add(weights.Get("msg_cancel_unbonding", WeightCancelUnbonding), c.MsgCancelUnbondingFactory())
	reg.Add(weights.Get("msg_set_delegate_take", WeightSetDelegateTake), c.MsgSetDelegateTakeFactory())
	reg.Add(weights.Get("msg_set_weights", WeightSetWeights), c.MsgSetWeightsFactory())
	reg.Add(weights.Get("msg_commit_weights", WeightCommitWeights), c.MsgCommitWeightsFactory(book))
	reg.Add(weights.Get("msg_reveal_weights", WeightRevealWeights), c.MsgRevealWeightsFactory(book))
}

// RegisterProposals adds the messages only the module authority sends, for
// the gov simulation to propose (it submits proposals at weight/25).
func RegisterProposals(k keeper.Keeper, weights simsx.WeightSource, reg simsx.Registry) {
	c := chain{k: k}
	reg.Add(weights.Get("subnet_msg_update_params", 100), c.MsgUpdateParamsFactory())
	reg.Add(weights.Get("subnet_msg_update_subnet_hyperparams", 75), c.MsgUpdateSubnetHyperparamsProposalFactory())
	reg.Add(weights.Get("subnet_msg_dissolve_subnet", 50), c.MsgDissolveSubnetProposalFactory())
}
