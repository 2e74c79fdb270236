// Package receipttest makes signed axon receipts for tests: a batch of
// leaves under a root signed by a fixed miner key.
package receipttest

import (
	"bytes"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// Receipt signs a batch of three leaves with signer in netuid, all
// answered at height with model, and returns the receipt of leaf 1.
func Receipt(t testing.TB, signer axon.Signer, netuid uint32, height int64, model []byte) *axonpb.Receipt {
	t.Helper()
	var leaves []*axonpb.ReceiptLeaf
	var hashes [][axon.ReceiptHashSize]byte
	for i := range 3 {
		l := &axonpb.ReceiptLeaf{
			RequestHash:  bytes.Repeat([]byte{byte(i + 1)}, 32),
			ResponseHash: bytes.Repeat([]byte{0xbb}, 32),
			ModelSha256:  model,
			BlockHeight:  height,
			SessionId:    bytes.Repeat([]byte{0x5e}, 16),
			Sequence:     uint64(i + 1),
		}
		leaves = append(leaves, l)
		hashes = append(hashes, axon.ReceiptLeafHash(l))
	}
	root := axon.MerkleRoot(hashes)
	sr := &axonpb.SignedRoot{
		MinerHotkey: signer.Address(), MinerPubkey: signer.PubKey(), Netuid: netuid,
		Batch: 1, LeafCount: 3, Root: root[:],
	}
	sig, err := signer.Sign(axon.RootSignBytes(sr))
	if err != nil {
		t.Fatal(err)
	}
	sr.Signature = sig
	var path [][]byte
	for _, p := range axon.MerklePath(hashes, 1) {
		path = append(path, bytes.Clone(p[:]))
	}
	r, err := axon.NewReceipt(leaves[1], &axonpb.LeafProof{Sequence: 2, Index: 1, Path: path}, sr)
	if err != nil {
		t.Fatal(err)
	}
	if err := axon.VerifyReceipt(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Miner is a fixed miner key.
func Miner(t testing.TB) *axon.KeySigner {
	t.Helper()
	s, err := axon.NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("receipt-miner")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
