package keeper

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

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

// Weights returns a page of a subnet's weight rows in UID order
// (types.RowsPage: 64 rows unless asked, at most 128).
func (q queryServer) Weights(ctx context.Context, req *types.QueryWeightsRequest) (*types.QueryWeightsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	rows, page, err := query.CollectionPaginate(ctx, q.k.Weights, types.RowsPage(req.Pagination),
		func(key NeuronKey, row types.WeightsRow) (types.NeuronWeights, error) {
			return types.NeuronWeights{Netuid: key.K1(), Uid: key.K2(), Row: row}, nil
		}, query.WithCollectionPaginationPairPrefix[uint32, uint32](req.Netuid))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryWeightsResponse{Weights: rows, Pagination: page}, nil
}

// Bonds returns a page of a subnet's bonds rows in UID order
// (types.RowsPage).
func (q queryServer) Bonds(ctx context.Context, req *types.QueryBondsRequest) (*types.QueryBondsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	rows, page, err := query.CollectionPaginate(ctx, q.k.Bonds, types.RowsPage(req.Pagination),
		func(key NeuronKey, row types.BondsRow) (types.NeuronBonds, error) {
			return types.NeuronBonds{Netuid: key.K1(), Uid: key.K2(), Row: row}, nil
		}, query.WithCollectionPaginationPairPrefix[uint32, uint32](req.Netuid))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryBondsResponse{Bonds: rows, Pagination: page}, nil
}

// Commits returns a page of a subnet's pending weight commits in UID order
// (types.RowsPage).
func (q queryServer) Commits(ctx context.Context, req *types.QueryCommitsRequest) (*types.QueryCommitsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	rows, page, err := query.CollectionPaginate(ctx, q.k.WeightCommits, types.RowsPage(req.Pagination),
		func(key NeuronKey, c types.WeightCommits) (types.NeuronCommits, error) {
			return types.NeuronCommits{Netuid: key.K1(), Uid: key.K2(), Commits: c}, nil
		}, query.WithCollectionPaginationPairPrefix[uint32, uint32](req.Netuid))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryCommitsResponse{Commits: rows, Pagination: page}, nil
}
