package axon

import (
	"errors"
	"fmt"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// ErrInvalidReceipt is what every receipt check failure matches with
// errors.Is; errors.As with *ReceiptError tells which check failed.
var ErrInvalidReceipt = errors.New("invalid receipt")

// ReceiptCheck names one check of VerifyReceipt, in the order they run.
type ReceiptCheck string

// The checks of VerifyReceipt.
const (
	// ReceiptCheckFields: every field is present and has its size.
	ReceiptCheckFields ReceiptCheck = "fields"
	// ReceiptCheckPubkey: miner_pubkey derives miner_hotkey.
	ReceiptCheckPubkey ReceiptCheck = "pubkey"
	// ReceiptCheckPath: the leaf hash and the path lead to the root.
	ReceiptCheckPath ReceiptCheck = "path"
	// ReceiptCheckSignature: the miner's signature over the root verifies.
	ReceiptCheckSignature ReceiptCheck = "signature"
)

// ReceiptError is a failed receipt check.
type ReceiptError struct {
	// Check is the check that failed.
	Check ReceiptCheck
	// Reason says what was wrong.
	Reason string
}

func (e *ReceiptError) Error() string {
	return fmt.Sprintf("invalid receipt: %s check failed: %s", e.Check, e.Reason)
}

// Is makes every ReceiptError match ErrInvalidReceipt.
func (e *ReceiptError) Is(target error) bool { return target == ErrInvalidReceipt }

func receiptErr(check ReceiptCheck, format string, args ...any) error {
	return &ReceiptError{Check: check, Reason: fmt.Sprintf(format, args...)}
}

// maxHotkeyLen bounds miner_hotkey before it is decoded: bech32 strings
// are at most 90 characters.
const maxHotkeyLen = 90

// VerifyReceipt checks a transferable receipt with nothing but its bytes,
// cheapest check first: field sizes; that miner_pubkey derives
// miner_hotkey; that the leaf's hash and the path, walked with index and
// leaf_count, lead to the root; that the miner's signature over the root's
// sign bytes verifies. It does not ask the chain whether model_sha256 was
// the miner's commitment at block_height (tensorcosmd receipt verify does)
// nor whether miner_hotkey is the miner the holder meant.
func VerifyReceipt(r *axonpb.Receipt) error {
	if r == nil {
		return receiptErr(ReceiptCheckFields, "no receipt")
	}
	if err := checkLeafFields(r.GetLeaf()); err != nil {
		return err
	}
	if err := checkRootFields(r.GetRoot()); err != nil {
		return err
	}
	if err := checkRootPubkey(r.GetRoot()); err != nil {
		return err
	}
	if err := VerifyLeafInclusion(r.GetLeaf(), r.GetIndex(), r.GetPath(), r.GetRoot()); err != nil {
		return err
	}
	return checkRootSignature(r.GetRoot())
}

// VerifySignedRoot checks a batch's signed root alone: sizes, that the
// public key derives the hotkey, and the signature. A client receiving a
// ReceiptBatch checks the root once with it, then each of its leaves with
// VerifyLeafInclusion.
func VerifySignedRoot(root *axonpb.SignedRoot) error {
	if err := checkRootFields(root); err != nil {
		return err
	}
	if err := checkRootPubkey(root); err != nil {
		return err
	}
	return checkRootSignature(root)
}

// VerifyLeafInclusion checks that leaf is leaf index of root's tree with
// the given path. It checks the leaf's fields and the root's sizes but not
// the root's signature (VerifySignedRoot does).
func VerifyLeafInclusion(leaf *axonpb.ReceiptLeaf, index uint64, path [][]byte, root *axonpb.SignedRoot) error {
	if err := checkLeafFields(leaf); err != nil {
		return err
	}
	if err := checkRootFields(root); err != nil {
		return err
	}
	if err := VerifyMerklePath(ReceiptLeafHash(leaf), index, root.GetLeafCount(), path, root.GetRoot()); err != nil {
		return receiptErr(ReceiptCheckPath, "%v", err)
	}
	return nil
}

func checkLeafFields(l *axonpb.ReceiptLeaf) error {
	switch {
	case l == nil:
		return receiptErr(ReceiptCheckFields, "no leaf")
	case len(l.GetRequestHash()) != ReceiptHashSize:
		return receiptErr(ReceiptCheckFields, "leaf.request_hash is %d bytes, want %d", len(l.GetRequestHash()), ReceiptHashSize)
	case len(l.GetResponseHash()) != ReceiptHashSize:
		return receiptErr(ReceiptCheckFields, "leaf.response_hash is %d bytes, want %d", len(l.GetResponseHash()), ReceiptHashSize)
	case len(l.GetModelSha256()) != ReceiptHashSize:
		return receiptErr(ReceiptCheckFields, "leaf.model_sha256 is %d bytes, want %d", len(l.GetModelSha256()), ReceiptHashSize)
	case l.GetBlockHeight() < 1:
		return receiptErr(ReceiptCheckFields, "leaf.block_height is %d, want at least 1", l.GetBlockHeight())
	case len(l.GetSessionId()) != ReceiptSessionIDSize:
		return receiptErr(ReceiptCheckFields, "leaf.session_id is %d bytes, want %d", len(l.GetSessionId()), ReceiptSessionIDSize)
	case l.GetSequence() < 1:
		return receiptErr(ReceiptCheckFields, "leaf.sequence is 0, sequences start at 1")
	}
	return nil
}

func checkRootFields(r *axonpb.SignedRoot) error {
	switch {
	case r == nil:
		return receiptErr(ReceiptCheckFields, "no root")
	case r.GetMinerHotkey() == "" || len(r.GetMinerHotkey()) > maxHotkeyLen:
		return receiptErr(ReceiptCheckFields, "root.miner_hotkey is %d characters, want 1 to %d", len(r.GetMinerHotkey()), maxHotkeyLen)
	case len(r.GetMinerPubkey()) != secp256k1.PubKeySize:
		return receiptErr(ReceiptCheckFields, "root.miner_pubkey is %d bytes, want %d", len(r.GetMinerPubkey()), secp256k1.PubKeySize)
	case r.GetBatch() < 1:
		return receiptErr(ReceiptCheckFields, "root.batch is 0, batches start at 1")
	case r.GetLeafCount() < 1:
		return receiptErr(ReceiptCheckFields, "root.leaf_count is 0")
	case len(r.GetRoot()) != ReceiptHashSize:
		return receiptErr(ReceiptCheckFields, "root.root is %d bytes, want %d", len(r.GetRoot()), ReceiptHashSize)
	case len(r.GetSignature()) != SignatureSize:
		return receiptErr(ReceiptCheckFields, "root.signature is %d bytes, want %d", len(r.GetSignature()), SignatureSize)
	}
	return nil
}

func checkRootPubkey(r *axonpb.SignedRoot) error {
	addr, err := AddressFromPubKey(r.GetMinerPubkey())
	if err != nil {
		return receiptErr(ReceiptCheckPubkey, "root.miner_pubkey: %v", err)
	}
	if addr != r.GetMinerHotkey() {
		return receiptErr(ReceiptCheckPubkey, "root.miner_pubkey derives %s, not root.miner_hotkey %s", addr, r.GetMinerHotkey())
	}
	return nil
}

func checkRootSignature(r *axonpb.SignedRoot) error {
	pk := &secp256k1.PubKey{Key: r.GetMinerPubkey()}
	if !pk.VerifySignature(RootSignBytes(r), r.GetSignature()) {
		return receiptErr(ReceiptCheckSignature, "root.signature is not %s's signature over batch %d's root", r.GetMinerHotkey(), r.GetBatch())
	}
	return nil
}

// NewReceipt assembles the transferable receipt of one answer from its
// leaf (InferResponse.leaf), the leaf's proof and the batch's signed root
// (a ReceiptBatch). It copies its inputs and checks that the proof is the
// leaf's (same sequence), not that the receipt verifies.
func NewReceipt(leaf *axonpb.ReceiptLeaf, proof *axonpb.LeafProof, root *axonpb.SignedRoot) (*axonpb.Receipt, error) {
	if leaf == nil || proof == nil || root == nil {
		return nil, errors.New("axon: a receipt needs a leaf, a proof and a root")
	}
	if proof.GetSequence() != leaf.GetSequence() {
		return nil, fmt.Errorf("axon: the proof is for sequence %d, the leaf is sequence %d", proof.GetSequence(), leaf.GetSequence())
	}
	path := make([][]byte, len(proof.GetPath()))
	for i, p := range proof.GetPath() {
		path[i] = append([]byte(nil), p...)
	}
	return &axonpb.Receipt{
		Leaf:  proto.CloneOf(leaf),
		Index: proof.GetIndex(),
		Path:  path,
		Root:  proto.CloneOf(root),
	}, nil
}

// MarshalReceipt writes a receipt as indented protojson (bytes fields in
// base64), the file `tensorcosmd receipt verify` reads.
func MarshalReceipt(r *axonpb.Receipt) ([]byte, error) {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("axon: marshal receipt: %w", err)
	}
	return append(b, '\n'), nil
}

// UnmarshalReceipt reads a receipt written by MarshalReceipt (or any
// protojson encoder). Unknown fields are refused: a receipt holds nothing
// its verification does not cover.
func UnmarshalReceipt(b []byte) (*axonpb.Receipt, error) {
	var r axonpb.Receipt
	if err := protojson.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("axon: unmarshal receipt: %w", err)
	}
	return &r, nil
}
