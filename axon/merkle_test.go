package axon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// The RFC 6962 test vectors of Certificate Transparency
// (cpp/merkletree/merkle_tree_test.cc): leaf inputs, the root after each
// leaf, and the audit path of leaf 0 in the 8-leaf tree.
var (
	ctLeafInputs = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	ctRoots      = []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	ctPath0of8 = []string{
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	}
)

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// ctLeafHashes hashes the CT leaf inputs as RFC 6962 leaves.
func ctLeafHashes(tb testing.TB) [][ReceiptHashSize]byte {
	out := make([][ReceiptHashSize]byte, len(ctLeafInputs))
	for i, in := range ctLeafInputs {
		out[i] = sha256.Sum256(append([]byte{merkleLeafPrefix}, mustHex(tb, in)...))
	}
	return out
}

func TestMerkleRootMatchesRFC6962Vectors(t *testing.T) {
	leaves := ctLeafHashes(t)
	for n := 1; n <= len(leaves); n++ {
		root := MerkleRoot(leaves[:n])
		if got := hex.EncodeToString(root[:]); got != ctRoots[n-1] {
			t.Errorf("root of %d leaves = %s, want %s", n, got, ctRoots[n-1])
		}
		treeRoot, _ := merkleTree(leaves[:n])
		if treeRoot != root {
			t.Errorf("merkleTree root of %d leaves differs from MerkleRoot", n)
		}
	}
	path := MerklePath(leaves, 0)
	if len(path) != len(ctPath0of8) {
		t.Fatalf("path of leaf 0 of 8 has %d hashes, want %d", len(path), len(ctPath0of8))
	}
	for i := range path {
		if got := hex.EncodeToString(path[i][:]); got != ctPath0of8[i] {
			t.Errorf("path[%d] = %s, want %s", i, got, ctPath0of8[i])
		}
	}
}

// bottomUpRoot is an independent construction of the same tree: pair
// nodes level by level and carry a level's odd last node up unchanged.
func bottomUpRoot(leaves [][ReceiptHashSize]byte) [ReceiptHashSize]byte {
	level := append([][ReceiptHashSize]byte(nil), leaves...)
	for len(level) > 1 {
		var next [][ReceiptHashSize]byte
		for i := 0; i+1 < len(level); i += 2 {
			next = append(next, merkleNode(&level[i], &level[i+1]))
		}
		if len(level)%2 == 1 {
			next = append(next, level[len(level)-1])
		}
		level = next
	}
	return level[0]
}

// testLeafHashes returns n distinct leaf hashes.
func testLeafHashes(n int) [][ReceiptHashSize]byte {
	out := make([][ReceiptHashSize]byte, n)
	for i := range out {
		out[i] = sha256.Sum256([]byte{merkleLeafPrefix, byte(i), byte(i >> 8)})
	}
	return out
}

func pathBytes(p [][ReceiptHashSize]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = append([]byte(nil), p[i][:]...)
	}
	return out
}

// TestMerklePathsVerify covers every index of every tree of 1 to 70 leaves:
// the path verifies; flipping any bit of the leaf, of any path hash or of
// the root, dropping or adding a path hash, or claiming another index or
// leaf count makes it fail.
func TestMerklePathsVerify(t *testing.T) {
	for n := 1; n <= 70; n++ {
		leaves := testLeafHashes(n)
		root, paths := merkleTree(leaves)
		if root != bottomUpRoot(leaves) {
			t.Fatalf("n=%d: root differs from the bottom-up construction", n)
		}
		for i := range n {
			single := MerklePath(leaves, i)
			if len(single) != len(paths[i]) {
				t.Fatalf("n=%d i=%d: MerklePath has %d hashes, merkleTree %d", n, i, len(single), len(paths[i]))
			}
			for k := range single {
				if single[k] != paths[i][k] {
					t.Fatalf("n=%d i=%d: MerklePath and merkleTree differ at %d", n, i, k)
				}
			}
			checkPathAndTampering(t, leaves[i], uint64(i), uint64(n), pathBytes(paths[i]), root[:])
		}
	}
}

func checkPathAndTampering(t *testing.T, leaf [ReceiptHashSize]byte, i, n uint64, path [][]byte, root []byte) {
	t.Helper()
	if err := VerifyMerklePath(leaf, i, n, path, root); err != nil {
		t.Fatalf("n=%d i=%d: valid path refused: %v", n, i, err)
	}
	// fail runs 10^5 times: no t.Helper, whose stack walk would dominate
	fail := func(what string, leaf [ReceiptHashSize]byte, i, n uint64, path [][]byte, root []byte) {
		if err := VerifyMerklePath(leaf, i, n, path, root); err == nil {
			t.Fatalf("n=%d i=%d: %s accepted", n, i, what)
		}
	}
	// every byte, one bit each (a different bit per byte position)
	for at := range ReceiptHashSize {
		l := leaf
		l[at] ^= 1 << (at % 8)
		fail("flipped leaf byte", l, i, n, path, root)
		r := bytes.Clone(root)
		r[at] ^= 1 << (at % 8)
		fail("flipped root byte", leaf, i, n, path, r)
	}
	for k := range path {
		for at := range ReceiptHashSize {
			path[k][at] ^= 1 << (at % 8)
			fail("flipped path byte", leaf, i, n, path, root)
			path[k][at] ^= 1 << (at % 8)
		}
		fail("path without one hash", leaf, i, n, append(clonePath(path[:k]), path[k+1:]...), root)
		fail("short path hash", leaf, i, n, replaceAt(path, k, path[k][:31]), root)
	}
	fail("path with an extra hash", leaf, i, n, append(clonePath(path), root), root)
	fail("index at the leaf count", leaf, n, n, path, root)
	if n > 1 {
		fail("another index", leaf, (i+1)%n, n, path, root)
	}
	fail("leaf count 0", leaf, i, 0, path, root)
}

