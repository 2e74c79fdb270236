package keeper

import (
	"context"
	"encoding/binary"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const (
	// defaultUnbondingsPage is the page size of the unbonding and warming
	// queries when the request names none; maxUnbondingsPage caps a
	// requested limit.
	defaultUnbondingsPage = 100
	maxUnbondingsPage     = 1_000
)

// UnbondingsByStaker lists a staker's unbondings in id order, by page.
func (q queryServer) UnbondingsByStaker(ctx context.Context, req *types.QueryUnbondingsByStakerRequest) (*types.QueryUnbondingsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	staker, err := q.k.parseAddr("staker", req.Staker)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return q.k.unbondingsPage(ctx, q.k.Unbondings.Indexes.Staker, staker, req.Pagination)
}

// UnbondingsByHotkey lists the unbondings from a hotkey in id order, by page.
func (q queryServer) UnbondingsByHotkey(ctx context.Context, req *types.QueryUnbondingsByHotkeyRequest) (*types.QueryUnbondingsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	hotkey, err := q.k.parseAddr("hotkey", req.Hotkey)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return q.k.unbondingsPage(ctx, q.k.Unbondings.Indexes.Hotkey, hotkey, req.Pagination)
}

// unbondingsPage reads one page of the unbondings an index holds for addr.
// The page key is the last id returned (8 bytes, big-endian); without a
// key, offset skips entries. Limit defaults to 100 and is capped at 1,000.
func (k Keeper) unbondingsPage(ctx context.Context, idx *indexes.Multi[sdk.AccAddress, uint64, types.Unbonding], addr sdk.AccAddress, page *query.PageRequest) (*types.QueryUnbondingsResponse, error) {
	limit, skip := uint64(defaultUnbondingsPage), uint64(0)
	rng := collections.NewPrefixedPairRange[sdk.AccAddress, uint64](addr)
	if page != nil {
		if page.Limit > 0 {
			limit = min(page.Limit, maxUnbondingsPage)
		}
		switch len(page.Key) {
		case 0:
			skip = page.Offset
		case 8:
			rng = rng.StartExclusive(binary.BigEndian.Uint64(page.Key))
		default:
			return nil, status.Error(codes.InvalidArgument, "page key must be the 8-byte id of the last unbonding returned")
		}
	}
	res := &types.QueryUnbondingsResponse{Pagination: &query.PageResponse{}}
	var more bool
	err := idx.Walk(ctx, rng, func(_ sdk.AccAddress, id uint64) (bool, error) {
		if skip > 0 {
			skip--
			return false, nil
		}
		if uint64(len(res.Unbondings)) == limit {
			more = true
			return true, nil
		}
		u, err := k.Unbondings.Get(ctx, id)
		res.Unbondings = append(res.Unbondings, u)
		return false, err
	})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if more {
		res.Pagination.NextKey = binary.BigEndian.AppendUint64(nil, res.Unbondings[len(res.Unbondings)-1].Id)
	}
	return res, nil
}

// WarmingStakes lists the stake warming up on a hotkey, by staker, by page
// (limit as the unbonding queries).
func (q queryServer) WarmingStakes(ctx context.Context, req *types.QueryWarmingStakesRequest) (*types.QueryWarmingStakesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	hotkey, err := q.k.parseAddr("hotkey", req.Hotkey)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	pageReq := query.PageRequest{Limit: defaultUnbondingsPage}
	if req.Pagination != nil {
		pageReq = *req.Pagination
		if pageReq.Limit == 0 {
			pageReq.Limit = defaultUnbondingsPage
		}
		pageReq.Limit = min(pageReq.Limit, maxUnbondingsPage)
	}
	warming, page, err := query.CollectionPaginate(ctx, q.k.WarmingStakes, &pageReq,
		func(_ StakeKey, w types.WarmingStake) (types.WarmingStake, error) { return w, nil },
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, sdk.AccAddress](hotkey))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryWarmingStakesResponse{Warming: warming, Pagination: page}, nil
}
