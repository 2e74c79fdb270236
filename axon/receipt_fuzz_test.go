package axon

import (
	"bytes"
	"math/bits"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// FuzzVerifyReceipt feeds arbitrary bytes through the path a receipt file
// takes: protobuf decoding, then VerifyReceipt. Nothing may panic, and a
// receipt can only verify under the seed miner's key: the fuzzer cannot
// make signatures, so an accepted receipt with another key is a bypass.
// Seeds in testdata/fuzz/FuzzVerifyReceipt: a valid receipt, one with a
// flipped signature, one with an extra path hash, a one-leaf batch.
// Inputs that reach the signature check cost about 100 us each, so
// minimizing a new one can take the whole default minimize budget (60 s)
// and look like a stall: run it with -fuzzminimizetime 5s.
func FuzzVerifyReceipt(f *testing.F) {
	miner := receiptSigner(f, "miner")
	valid := signedReceipts(f, miner, 5)[2]
	b, err := proto.Marshal(valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r axonpb.Receipt
		if err := proto.Unmarshal(data, &r); err != nil {
			return
		}
		if err := VerifyReceipt(&r); err == nil && !bytes.Equal(r.GetRoot().GetMinerPubkey(), miner.PubKey()) {
			t.Fatalf("a receipt under key %x verified", r.GetRoot().GetMinerPubkey())
		}
	})
}

// merklePathLen is the length of the path of leaf i among n, from the
// tree's definition (RFC 6962 section 2.1.1), apart from the verifier.
func merklePathLen(i, n uint64) int {
	d := 0
	for n > 1 {
		k := uint64(1) << (63 - bits.LeadingZeros64(n-1))
		if i < k {
			n = k
		} else {
			i, n = i-k, n-k
		}
		d++
	}
	return d
}

// FuzzVerifyMerklePath checks VerifyMerklePath on arbitrary leaf, index,
// count, path (cut into 32-byte hashes; a short last piece stays short)
// and root: no panic, and what it accepts has index < count and exactly
// the path length the tree's shape gives (index, count). A valid path is
// then changed in its first byte and must fail.
func FuzzVerifyMerklePath(f *testing.F) {
	leaves := testLeafHashes(5)
	root, paths := merkleTree(leaves)
	var flat []byte
	for _, p := range paths[4] {
		flat = append(flat, p[:]...)
	}
	f.Add(leaves[4][:], uint64(4), uint64(5), flat, root[:])
	f.Fuzz(func(t *testing.T, leafBytes []byte, index, count uint64, pathBytes, rootBytes []byte) {
		var leaf [ReceiptHashSize]byte
		copy(leaf[:], leafBytes)
		var path [][]byte
		for len(pathBytes) > 0 && len(path) <= MaxMerklePathLen {
			n := min(len(pathBytes), ReceiptHashSize)
			path = append(path, pathBytes[:n])
			pathBytes = pathBytes[n:]
		}
		if VerifyMerklePath(leaf, index, count, path, rootBytes) != nil {
			return
		}
		if index >= count {
			t.Fatalf("accepted index %d of %d", index, count)
		}
		if want := merklePathLen(index, count); len(path) != want {
			t.Fatalf("accepted a path of %d hashes for leaf %d of %d, which needs %d", len(path), index, count, want)
		}
		if len(path) > 0 {
			path[0] = bytes.Clone(path[0])
			path[0][0] ^= 1
			if VerifyMerklePath(leaf, index, count, path, rootBytes) == nil {
				t.Fatal("accepted a path with a changed hash")
			}
		}
	})
}
