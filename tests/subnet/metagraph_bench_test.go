package subnet

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/testutil/network"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// BenchmarkMetagraphGRPC measures Query/Metagraph for a subnet of 4096
// neurons (each with an axon, a model commitment and stake) through gRPC on
// loopback, against an in-process node. The target is < 50 ms.
func BenchmarkMetagraphGRPC(b *testing.B) {
	n := benchNeurons
	cfg, err := network.DefaultConfig(1)
	if err != nil {
		b.Fatal(err)
	}
	cfg.GenesisState[types.ModuleName] = cfg.Codec.MustMarshalJSON(bigSubnetGenesis(n))
	net := network.New(b, cfg)
	if _, err := net.WaitForHeightWithTimeout(2, time.Minute); err != nil {
		b.Fatal(err)
	}
	client, err := chainclient.New(chainclient.Config{GRPCAddr: net.Validators[0].AppConfig.GRPC.Address, ChainID: cfg.ChainID}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	q := types.NewQueryClient(client.Conn())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := q.Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: 1})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Neurons) != n {
		b.Fatalf("metagraph has %d neurons, want %d", len(res.Neurons), n)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := q.Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
}

var benchNeurons = 4096

// bigSubnetGenesis is a genesis with one subnet of n neurons. The stake
// entries are not backed by a module balance: this state is for timing
// reads only.
func bigSubnetGenesis(n int) *types.GenesisState {
	gs := types.DefaultGenesis()
	hp := types.DefaultHyperparams()
	hp.MaxAllowedUids, hp.MaxAllowedValidators = uint32(n), 256
	owner := sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, secp256k1.GenPrivKey().PubKey().Address())
	gs.NextNetuid = 2
	gs.Subnets = []types.Subnet{{
		Netuid: 1, Owner: owner, Name: "bench", Hyperparams: hp, Locked: math.ZeroInt(),
		Task: types.TaskSpec{Kind: "digits-classification",
			Inputs:  []types.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
			Outputs: []types.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}}},
	}}
	for uid := 0; uid < n; uid++ {
		hot := sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, secp256k1.GenPrivKey().PubKey().Address())
		gs.Neurons = append(gs.Neurons, types.Neuron{
			Netuid: 1, Uid: uint32(uid), Hotkey: hot, Coldkey: owner,
			Axon:      &types.AxonInfo{Host: "127.0.0.1", Port: uint32(10000 + uid), Protocol: "grpc"},
			Model:     &types.ModelCommitment{Sha256: strings.Repeat(fmt.Sprintf("%02x", uid%256), 32), Size_: 10_240},
			LastEpoch: types.EpochResult{Emission: math.NewInt(int64(uid)), Incentive: uint32(uid % 65535)},
		})
		gs.Stakes = append(gs.Stakes, types.Stake{Hotkey: hot, Staker: owner, Amount: math.NewInt(int64(1_000_000 + uid))})
	}
	return gs
}
