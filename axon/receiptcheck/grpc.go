package receiptcheck

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"

	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// NewGRPC returns a Querier over conn, a gRPC connection to a node (or
// anything that speaks its services, such as a client.Context). It queries
// x/subnet at a height given in the x-cosmos-block-height header, which
// the node's gRPC server honours, and takes the latest height from the
// cosmos.base.tendermint.v1beta1 Service's GetLatestBlock.
func NewGRPC(conn grpc.ClientConnInterface) Querier {
	return grpcQuerier{subnet: subnettypes.NewQueryClient(conn), tm: cmtservice.NewServiceClient(conn)}
}

// grpcQuerier is NewGRPC's Querier.
type grpcQuerier struct {
	subnet subnettypes.QueryClient
	tm     cmtservice.ServiceClient
}

// atHeight returns ctx with the header that makes a Cosmos SDK node answer
// a gRPC query from its state at height.
func atHeight(ctx context.Context, height int64) context.Context {
	return metadata.AppendToOutgoingContext(ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(height, 10))
}

// ModelAt implements Querier with x/subnet's NeuronByHotkey at height.
func (g grpcQuerier) ModelAt(ctx context.Context, height int64, netuid uint32, hotkey string) (string, error) {
	res, err := g.subnet.NeuronByHotkey(atHeight(ctx, height),
		&subnettypes.QueryNeuronByHotkeyRequest{Netuid: netuid, Hotkey: hotkey})
	if err != nil {
		return "", ClassifyHeightError(err)
	}
	if m := res.Neuron.Neuron.Model; m != nil {
		return m.Sha256, nil
	}
	return "", nil
}

// HasState implements Querier with x/subnet's Params at height.
func (g grpcQuerier) HasState(ctx context.Context, height int64) (bool, error) {
	_, err := g.subnet.Params(atHeight(ctx, height), &subnettypes.QueryParamsRequest{})
	switch err := ClassifyHeightError(err); {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrHeightPruned):
		return false, nil
	default:
		return false, err
	}
}

// LatestHeight implements Querier with GetLatestBlock, reading the SDK
// block's header (cosmos-sdk v0.47 and later fill sdk_block).
func (g grpcQuerier) LatestHeight(ctx context.Context) (int64, error) {
	res, err := g.tm.GetLatestBlock(ctx, &cmtservice.GetLatestBlockRequest{})
	if err != nil {
		return 0, fmt.Errorf("latest block: %w", err)
	}
	if res.SdkBlock == nil {
		return 0, errors.New("latest block: the node sent no sdk_block (cosmos-sdk before v0.47?)")
	}
	return res.SdkBlock.Header.Height, nil
}
