package axon

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// receiptSigner is a fixed miner key for receipt tests.
func receiptSigner(tb testing.TB, secret string) *KeySigner {
	tb.Helper()
	s, err := NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte(secret)))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// signedReceipts builds a batch of n leaves signed by signer the way the
// batcher does and returns the n receipts.
func signedReceipts(tb testing.TB, signer Signer, n int) []*axonpb.Receipt {
	tb.Helper()
	leaves := make([]*axonpb.ReceiptLeaf, n)
	hashes := make([][ReceiptHashSize]byte, n)
	for i := range leaves {
		leaves[i] = testLeaf(uint64(i + 1))
		leaves[i].RequestHash[0] = byte(i)
		hashes[i] = ReceiptLeafHash(leaves[i])
	}
	root, paths := merkleTree(hashes)
	sr := &axonpb.SignedRoot{
		MinerHotkey: signer.Address(), MinerPubkey: signer.PubKey(), Netuid: 3,
		Batch: 9, LeafCount: uint64(n), Root: root[:],
	}
	sig, err := signer.Sign(RootSignBytes(sr))
	if err != nil {
		tb.Fatal(err)
	}
	sr.Signature = sig
	out := make([]*axonpb.Receipt, n)
	for i := range out {
		r, err := NewReceipt(leaves[i], &axonpb.LeafProof{Sequence: uint64(i + 1), Index: uint64(i), Path: pathBytes(paths[i])}, sr)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = r
	}
	return out
}

func TestVerifyReceiptAcceptsEveryLeaf(t *testing.T) {
	for _, n := range []int{1, 2, 5, 64} {
		for i, r := range signedReceipts(t, receiptSigner(t, "miner"), n) {
			if err := VerifyReceipt(r); err != nil {
				t.Fatalf("n=%d leaf %d: %v", n, i, err)
			}
		}
	}
}

// byteFields returns pointers to every bytes field of a receipt, named.
func byteFields(r *axonpb.Receipt) map[string]*[]byte {
	f := map[string]*[]byte{
		"leaf.request_hash":  &r.Leaf.RequestHash,
		"leaf.response_hash": &r.Leaf.ResponseHash,
		"leaf.model_sha256":  &r.Leaf.ModelSha256,
		"leaf.session_id":    &r.Leaf.SessionId,
		"root.miner_pubkey":  &r.Root.MinerPubkey,
		"root.root":          &r.Root.Root,
		"root.signature":     &r.Root.Signature,
	}
	for i := range r.Path {
		f["path["+string(rune('0'+i))+"]"] = &r.Path[i]
	}
	return f
}

// TestVerifyReceiptRefusesAnyChangedByte flips each byte of every bytes
// field, and changes every number and the hotkey, of a valid receipt: each
// change is refused.
func TestVerifyReceiptRefusesAnyChangedByte(t *testing.T) {
	valid := signedReceipts(t, receiptSigner(t, "miner"), 13)[6]
	for name := range byteFields(valid) {
		for at := range len(*byteFields(valid)[name]) {
			r := proto.CloneOf(valid)
			(*byteFields(r)[name])[at] ^= 0x01
			if err := VerifyReceipt(r); !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("%s byte %d flipped: err = %v, want an invalid receipt", name, at, err)
			}
		}
	}
	numbers := map[string]func(r *axonpb.Receipt){
		"leaf.block_height": func(r *axonpb.Receipt) { r.Leaf.BlockHeight++ },
		"leaf.sequence":     func(r *axonpb.Receipt) { r.Leaf.Sequence++ },
		"index":             func(r *axonpb.Receipt) { r.Index++ },
		"root.netuid":       func(r *axonpb.Receipt) { r.Root.Netuid++ },
		"root.batch":        func(r *axonpb.Receipt) { r.Root.Batch++ },
		"root.leaf_count":   func(r *axonpb.Receipt) { r.Root.LeafCount++ },
		"root.miner_hotkey": func(r *axonpb.Receipt) { r.Root.MinerHotkey = receiptSigner(t, "other").Address() },
	}
	for name, change := range numbers {
		r := proto.CloneOf(valid)
		change(r)
		if err := VerifyReceipt(r); !errors.Is(err, ErrInvalidReceipt) {
			t.Errorf("%s changed: err = %v, want an invalid receipt", name, err)
		}
	}
}

