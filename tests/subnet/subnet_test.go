// Package subnet tests x/subnet end to end on an in-process network running
// the real tensorcosm app: transactions signed and broadcast over gRPC,
// queries over gRPC and REST.
package subnet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	cmtservice "github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/testutil/network"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

type harness struct {
	t      *testing.T
	ctx    context.Context
	net    *network.Network
	client *chainclient.Client
	kr     keyring.Keyring
	addrs  map[string]string
}

func newHarness(t *testing.T) *harness { return newHarnessWith(t, 300*time.Millisecond) }

// newHarnessWith starts a one-validator network that commits a block every blockTime.
func newHarnessWith(t *testing.T, blockTime time.Duration) *harness {
	cfg, err := network.DefaultConfig(1)
	require.NoError(t, err)
	cfg.TimeoutCommit = blockTime
	cfg.AccountTokens = math.NewInt(1_000_000_000_000_000)
	cfg.StakingTokens = math.NewInt(1_000_000_000_000_000)
	net := network.New(t, cfg)
	_, err = net.WaitForHeightWithTimeout(2, time.Minute)
	require.NoError(t, err)
	val := net.Validators[0]
	client, err := chainclient.New(chainclient.Config{GRPCAddr: val.AppConfig.GRPC.Address, ChainID: cfg.ChainID}, val.ClientCtx.Keyring)
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return &harness{t: t, ctx: ctx, net: net, client: client, kr: val.ClientCtx.Keyring, addrs: map[string]string{}}
}

// newAccount creates a key and funds it from the validator.
func (h *harness) newAccount(name string, amount int64) string {
	rec, _, err := h.kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	require.NoError(h.t, err)
	addr, err := rec.GetAddress()
	require.NoError(h.t, err)
	bech, err := sdk.Bech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
	require.NoError(h.t, err)
	h.addrs[name] = bech
	val := h.net.Validators[0]
	from, err := sdk.Bech32ifyAddressBytes(chainclient.Bech32Prefix, val.Address)
	require.NoError(h.t, err)
	h.exec([]string{val.Moniker}, banktypes.NewMsgSend(sdk.MustAccAddressFromBech32(from), addr, sdk.NewCoins(sdk.NewInt64Coin("utensor", amount))))
	return bech
}

func (h *harness) exec(signers []string, msgs ...sdk.Msg) *sdk.TxResponse {
	h.t.Helper()
	res, err := h.client.Broadcast(h.ctx, signers, msgs...)
	require.NoError(h.t, err)
	return res
}

// accounts reads, at one height, the supply, what x/subnet has minted, the
// module balance and the pending emission of subnet 1.
type accounts struct {
	supply, issued, module, pending math.Int
}

func (h *harness) accountsAt(height int64) accounts {
	ctx := metadata.AppendToOutgoingContext(h.ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(height, 10))
	h.waitCommitted(ctx, types.NewQueryClient(h.client.Conn()), height)
	bank := banktypes.NewQueryClient(h.client.Conn())
	sup, err := bank.SupplyOf(ctx, &banktypes.QuerySupplyOfRequest{Denom: "utensor"})
	require.NoError(h.t, err)
	bal, err := bank.Balance(ctx, &banktypes.QueryBalanceRequest{
		Address: sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, moduleAddr()), Denom: "utensor"})
	require.NoError(h.t, err)
	em, err := types.NewQueryClient(h.client.Conn()).Emission(ctx, &types.QueryEmissionRequest{Netuid: 1})
	require.NoError(h.t, err)
	return accounts{supply: sup.Amount.Amount, issued: em.TotalIssued, module: bal.Balance.Amount, pending: em.Pending}
}

func (h *harness) height() int64 {
	res, err := cmtservice.NewServiceClient(h.client.Conn()).GetLatestBlock(h.ctx, &cmtservice.GetLatestBlockRequest{})
	require.NoError(h.t, err)
	return res.SdkBlock.Header.Height
}

