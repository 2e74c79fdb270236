package cmd_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// oneLeafReceipt is a valid receipt of a one-leaf batch.
func oneLeafReceipt(t *testing.T) *axonpb.Receipt {
	t.Helper()
	miner, err := axon.NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("cli-miner")))
	if err != nil {
		t.Fatal(err)
	}
	leaf := &axonpb.ReceiptLeaf{
		RequestHash: bytes.Repeat([]byte{1}, 32), ResponseHash: bytes.Repeat([]byte{2}, 32),
		ModelSha256: bytes.Repeat([]byte{3}, 32), BlockHeight: 7, SessionId: bytes.Repeat([]byte{4}, 16), Sequence: 1,
	}
	h := axon.ReceiptLeafHash(leaf)
	root := &axonpb.SignedRoot{MinerHotkey: miner.Address(), MinerPubkey: miner.PubKey(), Netuid: 1, Batch: 1, LeafCount: 1, Root: h[:]}
	if root.Signature, err = miner.Sign(axon.RootSignBytes(root)); err != nil {
		t.Fatal(err)
	}
	r, err := axon.NewReceipt(leaf, &axonpb.LeafProof{Sequence: 1}, root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func marshalReceipt(t *testing.T, r *axonpb.Receipt) string {
	t.Helper()
	b, err := axon.MarshalReceipt(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReceiptVerifyThroughRoot runs `tensorcosmd receipt verify` as the
// binary does: a forged receipt fails offline with a JSON report naming
// the signature check; a valid one against an unreachable node fails on
// the chain check. Both exit with an error.
func TestReceiptVerifyThroughRoot(t *testing.T) {
	forged := oneLeafReceipt(t)
	forged.Root.Signature[3] ^= 1
	out, err := runCLI(t, marshalReceipt(t, forged), "receipt", "verify", "-", "--output", "json", "--node", "tcp://127.0.0.1:1")
	if err == nil {
		t.Fatalf("a forged receipt passed:\n%s", out)
	}
	var rep struct {
		Valid       bool   `json:"valid"`
		FailedCheck string `json:"failed_check"`
		Commitment  string `json:"commitment_check"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not the JSON report (%v):\n%s", err, out)
	}
	if rep.Valid || rep.FailedCheck != "signature" || rep.Commitment != "not run" {
		t.Errorf("report %+v, want the signature check failed and the chain not asked", rep)
	}

	out, err = runCLI(t, marshalReceipt(t, oneLeafReceipt(t)), "receipt", "verify", "-", "--node", "tcp://127.0.0.1:1")
	if err == nil || !strings.Contains(out, "receipt:    INVALID") || !strings.Contains(out, "querying the miner's model commitment at height 7") {
		t.Errorf("unreachable node: err %v, output:\n%s", err, out)
	}
}