// TestVerifyReceiptNamesTheFailedCheck: each kind of damage is reported by
// the check that catches it, with a reason naming the field.
func TestVerifyReceiptNamesTheFailedCheck(t *testing.T) {
	miner, other := receiptSigner(t, "miner"), receiptSigner(t, "other")
	cases := []struct {
		name   string
		change func(r *axonpb.Receipt)
		check  ReceiptCheck
		reason string
	}{
		{"nil leaf", func(r *axonpb.Receipt) { r.Leaf = nil }, ReceiptCheckFields, "no leaf"},
		{"nil root", func(r *axonpb.Receipt) { r.Root = nil }, ReceiptCheckFields, "no root"},
		{"short request hash", func(r *axonpb.Receipt) { r.Leaf.RequestHash = r.Leaf.RequestHash[:31] }, ReceiptCheckFields, "leaf.request_hash"},
		{"short model", func(r *axonpb.Receipt) { r.Leaf.ModelSha256 = nil }, ReceiptCheckFields, "leaf.model_sha256"},
		{"long session id", func(r *axonpb.Receipt) { r.Leaf.SessionId = append(r.Leaf.SessionId, 0) }, ReceiptCheckFields, "leaf.session_id"},
		{"zero height", func(r *axonpb.Receipt) { r.Leaf.BlockHeight = 0 }, ReceiptCheckFields, "leaf.block_height"},
		{"zero sequence", func(r *axonpb.Receipt) { r.Leaf.Sequence = 0 }, ReceiptCheckFields, "leaf.sequence"},
		{"empty hotkey", func(r *axonpb.Receipt) { r.Root.MinerHotkey = "" }, ReceiptCheckFields, "root.miner_hotkey"},
		{"short pubkey", func(r *axonpb.Receipt) { r.Root.MinerPubkey = r.Root.MinerPubkey[:32] }, ReceiptCheckFields, "root.miner_pubkey"},
		{"zero batch", func(r *axonpb.Receipt) { r.Root.Batch = 0 }, ReceiptCheckFields, "root.batch"},
		{"zero leaf count", func(r *axonpb.Receipt) { r.Root.LeafCount = 0 }, ReceiptCheckFields, "root.leaf_count"},
		{"short signature", func(r *axonpb.Receipt) { r.Root.Signature = r.Root.Signature[:63] }, ReceiptCheckFields, "root.signature"},
		{"other miner's hotkey", func(r *axonpb.Receipt) { r.Root.MinerHotkey = other.Address() }, ReceiptCheckPubkey, "not root.miner_hotkey"},
		{"other miner's key", func(r *axonpb.Receipt) { r.Root.MinerPubkey = other.PubKey() }, ReceiptCheckPubkey, "derives"},
		{"index past leaf count", func(r *axonpb.Receipt) { r.Index = r.Root.LeafCount }, ReceiptCheckPath, "not below the leaf count"},
		{"changed response", func(r *axonpb.Receipt) { r.Leaf.ResponseHash[3] ^= 1 }, ReceiptCheckPath, "does not lead to the signed root"},
		{"path too long", func(r *axonpb.Receipt) { r.Path = append(r.Path, r.Root.Root) }, ReceiptCheckPath, "more than"},
		{"path too short", func(r *axonpb.Receipt) { r.Path = r.Path[:len(r.Path)-1] }, ReceiptCheckPath, "fewer than"},
		{"changed signature", func(r *axonpb.Receipt) { r.Root.Signature[10] ^= 1 }, ReceiptCheckSignature, "signature"},
		{"changed netuid", func(r *axonpb.Receipt) { r.Root.Netuid = 4 }, ReceiptCheckSignature, miner.Address()},
	}
	valid := signedReceipts(t, miner, 5)[2]
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := proto.CloneOf(valid)
			c.change(r)
			err := VerifyReceipt(r)
			var re *ReceiptError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want a *ReceiptError", err)
			}
			if re.Check != c.check || !strings.Contains(re.Reason, c.reason) {
				t.Fatalf("failed check %q (%s), want %q mentioning %q", re.Check, re.Reason, c.check, c.reason)
			}
		})
	}
	if err := VerifyReceipt(nil); !errors.Is(err, ErrInvalidReceipt) {
		t.Errorf("nil receipt: %v", err)
	}
}

func TestVerifySignedRootAndInclusionSplitTheWork(t *testing.T) {
	rs := signedReceipts(t, receiptSigner(t, "miner"), 3)
	if err := VerifySignedRoot(rs[0].Root); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := VerifyLeafInclusion(r.Leaf, r.Index, r.Path, r.Root); err != nil {
			t.Fatal(err)
		}
	}
	// inclusion does not look at the signature; the root check does
	bad := proto.CloneOf(rs[0].Root)
	bad.Signature[0] ^= 1
	if err := VerifyLeafInclusion(rs[0].Leaf, rs[0].Index, rs[0].Path, bad); err != nil {
		t.Errorf("inclusion with a bad signature: %v, want nil", err)
	}
	if err := VerifySignedRoot(bad); !errors.Is(err, ErrInvalidReceipt) {
		t.Errorf("root with a bad signature: %v", err)
	}
}

func TestNewReceiptChecksTheProofIsTheLeafs(t *testing.T) {
	r := signedReceipts(t, receiptSigner(t, "miner"), 2)[0]
	if _, err := NewReceipt(r.Leaf, &axonpb.LeafProof{Sequence: r.Leaf.Sequence + 1, Index: r.Index, Path: r.Path}, r.Root); err == nil {
		t.Error("a proof of another sequence was accepted")
	}
	if _, err := NewReceipt(nil, &axonpb.LeafProof{}, r.Root); err == nil {
		t.Error("a nil leaf was accepted")
	}
	// the receipt owns its bytes: changing the sources leaves it valid
	proof := &axonpb.LeafProof{Sequence: r.Leaf.Sequence, Index: r.Index, Path: clonePath(r.Path)}
	leaf, root := proto.CloneOf(r.Leaf), proto.CloneOf(r.Root)
	got, err := NewReceipt(leaf, proof, root)
	if err != nil {
		t.Fatal(err)
	}
	proof.Path[0][0] ^= 1
	leaf.RequestHash[0] ^= 1
	root.Root[0] ^= 1
	if err := VerifyReceipt(got); err != nil {
		t.Errorf("receipt changed with its sources: %v", err)
	}
}

func TestMarshalReceiptRoundTrip(t *testing.T) {
	r := signedReceipts(t, receiptSigner(t, "miner"), 7)[4]
	b, err := MarshalReceipt(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"leaf"`, `"requestHash"`, `"path"`, `"minerHotkey"`, `"leafCount"`} {
		if !bytes.Contains(b, []byte(field)) {
			t.Errorf("protojson lacks %s:\n%s", field, b)
		}
	}
	got, err := UnmarshalReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, r) {
		t.Fatal("round trip changed the receipt")
	}
	if err := VerifyReceipt(got); err != nil {
		t.Fatal(err)
	}
	if _, err := UnmarshalReceipt([]byte(`{"leaf": {}, "extra": 1}`)); err == nil {
		t.Error("an unknown field was accepted")
	}
}
