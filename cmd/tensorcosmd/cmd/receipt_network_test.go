package cmd

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"
	pruningtypes "cosmossdk.io/store/pruning/types"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/axon/receipttest"
	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/testutil/network"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestReceiptVerifyOnNetwork runs `receipt verify` against a real chain:
// a miner commits model A, then swaps to model B. A receipt for A at the
// first height verifies; the same model claimed at the second height, a
// receipt from before the miner registered, and one from a height the
// node has not reached all fail with their own message.
func TestReceiptVerifyOnNetwork(t *testing.T) {
	cfg, err := network.DefaultConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeoutCommit = 300 * time.Millisecond
	cfg.AccountTokens = math.NewInt(1_000_000_000_000_000)
	cfg.StakingTokens = math.NewInt(1_000_000_000_000_000)
	net := network.New(t, cfg)
	if _, err := net.WaitForHeightWithTimeout(2, time.Minute); err != nil {
		t.Fatal(err)
	}
	val := net.Validators[0]
	kr := val.ClientCtx.Keyring
	cc, err := chainclient.New(chainclient.Config{GRPCAddr: val.AppConfig.GRPC.Address, ChainID: cfg.ChainID}, kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	exec := func(signers []string, msgs ...sdk.Msg) *sdk.TxResponse {
		t.Helper()
		res, err := cc.Broadcast(ctx, signers, msgs...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	from := sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, val.Address)
	account := func(name string, amount int64) string {
		rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := rec.GetAddress()
		if err != nil {
			t.Fatal(err)
		}
		exec([]string{val.Moniker}, banktypes.NewMsgSend(sdk.MustAccAddressFromBech32(from), addr, sdk.NewCoins(sdk.NewInt64Coin("utensor", amount))))
		return sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
	}
	owner, cold, hot := account("owner", 10_000_000_000), account("cold", 10_000_000_000), account("hot", 1)
	before := exec([]string{val.Moniker}, banktypes.NewMsgSend(sdk.MustAccAddressFromBech32(from), sdk.MustAccAddressFromBech32(owner), sdk.NewCoins(sdk.NewInt64Coin("utensor", 1)))).Height

	hp := subnettypes.DefaultHyperparams()
	hp.ServingRateLimit = 0
	task := subnettypes.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []subnettypes.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []subnettypes.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
		Scoring: "accuracy",
	}
	exec([]string{"owner"}, &subnettypes.MsgCreateSubnet{Creator: owner, Name: "digits", Task: task, Hyperparams: &hp})
	const netuid = 1
	exec([]string{"cold", "hot"}, &subnettypes.MsgRegister{Coldkey: cold, Hotkey: hot, Netuid: netuid, MaxBurn: math.NewInt(1_000_000_000)})
	modelA, modelB := bytes.Repeat([]byte{0xaa}, 32), bytes.Repeat([]byte{0xbb}, 32)
	serve := func(model []byte) int64 {
		return exec([]string{"hot"}, &subnettypes.MsgServeAxon{
			Hotkey: hot, Netuid: netuid,
			Axon:  subnettypes.AxonInfo{Host: "127.0.0.1", Port: 9100, Protocol: "grpc"},
			Model: subnettypes.ModelCommitment{Sha256: hex.EncodeToString(model), Size_: 1000},
		}).Height
	}
	heightA := serve(modelA)
	heightB := serve(modelB)
	if _, err := net.WaitForHeight(heightB + 1); err != nil {
		t.Fatal(err)
	}

	miner, err := axon.NewKeyringSigner(kr, "hot")
	if err != nil {
		t.Fatal(err)
	}
	run := func(r *axonpb.Receipt) (map[string]any, error) {
		t.Helper()
		b, err := axon.MarshalReceipt(r)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "receipt.json")
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, runErr := clitestutil.ExecTestCLICmd(val.ClientCtx, quietReceiptVerify(),
			[]string{file, "--node", val.RPCAddress, "--output", "json"})
		var rep map[string]any
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("output is not JSON (%v): %s", err, out.String())
		}
		return rep, runErr
	}

	rep, err := run(receipttest.Receipt(t, miner, netuid, heightA, modelA))
	if err != nil || rep["valid"] != true || rep["chain_model_sha256"] != hex.EncodeToString(modelA) {
		t.Fatalf("model A at height %d: err %v, report %v", heightA, err, rep)
	}
	cases := []struct {
		name   string
		height int64
		model  []byte
		want   string
	}{
		{"model A after the swap", heightB, modelA, "is not " + hot + "'s commitment at height"},
		{"model B before the swap", heightA, modelB, "is not " + hot + "'s commitment at height"},
		{"before registration", before, modelA, "was not a neuron of netuid 1 at height"},
		{"future height", heightB + 1_000_000, modelB, "below the receipt's height"},
	}
	for _, c := range cases {
		rep, err := run(receipttest.Receipt(t, miner, netuid, c.height, c.model))
		if err == nil || rep["valid"] != false || !strings.Contains(rep["error"].(string), c.want) {
			t.Errorf("%s: err %v, report %v, want an error containing %q", c.name, err, rep, c.want)
		}
	}
	if rep, err := run(receipttest.Receipt(t, miner, netuid, heightB, modelB)); err != nil || rep["valid"] != true {
		t.Errorf("model B at height %d: err %v, report %v", heightB, err, rep)
	}
}

