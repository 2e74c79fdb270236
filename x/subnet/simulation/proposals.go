package simulation

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// The messages only the module authority (gov) may send are simulated as
// governance proposals: the gov simulation submits them, votes, and runs
// them when a proposal passes. A proposal that fails when it runs (say the
// subnet was dissolved in the meantime) just fails, as it would on chain.

// MsgUpdateParamsFactory proposes random module params. Their max_supply
// counts from what is issued when the proposal is made, as a governance
// proposal would (a random cap below the issued total would end emission
// for the rest of the run); one time in five it leaves room for at most
// 400 blocks of emission, so that runs reach the cap. The SDK v0.53 gov
// simulation schedules votes for only 1% of the proposals it submits, so such
// a proposal seldom passes: none did in 10,000 blocks of seed 42.
func (c chain) MsgUpdateParamsFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		issued, err := c.k.TotalIssued.Get(ctx)
		switch {
		case errors.Is(err, collections.ErrNotFound):
			issued = math.ZeroInt()
		case err != nil:
			reporter.Skip("total issued: " + err.Error())
			return nil, nil
		}
		r := data.Rand().Rand
		params := RandomParams(r)
		if r.Intn(5) == 0 {
			params.MaxSupply = params.BlockEmission.MulRaw(int64(between(r, 0, 400)))
		}
		params.MaxSupply = params.MaxSupply.Add(issued)
		return nil, &types.MsgUpdateParams{Authority: c.k.Authority(), Params: params}
	}
}

// MsgUpdateSubnetHyperparamsProposalFactory proposes random hyperparameters
// for a subnet, including the values only governance may change.
func (c chain) MsgUpdateSubnetHyperparamsProposalFactory() simsx.SimMsgFactoryFn[*types.MsgUpdateSubnetHyperparams] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateSubnetHyperparams) {
		r := data.Rand().Rand
		s, ok := pick(r, c.subnets(ctx))
		if !ok {
			reporter.Skip("no subnet")
			return nil, nil
		}
		hp := RandomHyperparams(r)
		// keep the subnet's size, so the change can apply
		hp.MaxAllowedUids = max(hp.MaxAllowedUids, c.neuronCount(ctx, s.Netuid))
		return nil, &types.MsgUpdateSubnetHyperparams{Signer: c.k.Authority(), Netuid: s.Netuid, Hyperparams: hp}
	}
}

// MsgDissolveSubnetProposalFactory proposes dissolving a subnet.
func (c chain) MsgDissolveSubnetProposalFactory() simsx.SimMsgFactoryFn[*types.MsgDissolveSubnet] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDissolveSubnet) {
		s, ok := pick(data.Rand().Rand, c.subnets(ctx))
		if !ok {
			reporter.Skip("no subnet")
			return nil, nil
		}
		return nil, &types.MsgDissolveSubnet{Signer: c.k.Authority(), Netuid: s.Netuid}
	}
}