// TestSubnetLifecycleOnNetwork creates a subnet, registers three hotkeys
// (coldkey and hotkey both sign), serves axons, stakes, reads the metagraph
// over gRPC and REST, checks the supply accounting with the real bank, and
// fills the subnet so that a fourth registration prunes the right UID.
func TestSubnetLifecycleOnNetwork(t *testing.T) {
	h := newHarness(t)
	owner := h.newAccount("owner", 10_000_000_000)
	cold := h.newAccount("cold", 10_000_000_000)
	staker := h.newAccount("staker", 10_000_000_000)
	var hots []string
	for i := 1; i <= 4; i++ {
		hots = append(hots, h.newAccount(fmt.Sprintf("hot%d", i), 1))
	}

	hp := types.DefaultHyperparams()
	hp.MaxAllowedUids, hp.MaxAllowedValidators, hp.ImmunityPeriod, hp.MaxRegistrationsPerBlock = 3, 3, 3, 4
	task := types.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []types.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []types.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
		Scoring: "accuracy",
	}
	h.exec([]string{"owner"}, &types.MsgCreateSubnet{Creator: owner, Name: "digits", Task: task, Hyperparams: &hp})
	const netuid = 1
	h0 := h.height()
	acc0 := h.accountsAt(h0)

	burned := math.ZeroInt()
	for i := 0; i < 3; i++ {
		res := h.exec([]string{"cold", fmt.Sprintf("hot%d", i+1)},
			&types.MsgRegister{Coldkey: cold, Hotkey: hots[i], Netuid: netuid, MaxBurn: math.NewInt(1_000_000_000)})
		burned = burned.Add(burnedIn(t, res))
	}
	// nobody registers a hotkey they do not control: coldkey alone is refused
	_, err := h.client.Broadcast(h.ctx, []string{"cold"}, &types.MsgRegister{Coldkey: cold, Hotkey: hots[3], Netuid: netuid, MaxBurn: math.NewInt(1_000_000_000)})
	require.ErrorContains(t, err, "wrong number of signers; expected 2, got 1")
	// ... and so is another hotkey signing in its place
	_, err = h.client.Broadcast(h.ctx, []string{"cold", "hot2"}, &types.MsgRegister{Coldkey: cold, Hotkey: hots[3], Netuid: netuid, MaxBurn: math.NewInt(1_000_000_000)})
	require.ErrorContains(t, err, "pubKey does not match signer address")

	for i := 0; i < 3; i++ {
		h.exec([]string{fmt.Sprintf("hot%d", i+1)}, &types.MsgServeAxon{
			Hotkey: hots[i], Netuid: netuid,
			Axon:  types.AxonInfo{Host: "127.0.0.1", Port: uint32(9100 + i), Protocol: "grpc"},
			Model: types.ModelCommitment{Sha256: strings.Repeat(fmt.Sprintf("%02x", i+1), 32), Size_: 1000},
		})
	}
	h.exec([]string{"staker"}, &types.MsgAddStake{Staker: staker, Hotkey: hots[1], Amount: math.NewInt(5_000_000)})

	// gRPC metagraph
	mg, err := types.NewQueryClient(h.client.Conn()).Metagraph(h.ctx, &types.QueryMetagraphRequest{Netuid: netuid})
	require.NoError(t, err)
	require.Len(t, mg.Neurons, 3)
	for i, n := range mg.Neurons {
		require.Equal(t, uint32(i), n.Neuron.Uid)
		require.Equal(t, hots[i], n.Neuron.Hotkey)
		require.Equal(t, cold, n.Neuron.Coldkey)
		require.NotNil(t, n.Neuron.Axon)
		require.Equal(t, uint32(9100+i), n.Neuron.Axon.Port)
	}
	// the stake warms up (stake_warmup_blocks) before the metagraph counts it
	require.True(t, mg.Neurons[1].Stake.IsZero(), "warming stake counted: %s", mg.Neurons[1].Stake)
	byHot, err := types.NewQueryClient(h.client.Conn()).StakeByHotkey(h.ctx, &types.QueryStakeByHotkeyRequest{Hotkey: hots[1]})
	require.NoError(t, err)
	require.True(t, byHot.Warming.Equal(math.NewInt(5_000_000)) && byHot.Total.IsZero(), "stake by hotkey: %+v", byHot)

	// REST metagraph
	api := h.net.Validators[0].APIAddress
	resp, err := http.Get(api + "/tensorcosm/subnet/v1/subnets/1/metagraph")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var rest struct {
		Neurons []struct {
			Neuron struct {
				Hotkey string `json:"hotkey"`
			} `json:"neuron"`
			Stake string `json:"stake"`
		} `json:"neurons"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rest))
	require.Len(t, rest.Neurons, 3)
	require.Equal(t, hots[1], rest.Neurons[1].Neuron.Hotkey)
	require.Equal(t, "0", rest.Neurons[1].Stake)

	// supply fell by exactly the burns; the module holds stake + lock
	// supply changed by exactly what x/subnet minted minus what registration
	// burned; the module holds exactly lock + stake + pending emission
	acc1 := h.accountsAt(h.height())
	minted := acc1.issued.Sub(acc0.issued)
	require.True(t, acc1.supply.Sub(acc0.supply).Equal(minted.Sub(burned)),
		"supply moved by %s, minted %s, burned %s", acc1.supply.Sub(acc0.supply), minted, burned)
	require.True(t, minted.IsPositive(), "no emission minted")
	want := types.DefaultParams().SubnetLockCost.AddRaw(5_000_000).Add(acc1.pending)
	require.True(t, acc1.module.Equal(want), "module balance %s, want lock + stake + pending = %s", acc1.module, want)

	// full subnet: once immunity is over, hot4 replaces UID 0 (all emissions
	// are 0, so the oldest registration goes)
	_, err = h.net.WaitForHeightWithTimeout(mg.Block+4, time.Minute)
	require.NoError(t, err)
	res := h.exec([]string{"cold", "hot4"}, &types.MsgRegister{Coldkey: cold, Hotkey: hots[3], Netuid: netuid, MaxBurn: math.NewInt(1_000_000_000)})
	var reg types.MsgRegisterResponse
	require.NoError(t, unpackResponse(h, res, &reg))
	require.Equal(t, uint32(0), reg.Uid)
	require.Equal(t, hots[0], reg.ReplacedHotkey)
	mg, err = types.NewQueryClient(h.client.Conn()).Metagraph(h.ctx, &types.QueryMetagraphRequest{Netuid: netuid})
	require.NoError(t, err)
	require.Equal(t, hots[3], mg.Neurons[0].Neuron.Hotkey)
	require.Nil(t, mg.Neurons[0].Neuron.Axon, "the replaced UID keeps no axon")
}
