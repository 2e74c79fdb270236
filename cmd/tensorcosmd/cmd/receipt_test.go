package cmd

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// testReceipt signs a batch of three leaves with signer in netuid, all
// answered at height with model, and returns the receipt of leaf 1.
func testReceipt(t *testing.T, signer axon.Signer, netuid uint32, height int64, model []byte) *axonpb.Receipt {
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

func testMiner(t *testing.T) *axon.KeySigner {
	t.Helper()
	s, err := axon.NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("receipt-miner")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeChain answers like a node holding the state of heights
// [earliest, latest], where the miner committed model at every height.
type fakeChain struct {
	earliest, latest int64
	model            string // hex; "" for no commitment
	notNeuron        bool
	queries          int
}

func (f *fakeChain) ModelAt(_ context.Context, height int64, _ uint32, _ string) (string, error) {
	f.queries++
	switch {
	case height > f.latest:
		return "", errHeightFuture
	case height < f.earliest:
		return "", errHeightPruned
	case f.notNeuron:
		return "", errNotNeuron
	}
	return f.model, nil
}

func (f *fakeChain) HasState(_ context.Context, height int64) (bool, error) {
	f.queries++
	return height >= f.earliest && height <= f.latest, nil
}

func (f *fakeChain) LatestHeight(context.Context) (int64, error) { return f.latest, nil }

func TestVerifyReceiptAgainstChain(t *testing.T) {
	miner := testMiner(t)
	model := bytes.Repeat([]byte{0xc3}, 32)
	modelHex := hex.EncodeToString(model)
	other := strings.Repeat("ab", 32)
	cases := []struct {
		name      string
		chain     fakeChain
		change    func(r *axonpb.Receipt)
		valid     bool
		failed    string
		errSubstr string
	}{
		{"match", fakeChain{earliest: 1, latest: 500, model: modelHex}, nil, true, "", ""},
		{"match, upper-case hex on chain", fakeChain{earliest: 1, latest: 500, model: strings.ToUpper(modelHex)}, nil, true, "", ""},
		{"mismatch", fakeChain{earliest: 1, latest: 500, model: other}, nil, false, "commitment",
			"is not " + miner.Address() + "'s commitment at height 120 (" + other + ")"},
		{"pruned", fakeChain{earliest: 377, latest: 500, model: modelHex}, nil, false, "commitment",
			"the node has pruned height 120 (earliest available 377); query an archive node"},
		{"future", fakeChain{earliest: 1, latest: 100, model: modelHex}, nil, false, "commitment",
			"the node is at height 100, below the receipt's height 120"},
		{"not a neuron", fakeChain{earliest: 1, latest: 500, notNeuron: true}, nil, false, "commitment",
			"was not a neuron of netuid 2 at height 120"},
		{"no commitment", fakeChain{earliest: 1, latest: 500}, nil, false, "commitment", "had no model commitment"},
		{"bad signature: chain not asked", fakeChain{earliest: 1, latest: 500, model: modelHex},
			func(r *axonpb.Receipt) { r.Root.Signature[0] ^= 1 }, false, "signature", "signature check failed"},
		{"bad path: chain not asked", fakeChain{earliest: 1, latest: 500, model: modelHex},
			func(r *axonpb.Receipt) { r.Path[0][0] ^= 1 }, false, "path", "path check failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testReceipt(t, miner, 2, 120, model)
			if c.change != nil {
				c.change(r)
			}
			chain := c.chain
			rep := verifyReceipt(context.Background(), &chain, r)
			if rep.Valid != c.valid || rep.FailedCheck != c.failed || !strings.Contains(rep.Error, c.errSubstr) {
				t.Fatalf("report valid=%v failed=%q error=%q, want valid=%v failed=%q error containing %q",
					rep.Valid, rep.FailedCheck, rep.Error, c.valid, c.failed, c.errSubstr)
			}
			if c.failed == "signature" || c.failed == "path" {
				if chain.queries != 0 {
					t.Errorf("the chain was asked %d times about a receipt that failed offline", chain.queries)
				}
			}
			if c.name == "pruned" && rep.EarliestHeld != 377 {
				t.Errorf("earliest available = %d, want 377", rep.EarliestHeld)
			}
		})
	}
}

func TestClassifyHeightError(t *testing.T) {
	cases := []struct {
		err  error
		want error
	}{
		{status.Error(codes.Unknown, "failed to load state at height 5; version does not exist (latest height: 900)"), errHeightPruned},
		{status.Error(codes.Unknown, "cannot query with height in the future; please provide a valid height"), errHeightFuture},
		{status.Error(codes.NotFound, "neuron not found"), errNotNeuron},
	}
	for _, c := range cases {
		if got := classifyHeightError(c.err); !errors.Is(got, c.want) {
			t.Errorf("classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	other := status.Error(codes.Unavailable, "connection refused")
	if got := classifyHeightError(other); got != other {
		t.Errorf("classify(%v) = %v, want it unchanged", other, got)
	}
}

func TestReadReceiptAndPrint(t *testing.T) {
	r := testReceipt(t, testMiner(t), 2, 120, bytes.Repeat([]byte{0xc3}, 32))
	b, err := axon.MarshalReceipt(r)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readReceipt(nil, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := axon.VerifyReceipt(got); err != nil {
		t.Fatal(err)
	}
	if _, err := readReceipt(bytes.NewReader(b), "-"); err != nil {
		t.Errorf("stdin: %v", err)
	}
	if _, err := readReceipt(bytes.NewReader(bytes.Repeat([]byte{' '}, maxReceiptFile+1)), "-"); err == nil {
		t.Error("an oversized file was read")
	}
	if _, err := readReceipt(strings.NewReader(`{"leaf": 1}`), "-"); err == nil {
		t.Error("a malformed receipt was read")
	}

	chain := fakeChain{earliest: 1, latest: 500, model: strings.Repeat("c3", 32)}
	rep := verifyReceipt(context.Background(), &chain, got)
	var out bytes.Buffer
	if err := printReceiptReport(&out, "json", rep); err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
		t.Fatalf("json output: %v\n%s", err, out.String())
	}
	if decoded["valid"] != true || decoded["commitment_check"] != "ok" || decoded["block_height"] != float64(120) {
		t.Errorf("json output %s", out.String())
	}
	out.Reset()
	if err := printReceiptReport(&out, "text", rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "receipt:    VALID") || !strings.Contains(out.String(), "ok (the miner's model at height 120)") {
		t.Errorf("text output:\n%s", out.String())
	}
}
