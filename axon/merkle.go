package axon

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// Receipts are leaves of Merkle trees whose roots the miner signs, one tree
// per batch of answers. The layouts are in axon/README.md ("Receipts"); the
// tree is RFC 6962's (Certificate Transparency): leaf and node hashes carry
// different one-byte prefixes, and a tree of n leaves splits at the largest
// power of two below n, so every (index, leaf count) has exactly one path
// shape and no inner node can pass for a leaf.
const (
	domainReceiptLeaf = "tensorcosm/axon/v2/receipt-leaf"
	domainReceiptRoot = "tensorcosm/axon/v2/receipt-root"
)

// Sizes of the fixed-size fields of receipts.
const (
	// ReceiptHashSize is the size of every hash in a receipt: the leaf's
	// request, response and model hashes, path entries and roots.
	ReceiptHashSize = sha256.Size
	// ReceiptSessionIDSize is the size of a session id in a leaf.
	ReceiptSessionIDSize = 16
	// MaxMerklePathLen bounds a path: a leaf count fits a uint64, so no
	// tree is deeper than 64.
	MaxMerklePathLen = 64
)

// Hash prefixes of RFC 6962 section 2.1.
const (
	merkleLeafPrefix = 0x00
	merkleNodePrefix = 0x01
)

// receiptLeafSize is the length of ReceiptLeafBytes for a well-formed
// leaf: the tag, three 32-byte hashes, the height, the 16-byte session id
// and the sequence.
const receiptLeafSize = 8 + len(domainReceiptLeaf) + 3*(8+ReceiptHashSize) + 8 + (8 + ReceiptSessionIDSize) + 8

// appendCanonBytes appends bytes(b): its length as a big-endian uint64,
// then b (the encoding of axon/README.md, "Canonical encoding").
func appendCanonBytes(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(len(b)))
	return append(dst, b...)
}

// appendCanonStr appends str(s).
func appendCanonStr(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(len(s)))
	return append(dst, s...)
}

// ReceiptLeafBytes returns the canonical bytes of a receipt leaf:
// str("tensorcosm/axon/v2/receipt-leaf") || bytes(request_hash) ||
// bytes(response_hash) || bytes(model_sha256) || u64(block_height) ||
// bytes(session_id) || u64(sequence). It encodes what it is given; the
// field sizes are VerifyReceipt's to check.
func ReceiptLeafBytes(l *axonpb.ReceiptLeaf) []byte {
	return appendReceiptLeaf(make([]byte, 0, receiptLeafSize), l)
}

func appendReceiptLeaf(dst []byte, l *axonpb.ReceiptLeaf) []byte {
	dst = appendCanonStr(dst, domainReceiptLeaf)
	dst = appendCanonBytes(dst, l.GetRequestHash())
	dst = appendCanonBytes(dst, l.GetResponseHash())
	dst = appendCanonBytes(dst, l.GetModelSha256())
	dst = binary.BigEndian.AppendUint64(dst, uint64(l.GetBlockHeight()))
	dst = appendCanonBytes(dst, l.GetSessionId())
	return binary.BigEndian.AppendUint64(dst, l.GetSequence())
}

// ReceiptLeafHash returns the Merkle leaf hash of a receipt leaf:
// SHA-256(0x00 || ReceiptLeafBytes(l)). The response MAC covers it too, so
// the caller knows at once which leaf the miner will sign.
func ReceiptLeafHash(l *axonpb.ReceiptLeaf) [ReceiptHashSize]byte {
	var buf [1 + receiptLeafSize]byte
	b := append(buf[:0], merkleLeafPrefix)
	return sha256.Sum256(appendReceiptLeaf(b, l))
}