// TestReceiptVerifyPrunedHeightOnNetwork runs `receipt verify` against a
// node that prunes everything but its last states: a receipt from an early
// height is refused with the pruning message and the earliest height the
// node still holds, found on the node itself.
func TestReceiptVerifyPrunedHeightOnNetwork(t *testing.T) {
	cfg, err := network.DefaultConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TimeoutCommit = 100 * time.Millisecond
	cfg.PruningStrategy = pruningtypes.PruningOptionEverything // keep 2 recent, prune every 10
	net := network.New(t, cfg)
	latest, err := net.WaitForHeightWithTimeout(30, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	val := net.Validators[0]
	miner, err := axon.NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("pruned-miner")))
	if err != nil {
		t.Fatal(err)
	}
	b, err := axon.MarshalReceipt(receipttest.Receipt(t, miner, 1, 3, bytes.Repeat([]byte{0xaa}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, runErr := clitestutil.ExecTestCLICmd(val.ClientCtx, quietReceiptVerify(),
		[]string{file, "--node", val.RPCAddress, "--output", "json"})
	var rep struct {
		Valid    bool   `json:"valid"`
		Error    string `json:"error"`
		Earliest int64  `json:"earliest_available_height"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not JSON (%v): %s", err, out.String())
	}
	if runErr == nil || rep.Valid || rep.Earliest <= 3 || rep.Earliest < latest-20 {
		t.Fatalf("err %v, report %+v; want a pruning error with the earliest height in (%d, latest]", runErr, rep, latest-20)
	}
	t.Logf("latest %d: %s", latest, rep.Error)
	want := fmt.Sprintf("the node has pruned height 3 (earliest available %d); query an archive node", rep.Earliest)
	if rep.Error != want {
		t.Errorf("error %q, want %q", rep.Error, want)
	}
	// the earliest height it names is one the node answers for
	ok, err := nodeCommitments{val.ClientCtx.WithNodeURI(val.RPCAddress).WithClient(val.RPCClient)}.HasState(context.Background(), rep.Earliest)
	if err != nil || !ok {
		t.Errorf("the node does not hold the state at the earliest height %d it reported: %v", rep.Earliest, err)
	}
}

// quietReceiptVerify is the command as the root runs it: errors are not
// printed by cobra (main prints them on stderr), so stdout is the report.
func quietReceiptVerify() *cobra.Command {
	c := receiptVerifyCommand()
	c.SilenceErrors, c.SilenceUsage = true, true
	return c
}
