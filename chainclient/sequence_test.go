package chainclient_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
)

// seqNode is a node whose account sequence another process has just used: the
// account query serves the committed sequence (seq-1) for the first stale reads, and
// CheckTx accepts only a transaction signed with seq, like a mempool that already
// holds the other process's transaction.
type seqNode struct {
	fakeNode
	mu     sync.Mutex
	enc    chainclient.Encoding
	seq    uint64
	stale  int      // account reads still answering seq-1
	reads  int      // account reads
	signed []uint64 // the sequence of each broadcast transaction
}

func (n *seqNode) AccountInfo(_ context.Context, req *authtypes.QueryAccountInfoRequest) (*authtypes.QueryAccountInfoResponse, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reads++
	seq := n.seq
	if n.stale > 0 {
		n.stale--
		seq--
	}
	return &authtypes.QueryAccountInfoResponse{Info: &authtypes.BaseAccount{Address: req.Address, AccountNumber: 3, Sequence: seq}}, nil
}

func (n *seqNode) BroadcastTx(_ context.Context, req *txtypes.BroadcastTxRequest) (*txtypes.BroadcastTxResponse, error) {
	tx, err := n.enc.TxConfig.TxDecoder()(req.TxBytes)
	if err != nil {
		return nil, err
	}
	sigs, err := tx.(authsigning.SigVerifiableTx).GetSignaturesV2()
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.signed = append(n.signed, sigs[0].Sequence)
	if sigs[0].Sequence != n.seq {
		e := sdkerrors.ErrWrongSequence
		return &txtypes.BroadcastTxResponse{TxResponse: &sdk.TxResponse{TxHash: "AB12", Code: e.ABCICode(), Codespace: e.Codespace(),
			RawLog: "account sequence mismatch: incorrect account sequence"}}, nil
	}
	return &txtypes.BroadcastTxResponse{TxResponse: &sdk.TxResponse{TxHash: "AB12"}}, nil
}

// TestBroadcastRetriesWrongSequence checks that a transaction refused for a wrong account
// sequence is signed again with the refreshed sequence and goes through, and that a
// sequence that stays wrong ends, after the configured retries, in an error errors.Is
// matches against sdkerrors.ErrWrongSequence.
func TestBroadcastRetriesWrongSequence(t *testing.T) {
	enc, err := chainclient.NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		stale   int
		wantErr bool
	}{
		{"fresh account", 0, false},
		{"stale twice", 2, false},
		{"stale past the retries", 100, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			node := &seqNode{enc: enc, seq: 7, stale: tt.stale}
			node.deliver = &sdk.TxResponse{TxHash: "AB12", Height: 9}
			c, alice := startFakeNode(t, node)
			msg := &banktypes.MsgSend{FromAddress: alice, ToAddress: alice, Amount: sdk.NewCoins(sdk.NewInt64Coin("utensor", 1))}
			_, err := c.Broadcast(context.Background(), []string{"alice"}, msg)
			node.mu.Lock()
			defer node.mu.Unlock()
			if tt.wantErr {
				if !errors.Is(err, sdkerrors.ErrWrongSequence) {
					t.Fatalf("err = %v, want one matching ErrWrongSequence", err)
				}
				if len(node.signed) != 1+5 {
					t.Fatalf("sent %d times, want 1 + 5 retries", len(node.signed))
				}
				return
			}
			if err != nil {
				t.Fatalf("broadcast: %v", err)
			}
			want := make([]uint64, tt.stale+1)
			for i := range want {
				want[i] = 6
			}
			want[tt.stale] = 7
			if !equal(node.signed, want) || node.reads != tt.stale+1 {
				t.Fatalf("signed with sequences %v after %d account reads, want %v after %d", node.signed, node.reads, want, tt.stale+1)
			}
		})
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
