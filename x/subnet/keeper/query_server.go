package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// maxMetagraphPage is the page size of Metagraph when none is given: the
// largest subnet fits in one call.
const maxMetagraphPage = 4096

type queryServer struct {
	k Keeper
}

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the x/subnet Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer {
	return queryServer{k: k}
}

// Params returns the module params.
func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Subnet returns one subnet and its neuron count.
func (q queryServer) Subnet(ctx context.Context, req *types.QuerySubnetRequest) (*types.QuerySubnetResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	s, err := q.k.GetSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	n, err := q.k.neuronCount(ctx, req.Netuid)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QuerySubnetResponse{Subnet: s, Neurons: n}, nil
}

// Subnets lists subnets in netuid order.
func (q queryServer) Subnets(ctx context.Context, req *types.QuerySubnetsRequest) (*types.QuerySubnetsResponse, error) {
	if req == nil {
		req = &types.QuerySubnetsRequest{}
	}
	subnets, page, err := query.CollectionPaginate(ctx, q.k.Subnets, req.Pagination,
		func(_ uint32, s types.Subnet) (types.Subnet, error) { return s, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QuerySubnetsResponse{Subnets: subnets, Pagination: page}, nil
}

// Neuron returns the neuron at (netuid, uid).
func (q queryServer) Neuron(ctx context.Context, req *types.QueryNeuronRequest) (*types.QueryNeuronResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	n, err := q.k.Neurons.Get(ctx, collections.Join(req.Netuid, req.Uid))
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "no neuron at uid %d in subnet %d", req.Uid, req.Netuid)
	}
	info, err := q.k.neuronInfo(ctx, n)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryNeuronResponse{Neuron: info}, nil
}

// NeuronByHotkey returns the neuron of a hotkey in a subnet.
func (q queryServer) NeuronByHotkey(ctx context.Context, req *types.QueryNeuronByHotkeyRequest) (*types.QueryNeuronByHotkeyResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	hotkey, err := q.k.parseAddr("hotkey", req.Hotkey)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	n, err := q.k.GetNeuronByHotkey(ctx, req.Netuid, hotkey)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	info, err := q.k.neuronInfo(ctx, n)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryNeuronByHotkeyResponse{Neuron: info}, nil
}

// Metagraph returns a subnet's neurons in UID order with stake and take,
// all of them in one page unless the request asks for smaller pages.
func (q queryServer) Metagraph(ctx context.Context, req *types.QueryMetagraphRequest) (*types.QueryMetagraphResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, err := q.k.GetSubnet(ctx, req.Netuid); err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	page := req.Pagination
	if page == nil {
		page = &query.PageRequest{Limit: maxMetagraphPage}
	} else if page.Limit == 0 {
		p := *page
		p.Limit = maxMetagraphPage
		page = &p
	}
	// Collect the page first and read stake and take afterwards: reads
	// inside an open iterator can deadlock a store that holds a read lock
	// for the iterator's lifetime (the in-memory DB does).
	neuronPage, pageRes, err := query.CollectionPaginate(ctx, q.k.Neurons, page,
		func(_ NeuronKey, n types.Neuron) (types.Neuron, error) { return n, nil },
		query.WithCollectionPaginationPairPrefix[uint32, uint32](req.Netuid))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	neurons := make([]types.NeuronInfo, len(neuronPage))
	for i, n := range neuronPage {
		if neurons[i], err = q.k.neuronInfo(ctx, n); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	return &types.QueryMetagraphResponse{
		Netuid:     req.Netuid,
		Block:      sdk.UnwrapSDKContext(ctx).BlockHeight(),
		Neurons:    neurons,
		Pagination: pageRes,
	}, nil
}

// neuronInfo adds the hotkey's stake in the neuron's subnet (its share of
// the counted stake, as the epoch uses it) and take to a neuron.
func (k Keeper) neuronInfo(ctx context.Context, n types.Neuron) (types.NeuronInfo, error) {
	hotkey, err := k.parseAddr("hotkey", n.Hotkey)
	if err != nil {
		return types.NeuronInfo{}, err
	}
	stake, err := k.StakeIn(ctx, hotkey, n.Netuid)
	if err != nil {
		return types.NeuronInfo{}, err
	}
	take, err := k.DelegateTake(ctx, hotkey)
	if err != nil {
		return types.NeuronInfo{}, err
	}
	if n.LastEpoch.Emission.IsNil() {
		n.LastEpoch.Emission = math.ZeroInt()
	}
	return types.NeuronInfo{Neuron: n, Stake: stake, DelegateTake: take.Take}, nil
}

// StakeByHotkey lists the stakes on a hotkey and their total.
func (q queryServer) StakeByHotkey(ctx context.Context, req *types.QueryStakeByHotkeyRequest) (*types.QueryStakeByHotkeyResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	hotkey, err := q.k.parseAddr("hotkey", req.Hotkey)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	stakes, page, err := query.CollectionPaginate(ctx, q.k.Stakes, req.Pagination,
		func(key StakeKey, amt math.Int) (types.Stake, error) { return q.k.stakeRecord(key, amt) },
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, sdk.AccAddress](hotkey))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	total, err := q.k.HotkeyStake(ctx, hotkey)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	warming, err := q.k.HotkeyWarming(ctx, hotkey)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryStakeByHotkeyResponse{Stakes: stakes, Total: total, Warming: warming, Pagination: page}, nil
}