// merkleNode returns SHA-256(0x01 || left || right).
func merkleNode(left, right *[ReceiptHashSize]byte) [ReceiptHashSize]byte {
	var buf [1 + 2*ReceiptHashSize]byte
	buf[0] = merkleNodePrefix
	copy(buf[1:], left[:])
	copy(buf[1+ReceiptHashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// merkleSplit returns the largest power of two smaller than n (n >= 2):
// the size of the left subtree in RFC 6962.
func merkleSplit(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// MerkleRoot returns the root of the tree over leaf hashes in index order.
// A one-leaf tree's root is its leaf hash. It panics on an empty list: a
// batch always holds at least one leaf.
func MerkleRoot(leaves [][ReceiptHashSize]byte) [ReceiptHashSize]byte {
	switch len(leaves) {
	case 0:
		panic("axon: Merkle root of no leaves")
	case 1:
		return leaves[0]
	}
	k := merkleSplit(len(leaves))
	l, r := MerkleRoot(leaves[:k]), MerkleRoot(leaves[k:])
	return merkleNode(&l, &r)
}

// MerklePath returns the inclusion path of leaf index in the tree over
// leaves: the sibling hashes from the leaf up to the root (RFC 6962 section
// 2.1.1). It panics if index is out of range.
func MerklePath(leaves [][ReceiptHashSize]byte, index int) [][ReceiptHashSize]byte {
	if index < 0 || index >= len(leaves) {
		panic(fmt.Sprintf("axon: Merkle path of leaf %d of %d", index, len(leaves)))
	}
	if len(leaves) == 1 {
		return nil
	}
	k := merkleSplit(len(leaves))
	if index < k {
		return append(MerklePath(leaves[:k], index), MerkleRoot(leaves[k:]))
	}
	return append(MerklePath(leaves[k:], index-k), MerkleRoot(leaves[:k]))
}

// merkleTree returns the root and every leaf's path at once, hashing each
// inner node once (n-1 node hashes), the way the batcher needs them.
func merkleTree(leaves [][ReceiptHashSize]byte) ([ReceiptHashSize]byte, [][][ReceiptHashSize]byte) {
	n := len(leaves)
	depth := bits.Len(uint(n - 1))
	flat := make([][ReceiptHashSize]byte, n*depth)
	paths := make([][][ReceiptHashSize]byte, n)
	for i := range paths {
		paths[i] = flat[i*depth : i*depth : (i+1)*depth]
	}
	return merkleSubtree(leaves, paths), paths
}

// merkleSubtree returns the root of leaves and appends to each leaf's path
// its sibling at this level; deeper levels append first, so paths run from
// the leaf up.
func merkleSubtree(leaves [][ReceiptHashSize]byte, paths [][][ReceiptHashSize]byte) [ReceiptHashSize]byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := merkleSplit(len(leaves))
	l := merkleSubtree(leaves[:k], paths[:k])
	r := merkleSubtree(leaves[k:], paths[k:])
	for i := range k {
		paths[i] = append(paths[i], r)
	}
	for i := k; i < len(leaves); i++ {
		paths[i] = append(paths[i], l)
	}
	return merkleNode(&l, &r)
}

// VerifyMerklePath checks that path leads from leaf hash at index in a tree
// of count leaves to root, with the algorithm of RFC 9162 section 2.1.3.2:
// the path's length and the side of each sibling follow from index and
// count alone, so a path made for another position, another tree size or a
// too long or too short path fails.
func VerifyMerklePath(leaf [ReceiptHashSize]byte, index, count uint64, path [][]byte, root []byte) error {
	if index >= count {
		return fmt.Errorf("leaf index %d is not below the leaf count %d", index, count)
	}
	if len(path) > MaxMerklePathLen {
		return fmt.Errorf("path has %d hashes, at most %d", len(path), MaxMerklePathLen)
	}
	fn, sn, r := index, count-1, leaf
	var sib [ReceiptHashSize]byte
	for i, p := range path {
		if len(p) != ReceiptHashSize {
			return fmt.Errorf("path hash %d is %d bytes, want %d", i, len(p), ReceiptHashSize)
		}
		if sn == 0 {
			return fmt.Errorf("path has %d hashes, more than leaf %d of %d needs", len(path), index, count)
		}
		copy(sib[:], p)
		if fn&1 == 1 || fn == sn {
			r = merkleNode(&sib, &r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = merkleNode(&r, &sib)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("path has %d hashes, fewer than leaf %d of %d needs", len(path), index, count)
	}
	if !bytes.Equal(r[:], root) {
		return fmt.Errorf("path from leaf %d of %d does not lead to the signed root", index, count)
	}
	return nil
}

// RootSignBytes returns the bytes a miner signs for a batch's root:
// str("tensorcosm/axon/v2/receipt-root") || str(miner_hotkey) ||
// bytes(miner_pubkey) || u32(netuid) || u64(batch) || u64(leaf_count) ||
// bytes(root). The signature itself is not part of them.
func RootSignBytes(r *axonpb.SignedRoot) []byte {
	b := make([]byte, 0, 5*8+4+8+len(domainReceiptRoot)+len(r.GetMinerHotkey())+len(r.GetMinerPubkey())+len(r.GetRoot()))
	b = appendCanonStr(b, domainReceiptRoot)
	b = appendCanonStr(b, r.GetMinerHotkey())
	b = appendCanonBytes(b, r.GetMinerPubkey())
	b = binary.BigEndian.AppendUint32(b, r.GetNetuid())
	b = binary.BigEndian.AppendUint64(b, r.GetBatch())
	b = binary.BigEndian.AppendUint64(b, r.GetLeafCount())
	return appendCanonBytes(b, r.GetRoot())
}