func clonePath(p [][]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = bytes.Clone(p[i])
	}
	return out
}

func replaceAt(p [][]byte, k int, v []byte) [][]byte {
	out := clonePath(p)
	out[k] = v
	return out
}

func TestMerkleSplit(t *testing.T) {
	for _, c := range []struct{ n, k int }{{2, 1}, {3, 2}, {4, 2}, {5, 4}, {8, 4}, {9, 8}, {64, 32}, {65, 64}, {70, 64}} {
		if got := merkleSplit(c.n); got != c.k {
			t.Errorf("merkleSplit(%d) = %d, want %d", c.n, got, c.k)
		}
	}
}

// testLeaf is a well-formed leaf with recognisable bytes.
func testLeaf(seq uint64) *axonpb.ReceiptLeaf {
	fill := func(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }
	return &axonpb.ReceiptLeaf{
		RequestHash:  fill(0xa1, 32),
		ResponseHash: fill(0xb2, 32),
		ModelSha256:  fill(0xc3, 32),
		BlockHeight:  0x0102030405,
		SessionId:    fill(0xd4, 16),
		Sequence:     seq,
	}
}

// TestReceiptLeafBytesLayout pins the leaf layout of axon/README.md
// ("Receipts") offset by offset.
func TestReceiptLeafBytesLayout(t *testing.T) {
	b := ReceiptLeafBytes(testLeaf(7))
	if len(b) != 199 || receiptLeafSize != 199 {
		t.Fatalf("leaf bytes are %d long, want 199", len(b))
	}
	want := []struct {
		off  int
		hex  string
		what string
	}{
		{0, "000000000000001f", "tag length 31"},
		{8, hex.EncodeToString([]byte(domainReceiptLeaf)), "tag"},
		{39, "0000000000000020" + hex.EncodeToString(bytes.Repeat([]byte{0xa1}, 32)), "request_hash"},
		{79, "0000000000000020" + hex.EncodeToString(bytes.Repeat([]byte{0xb2}, 32)), "response_hash"},
		{119, "0000000000000020" + hex.EncodeToString(bytes.Repeat([]byte{0xc3}, 32)), "model_sha256"},
		{159, "0000000102030405", "block_height"},
		{167, "0000000000000010" + hex.EncodeToString(bytes.Repeat([]byte{0xd4}, 16)), "session_id"},
		{191, "0000000000000007", "sequence"},
	}
	for _, w := range want {
		field := mustHex(t, w.hex)
		if got := b[w.off : w.off+len(field)]; !bytes.Equal(got, field) {
			t.Errorf("%s at %d = %x, want %x", w.what, w.off, got, field)
		}
	}
	h := ReceiptLeafHash(testLeaf(7))
	if want := sha256.Sum256(append([]byte{0}, b...)); h != want {
		t.Errorf("leaf hash is not SHA-256(0x00 || leaf bytes)")
	}
}

// TestRootSignBytesLayout pins the root layout of axon/README.md.
func TestRootSignBytesLayout(t *testing.T) {
	hotkey := "tensor1" + string(bytes.Repeat([]byte{'q'}, 38))
	r := &axonpb.SignedRoot{
		MinerHotkey: hotkey,
		MinerPubkey: bytes.Repeat([]byte{0x02}, 33),
		Netuid:      0x0a0b0c0d,
		Batch:       0x11,
		LeafCount:   0x40,
		Root:        bytes.Repeat([]byte{0xee}, 32),
		Signature:   bytes.Repeat([]byte{0xff}, 64),
	}
	b := RootSignBytes(r)
	if len(b) != 193 {
		t.Fatalf("root sign bytes are %d long, want 193 with a 45-character hotkey", len(b))
	}
	want := []struct {
		off  int
		hex  string
		what string
	}{
		{0, "000000000000001f" + hex.EncodeToString([]byte(domainReceiptRoot)), "tag"},
		{39, "000000000000002d" + hex.EncodeToString([]byte(hotkey)), "miner_hotkey"},
		{92, "0000000000000021" + hex.EncodeToString(bytes.Repeat([]byte{0x02}, 33)), "miner_pubkey"},
		{133, "0a0b0c0d", "netuid"},
		{137, "0000000000000011", "batch"},
		{145, "0000000000000040", "leaf_count"},
		{153, "0000000000000020" + hex.EncodeToString(bytes.Repeat([]byte{0xee}, 32)), "root"},
	}
	for _, w := range want {
		field := mustHex(t, w.hex)
		if got := b[w.off : w.off+len(field)]; !bytes.Equal(got, field) {
			t.Errorf("%s at %d = %x, want %x", w.what, w.off, got, field)
		}
	}
}
