// Package neurontest is what the miner's and the validator's tests share: an
// in-process chain with a signing client, keyrings, the digits task and
// trained models, and a logger that writes to the test log.
package neurontest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/network"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// DigitsTask is the default subnet task.
var DigitsTask = subnettypes.TaskSpec{
	Kind:    "digits-classification",
	Inputs:  []subnettypes.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
	Outputs: []subnettypes.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
	Scoring: "accuracy",
}

// Chain is an in-process one-validator network and a client signing with
// the validator's keyring.
type Chain struct {
	T      testing.TB
	Ctx    context.Context
	Cfg    network.Config
	Net    *network.Network
	Client *chainclient.Client
}

// StartChain starts a network with blocks every blockTime and waits for
// height 2. Each opt may change the network's config first (a pruning
// strategy, say).
func StartChain(t testing.TB, blockTime time.Duration, opts ...func(*network.Config)) *Chain {
	cfg, err := network.DefaultConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeoutCommit = blockTime
	cfg.AccountTokens = sdkmath.NewInt(1_000_000_000_000_000)
	cfg.StakingTokens = sdkmath.NewInt(1_000_000_000_000_000)
	for _, o := range opts {
		o(&cfg)
	}
	net := network.New(t, cfg)
	if _, err := net.WaitForHeightWithTimeout(2, time.Minute); err != nil {
		t.Fatal(err)
	}
	val := net.Validators[0]
	client, err := chainclient.New(chainclient.Config{GRPCAddr: val.AppConfig.GRPC.Address, ChainID: cfg.ChainID}, val.ClientCtx.Keyring)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return &Chain{T: t, Ctx: ctx, Cfg: cfg, Net: net, Client: client}
}

// GRPCAddress is the node's gRPC endpoint.
func (c *Chain) GRPCAddress() string { return c.Net.Validators[0].AppConfig.GRPC.Address }

// Keyring is the validator's keyring, where Key creates keys.
func (c *Chain) Keyring() keyring.Keyring { return c.Net.Validators[0].ClientCtx.Keyring }

// Exec broadcasts msgs signed by the named keys of the validator's keyring
// and fails the test unless they succeed.
func (c *Chain) Exec(signers []string, msgs ...sdk.Msg) *sdk.TxResponse {
	c.T.Helper()
	res, err := c.Client.Broadcast(c.Ctx, signers, msgs...)
	if err != nil {
		c.T.Fatal(err)
	}
	return res
}

// Fund sends utensor from the validator to addr.
func (c *Chain) Fund(addr string, amount int64) {
	c.T.Helper()
	val := c.Net.Validators[0]
	from := sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, val.Address)
	c.Exec([]string{val.Moniker}, &banktypes.MsgSend{FromAddress: from, ToAddress: addr,
		Amount: sdk.NewCoins(sdk.NewInt64Coin("utensor", amount))})
}

// Key creates a key in the validator's keyring and funds it.
func (c *Chain) Key(name string, amount int64) string {
	c.T.Helper()
	addr := NewKey(c.T, c.Keyring(), name)
	c.Fund(addr, amount)
	return addr
}

// Query is an x/subnet query client.
func (c *Chain) Query() subnettypes.QueryClient { return subnettypes.NewQueryClient(c.Client.Conn()) }

// Neuron returns the neuron of hotkey in netuid.
func (c *Chain) Neuron(netuid uint32, hotkey string) (subnettypes.Neuron, error) {
	res, err := c.Query().NeuronByHotkey(c.Ctx, &subnettypes.QueryNeuronByHotkeyRequest{Netuid: netuid, Hotkey: hotkey})
	if err != nil {
		return subnettypes.Neuron{}, err
	}
	return res.Neuron.Neuron, nil
}

// NewKeyring opens a test-backend keyring in dir with a fresh key for each
// name, and returns the keys' addresses.
func NewKeyring(t testing.TB, dir string, names ...string) (keyring.Keyring, []string) {
	t.Helper()
	enc, err := chainclient.NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, dir, nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	addrs := make([]string, len(names))
	for i, name := range names {
		addrs[i] = NewKey(t, kr, name)
	}
	return kr, addrs
}

// NewKey adds a fresh secp256k1 key to kr and returns its address.
func NewKey(t testing.TB, kr keyring.Keyring, name string) string {
	t.Helper()
	rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	return sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
}

// TrainModel trains a digits MLP with opts, writes it as ONNX and returns
// its path and the held-out set; it also loads the ONNX Runtime library.
func TrainModel(t testing.TB, opts digits.TrainOptions) (string, *digits.Dataset) {
	t.Helper()
	if err := onnx.InitRuntime(ortlib.LibraryPath(t)); err != nil {
		t.Fatal(err)
	}
	train, held, err := digits.LoadDigitsSplit(ortlib.DigitsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := digits.Train(train, held, opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "digits.onnx")
	if err := m.WriteONNX(path); err != nil {
		t.Fatal(err)
	}
	return path, held
}

// Logger sends a daemon's JSON logs to the test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
