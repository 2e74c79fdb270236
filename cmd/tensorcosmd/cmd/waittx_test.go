package cmd

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
)

// indexNode is a node whose tx index holds the tx only from the given
// lookup on; before that it answers as CometBFT does for an unknown hash.
type indexNode struct {
	client.CometRPC
	hash    []byte
	foundAt int   // the lookup (1-based) from which the tx is indexed; 0: never
	other   error // returned instead of "not found" when set
	lookups int
}

func (n *indexNode) Tx(_ context.Context, hash []byte, _ bool) (*coretypes.ResultTx, error) {
	n.lookups++
	if n.other != nil {
		return nil, n.other
	}
	if n.foundAt == 0 || n.lookups < n.foundAt || !bytes.Equal(hash, n.hash) {
		return nil, fmt.Errorf("tx (%X) not found", hash)
	}
	return &coretypes.ResultTx{Hash: hash, Height: 7, TxResult: abci.ExecTxResult{Code: 5, Log: "insufficient funds"}}, nil
}

func runWaitTx(t *testing.T, node *indexNode, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := waitTxCmd()
	var out bytes.Buffer
	ctx := client.Context{}.WithClient(node).WithOutputFormat("json").WithOutput(&out).
		WithCodec(codec.NewProtoCodec(codectypes.NewInterfaceRegistry()))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(context.WithValue(context.Background(), client.ClientContextKey, &ctx)); err != nil {
		return out.String(), err
	}
	return out.String(), nil
}

func TestWaitTx(t *testing.T) {
	hash := bytes.Repeat([]byte{0x0b}, 32)
	hexHash := strings.ToUpper(hex.EncodeToString(hash))

	t.Run("a tx indexed after some lookups is reported", func(t *testing.T) {
		node := &indexNode{hash: hash, foundAt: 4}
		out, err := runWaitTx(t, node, "", hexHash, "--timeout", "10s", "--output", "json")
		if err != nil {
			t.Fatalf("wait-tx: %v\n%s", err, out)
		}
		if node.lookups != 4 || !strings.Contains(out, `"code":5`) || !strings.Contains(out, `"height":"7"`) ||
			!strings.Contains(out, hexHash) {
			t.Fatalf("after %d lookups, output %s", node.lookups, out)
		}
	})
	t.Run("the hash is read from a tx command's output", func(t *testing.T) {
		for _, in := range []string{`{"height":"0","txhash":"` + hexHash + `","code":0}`, "code: 0\ntxhash: " + hexHash + "\n"} {
			node := &indexNode{hash: hash, foundAt: 1}
			if out, err := runWaitTx(t, node, in, "--output", "json"); err != nil || !strings.Contains(out, hexHash) {
				t.Fatalf("stdin %q: %v\n%s", in, err, out)
			}
		}
		if _, err := runWaitTx(t, &indexNode{}, "Error: out of gas\n"); err == nil || !strings.Contains(err.Error(), "no txhash") {
			t.Fatalf("stdin without a hash: %v", err)
		}
	})
	t.Run("a tx never indexed times out naming the hash", func(t *testing.T) {
		node := &indexNode{hash: hash}
		start := time.Now()
		_, err := runWaitTx(t, node, "", hexHash, "--timeout", "700ms")
		if err == nil || !strings.Contains(err.Error(), hexHash) || !strings.Contains(err.Error(), "not in a block after 700ms") {
			t.Fatalf("never indexed: %v", err)
		}
		if took := time.Since(start); took < 700*time.Millisecond || node.lookups < 2 {
			t.Fatalf("gave up after %s and %d lookups", took, node.lookups)
		}
	})
	t.Run("other node errors are returned at once", func(t *testing.T) {
		node := &indexNode{hash: hash, other: errors.New("transaction indexing is disabled")}
		_, err := runWaitTx(t, node, "", hexHash, "--timeout", "10s")
		if err == nil || !strings.Contains(err.Error(), "indexing is disabled") || node.lookups != 1 {
			t.Fatalf("indexing disabled: %v after %d lookups", err, node.lookups)
		}
	})
	t.Run("a hash that is not hex is refused", func(t *testing.T) {
		if _, err := runWaitTx(t, &indexNode{}, "", "xyz"); err == nil || !strings.Contains(err.Error(), "not hex") {
			t.Fatalf("hash xyz: %v", err)
		}
	})
}
