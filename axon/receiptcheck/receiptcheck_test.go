package receiptcheck_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/axon/receiptcheck"
	"github.com/tensorcosm/tensorcosm/axon/receipttest"
)

// fakeChain answers like a node holding the state of heights
// [earliest, latest], where the miner committed model at every height.
type fakeChain struct {
	earliest, latest int64
	model            string // hex; "" for no commitment
	notNeuron        bool
	noLatest         bool // LatestHeight fails
	queries          int
}

func (f *fakeChain) ModelAt(_ context.Context, height int64, _ uint32, _ string) (string, error) {
	f.queries++
	switch {
	case height > f.latest:
		return "", receiptcheck.ErrHeightFuture
	case height < f.earliest:
		return "", receiptcheck.ErrHeightPruned
	case f.notNeuron:
		return "", receiptcheck.ErrNotNeuron
	}
	return f.model, nil
}

func (f *fakeChain) HasState(_ context.Context, height int64) (bool, error) {
	f.queries++
	return height >= f.earliest && height <= f.latest, nil
}

func (f *fakeChain) LatestHeight(context.Context) (int64, error) {
	if f.noLatest {
		return 0, errors.New("no status")
	}
	return f.latest, nil
}

func TestVerifyAgainstChain(t *testing.T) {
	miner := receipttest.Miner(t)
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
		{"pruned, no latest height", fakeChain{earliest: 377, latest: 500, model: modelHex, noLatest: true}, nil, false, "commitment",
			"the node has pruned height 120; query an archive node"},
		{"future", fakeChain{earliest: 1, latest: 100, model: modelHex}, nil, false, "commitment",
			"the node is at height 100, below the receipt's height 120"},
		{"future, no latest height", fakeChain{earliest: 1, latest: 100, model: modelHex, noLatest: true}, nil, false, "commitment",
			"the node has not reached the receipt's height 120"},
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
			r := receipttest.Receipt(t, miner, 2, 120, model)
			if c.change != nil {
				c.change(r)
			}
			chain := c.chain
			rep := receiptcheck.Verify(context.Background(), &chain, r)
			if rep.Valid != c.valid || rep.FailedCheck != c.failed || !strings.Contains(rep.Error, c.errSubstr) {
				t.Fatalf("report valid=%v failed=%q error=%q, want valid=%v failed=%q error containing %q",
					rep.Valid, rep.FailedCheck, rep.Error, c.valid, c.failed, c.errSubstr)
			}
			wantSig, wantCommit := receiptcheck.CheckOK, receiptcheck.CheckFailed
			switch {
			case c.valid:
				wantCommit = receiptcheck.CheckOK
			case c.failed != "commitment":
				wantSig, wantCommit = receiptcheck.CheckFailed, receiptcheck.CheckSkipped
			}
			if rep.Signature != wantSig || rep.Commitment != wantCommit {
				t.Errorf("checks signature=%q commitment=%q, want %q and %q", rep.Signature, rep.Commitment, wantSig, wantCommit)
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

// TestReportJSON pins the report's JSON field names: `tensorcosmd receipt
// verify --output json` prints it as is.
func TestReportJSON(t *testing.T) {
	model := bytes.Repeat([]byte{0xc3}, 32)
	chain := fakeChain{earliest: 1, latest: 500, model: hex.EncodeToString(model)}
	rep := receiptcheck.Verify(context.Background(), &chain, receipttest.Receipt(t, receipttest.Miner(t), 2, 120, model))
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"valid", "miner_hotkey", "netuid", "batch", "index", "leaf_count", "root",
		"session_id", "sequence", "block_height", "model_sha256", "chain_model_sha256",
		"signature_check", "commitment_check"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	for _, k := range []string{"failed_check", "error", "earliest_available_height"} {
		if _, ok := got[k]; ok {
			t.Errorf("%q in the report of a valid receipt: %s", k, b)
		}
	}
	if got["valid"] != true || got["block_height"] != float64(120) || got["index"] != float64(1) || got["leaf_count"] != float64(3) {
		t.Errorf("report %s", b)
	}
}

func TestClassifyHeightError(t *testing.T) {
	cases := []struct {
		err  error
		want error
	}{
		{status.Error(codes.Unknown, "failed to load state at height 5; version does not exist (latest height: 900)"), receiptcheck.ErrHeightPruned},
		{status.Error(codes.Unknown, "cannot query with height in the future; please provide a valid height"), receiptcheck.ErrHeightFuture},
		{status.Error(codes.NotFound, "neuron not found"), receiptcheck.ErrNotNeuron},
	}
	for _, c := range cases {
		if got := receiptcheck.ClassifyHeightError(c.err); !errors.Is(got, c.want) {
			t.Errorf("classify(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	other := status.Error(codes.Unavailable, "connection refused")
	if got := receiptcheck.ClassifyHeightError(other); got != other {
		t.Errorf("classify(%v) = %v, want it unchanged", other, got)
	}
	if got := receiptcheck.ClassifyHeightError(nil); got != nil {
		t.Errorf("classify(nil) = %v", got)
	}
}
