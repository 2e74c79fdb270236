package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Emission returns a subnet's pending emission and the module's totals.
func (q queryServer) Emission(ctx context.Context, req *types.QueryEmissionRequest) (*types.QueryEmissionResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	s, err := q.k.GetSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	pending, err := q.k.Pending(ctx, req.Netuid)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	a, err := q.k.Accounting(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	return &types.QueryEmissionResponse{
		Pending: pending, TotalIssued: a.Issued, TotalDistributed: a.Distributed,
		NextEpochBlock: types.NextEpochBlock(req.Netuid, s.Hyperparams.Tempo, height+1),
	}, nil
}

// Weights returns a subnet's weight rows in UID order.
func (q queryServer) Weights(ctx context.Context, req *types.QueryWeightsRequest) (*types.QueryWeightsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	res := &types.QueryWeightsResponse{}
	err := q.k.Weights.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint32](req.Netuid), func(key NeuronKey, row types.WeightsRow) (bool, error) {
		res.Weights = append(res.Weights, types.NeuronWeights{Netuid: key.K1(), Uid: key.K2(), Row: row})
		return false, nil
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return res, nil
}

// Bonds returns a subnet's bonds rows in UID order.
func (q queryServer) Bonds(ctx context.Context, req *types.QueryBondsRequest) (*types.QueryBondsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	res := &types.QueryBondsResponse{}
	err := q.k.Bonds.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint32](req.Netuid), func(key NeuronKey, row types.BondsRow) (bool, error) {
		res.Bonds = append(res.Bonds, types.NeuronBonds{Netuid: key.K1(), Uid: key.K2(), Row: row})
		return false, nil
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return res, nil
}

// Commits returns a subnet's pending weight commits in UID order.
func (q queryServer) Commits(ctx context.Context, req *types.QueryCommitsRequest) (*types.QueryCommitsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	res := &types.QueryCommitsResponse{}
	err := q.k.WeightCommits.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint32](req.Netuid), func(key NeuronKey, c types.WeightCommits) (bool, error) {
		res.Commits = append(res.Commits, types.NeuronCommits{Netuid: key.K1(), Uid: key.K2(), Commits: c})
		return false, nil
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return res, nil
}