// StakeByStaker lists a staker's stakes.
func (q queryServer) StakeByStaker(ctx context.Context, req *types.QueryStakeByStakerRequest) (*types.QueryStakeByStakerResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	staker, err := q.k.parseAddr("staker", req.Staker)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	stakes, page, err := q.k.stakesOfStaker(ctx, staker, req.Pagination)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryStakeByStakerResponse{Stakes: stakes, Pagination: page}, nil
}

// stakesOfStaker lists a staker's stakes in hotkey order. The staker index
// has no raw iterator for the SDK paginator, so pages are cut by
// offset/limit here; key-based pages are not supported.
func (k Keeper) stakesOfStaker(ctx context.Context, staker sdk.AccAddress, page *query.PageRequest) ([]types.Stake, *query.PageResponse, error) {
	if page != nil && len(page.Key) > 0 {
		return nil, nil, status.Error(codes.InvalidArgument, "key-based pagination is not supported here; use offset")
	}
	it, err := k.Stakes.Indexes.Staker.MatchExact(ctx, staker)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = it.Close() }()
	keys, err := it.PrimaryKeys()
	if err != nil {
		return nil, nil, err
	}
	offset, limit := uint64(0), uint64(len(keys))
	if page != nil {
		offset = min(page.Offset, uint64(len(keys)))
		if page.Limit > 0 {
			limit = page.Limit
		}
	}
	end := min(offset+limit, uint64(len(keys)))
	out := make([]types.Stake, 0, end-offset)
	for _, key := range keys[offset:end] {
		amt, err := k.Stakes.Get(ctx, key)
		if err != nil {
			return nil, nil, err
		}
		rec, err := k.stakeRecord(key, amt)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, rec)
	}
	return out, &query.PageResponse{Total: uint64(len(keys))}, nil
}

func (k Keeper) stakeRecord(key StakeKey, amt math.Int) (types.Stake, error) {
	hotkey, err := k.addressCodec.BytesToString(key.K1())
	if err != nil {
		return types.Stake{}, err
	}
	staker, err := k.addressCodec.BytesToString(key.K2())
	return types.Stake{Hotkey: hotkey, Staker: staker, Amount: amt}, err
}

// RegistrationPrice returns a subnet's current registration price.
func (q queryServer) RegistrationPrice(ctx context.Context, req *types.QueryRegistrationPriceRequest) (*types.QueryRegistrationPriceResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	price, left, err := q.k.RegistrationPrice(ctx, req.Netuid)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	return &types.QueryRegistrationPriceResponse{Price: price, RegistrationsLeft: left}, nil
}
