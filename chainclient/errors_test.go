package chainclient_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// fakeNode answers the three calls Broadcast makes (account, broadcast, tx lookup) with
// the results a test sets: check is CheckTx's, deliver the block's.
type fakeNode struct {
	txtypes.UnimplementedServiceServer
	authtypes.UnimplementedQueryServer
	check, deliver *sdk.TxResponse
}

func (f *fakeNode) AccountInfo(_ context.Context, req *authtypes.QueryAccountInfoRequest) (*authtypes.QueryAccountInfoResponse, error) {
	return &authtypes.QueryAccountInfoResponse{Info: &authtypes.BaseAccount{Address: req.Address, AccountNumber: 3, Sequence: 4}}, nil
}

func (f *fakeNode) BroadcastTx(context.Context, *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	return &txtypes.BroadcastTxResponse{TxResponse: f.check}, nil
}

func (f *fakeNode) GetTx(context.Context, *txtypes.GetTxRequest) (*txtypes.GetTxResponse, error) {
	return &txtypes.GetTxResponse{TxResponse: f.deliver}, nil
}

// startFakeNode serves node on a loopback port and returns a client for it whose keyring
// holds "alice", and alice's address.
func startFakeNode(t *testing.T, node *fakeNode) (*chainclient.Client, string) {
	t.Helper()
	enc, err := chainclient.NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(enc.Codec.GRPCCodec()))
	txtypes.RegisterServiceServer(srv, node)
	authtypes.RegisterQueryServer(srv, node)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	kr := keyring.NewInMemory(enc.Codec)
	rec, _, err := kr.NewMnemonic("alice", keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	bech, err := sdk.Bech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := chainclient.New(chainclient.Config{GRPCAddr: lis.Addr().String(), ChainID: "test", InclusionTimeout: 5 * time.Second}, kr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, bech
}

// TestBroadcastTypedErrors checks that a transaction the chain refuses (CheckTx) or that
// fails in a block (DeliverTx) comes back as an error that errors.Is matches against the
// registered error of its codespace and code, x/subnet's and the SDK's alike, and against
// ErrTxFailed, and against nothing else.
func TestBroadcastTypedErrors(t *testing.T) {
	ok := &sdk.TxResponse{TxHash: "AB12"}
	fail := func(e interface {
		ABCICode() uint32
		Codespace() string
	}, height int64, log string) *sdk.TxResponse {
		return &sdk.TxResponse{TxHash: "AB12", Height: height, Code: e.ABCICode(), Codespace: e.Codespace(), RawLog: log}
	}
	for _, tt := range []struct {
		name           string
		check, deliver *sdk.TxResponse
		want           error // nil: the transaction succeeds
		height         int64
	}{
		{"included", ok, &sdk.TxResponse{TxHash: "AB12", Height: 9}, nil, 0},
		{"checktx x/subnet error", fail(subnettypes.ErrServingRateLimit, 0, "serving rate limit: next announcement at block 60"), nil, subnettypes.ErrServingRateLimit, 0},
		{"checktx sequence mismatch", fail(sdkerrors.ErrWrongSequence, 0, "account sequence mismatch, expected 5, got 4: incorrect account sequence"), nil, sdkerrors.ErrWrongSequence, 0},
		{"checktx insufficient funds", fail(sdkerrors.ErrInsufficientFunds, 0, "spendable balance 0utensor is smaller than 1000utensor: insufficient funds"), nil, sdkerrors.ErrInsufficientFunds, 0},
		{"delivertx x/subnet error", ok, fail(subnettypes.ErrNotHotkeyOwner, 7, "signer does not own the hotkey"), subnettypes.ErrNotHotkeyOwner, 7},
		{"delivertx unregistered code", ok, &sdk.TxResponse{TxHash: "AB12", Height: 8, Code: 999, Codespace: "elsewhere", RawLog: "?"}, chainclient.ErrTxFailed, 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, alice := startFakeNode(t, &fakeNode{check: tt.check, deliver: tt.deliver})
			msg := &banktypes.MsgSend{FromAddress: alice, ToAddress: alice, Amount: sdk.NewCoins(sdk.NewInt64Coin("utensor", 1))}
			_, err := c.Broadcast(context.Background(), []string{"alice"}, msg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("included transaction: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, chainclient.ErrTxFailed) {
				t.Fatalf("err = %v, want one matching %v and ErrTxFailed", err, tt.want)
			}
			for _, other := range []error{subnettypes.ErrServingRateLimit, subnettypes.ErrNotHotkeyOwner, subnettypes.ErrWeightsRateLimit, sdkerrors.ErrWrongSequence, sdkerrors.ErrInsufficientFunds} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("err = %v also matches %v", err, other)
				}
			}
			var txErr *chainclient.TxError
			if !errors.As(err, &txErr) || txErr.Height != tt.height || txErr.TxHash != "AB12" {
				t.Fatalf("TxError = %+v, want height %d and the hash", txErr, tt.height)
			}
		})
	}
}
