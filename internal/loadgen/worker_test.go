package loadgen

import (
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// newTestWorker is a worker on subnet 1 (tempo 10, reveal period 1, 8
// UIDs) with or without commit-reveal, outside any chain.
func newTestWorker(t *testing.T, commitReveal bool) *worker {
	t.Helper()
	cfg := DefaultConfig()
	cfg.RowLen = 4
	g := &Generator{cfg: cfg, stats: newStats(), track: tracker{pending: map[[32]byte]*sentTx{}}}
	hp := types.DefaultHyperparams()
	hp.Tempo, hp.RevealPeriod, hp.CommitReveal = 10, 1, commitReveal
	acct, err := newAccount("test", "hot")
	if err != nil {
		t.Fatal(err)
	}
	s := &subnetLoad{netuid: 1, commitReveal: commitReveal, hp: hp, size: 8}
	return &worker{g: g, s: s, acct: acct, uid: 3, slots: make(chan struct{}, 64), rng: newRNG(1)}
}

// testSend takes a slot as run does and returns the message and the
// transaction as the tracker would hold it.
func (w *worker) testSend(h int64) (sdk.Msg, *sentTx, bool) {
	msg, kind, c := w.next(h)
	if msg == nil {
		return nil, nil, false
	}
	w.slots <- struct{}{}
	return msg, &sentTx{w: w, kind: kind, commit: c, height: h}, true
}

// With netuid 1 and tempo 10 the epoch of block b is (b + 2) / 11: epoch 1
// is blocks 9..19, epoch 2 is 20..30, epoch 3 is 31..41.
func TestCommitRevealSchedule(t *testing.T) {
	w := newTestWorker(t, true)
	var commits []*sentTx
	hashes := map[string]bool{}
	for range types.MaxWeightCommits {
		msg, st, ok := w.testSend(9)
		if !ok || st.kind != kindCommit {
			t.Fatalf("commit %d: got %v, %v", len(commits), st, ok)
		}
		commits = append(commits, st)
		hashes[string(msg.(*types.MsgCommitWeights).CommitHash)] = true
	}
	if _, _, ok := w.testSend(9); ok {
		t.Fatalf("an 11th commit while %d are unrevealed", types.MaxWeightCommits)
	}
	for _, st := range commits {
		w.included(st, 10)
	}
	if _, st, ok := w.testSend(15); ok {
		t.Fatalf("sent %s in the commit epoch with the commit limit reached", st.kind)
	}
	// block 20 starts the reveal epoch; 19 + 1 + revealSlack is still in it
	msg, st, ok := w.testSend(19)
	if !ok || st.kind != kindReveal {
		t.Fatalf("no reveal at the start of the reveal epoch: %v", st)
	}
	r := msg.(*types.MsgRevealWeights)
	if !hashes[string(types.CommitHash(r.Hotkey, r.Netuid, r.Uids, r.Values, r.Salt, r.VersionKey))] {
		t.Fatal("the reveal matches none of the commits")
	}
	w.included(st, 20)
	// near the end of the reveal epoch a reveal could slip into the next
	// one: a commit goes instead
	if _, st, ok := w.testSend(28); !ok || st.kind != kindCommit {
		t.Fatalf("at block 28: %v, want a commit and no reveal", st)
	}
	// in epoch 3 the nine unrevealed commits of epoch 1 have expired
	if _, st, ok := w.testSend(31); !ok || st.kind != kindCommit {
		t.Fatalf("no new commit after the old ones expired: %v", st)
	}
	if w.g.stats.expired != 9 || len(w.commits) != 2 {
		t.Fatalf("%d commits counted expired and %d held, want 9 and 2", w.g.stats.expired, len(w.commits))
	}
}

func TestRejectedCommitIsForgotten(t *testing.T) {
	w := newTestWorker(t, true)
	msg, kind, c := w.next(9)
	if msg == nil || kind != kindCommit || len(w.commits) != 1 {
		t.Fatalf("got %v %v with %d commits", msg, kind, len(w.commits))
	}
	w.undo(c, kind)
	if len(w.commits) != 0 {
		t.Fatalf("%d commits after CheckTx rejected the only one", len(w.commits))
	}
}

func TestSetWeightsRows(t *testing.T) {
	w := newTestWorker(t, false)
	for i := range 20 {
		msg, kind, _ := w.next(int64(i))
		sw, ok := msg.(*types.MsgSetWeights)
		if !ok || kind != kindSetWeights {
			t.Fatalf("got %T %v", msg, kind)
		}
		seen := map[uint32]bool{}
		for j, u := range sw.Uids {
			if u >= 8 || seen[u] || sw.Values[j] == 0 || sw.Values[j] > types.U16Max {
				t.Fatalf("row %d: uids %v values %v", i, sw.Uids, sw.Values)
			}
			seen[u] = true
		}
		if len(sw.Uids) != 4 {
			t.Fatalf("row of %d, want 4", len(sw.Uids))
		}
	}
}

func TestExpectedSequence(t *testing.T) {
	seq, ok := expectedSequence("account sequence mismatch, expected 17, got 19: incorrect account sequence")
	if !ok || seq != 17 {
		t.Fatalf("got %d, %v", seq, ok)
	}
	if _, ok := expectedSequence("out of gas"); ok {
		t.Fatal("parsed a sequence from an unrelated error")
	}
}

func TestNormaliseGroupsReasons(t *testing.T) {
	a := normalise("last update at block 120; next allowed at 125: tensor1esec2fk5tsqz4avxutu75xt7qndyv3nw92ya5r")
	b := normalise("last update at block 7; next allowed at 9: tensor1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")
	if a != b || a != "last update at block N; next allowed at N: ADDR" {
		t.Fatalf("%q and %q", a, b)
	}
}

func TestPercentile(t *testing.T) {
	xs := []int{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	if p := percentile(xs, 50); p != 5 {
		t.Errorf("median %d, want 5", p)
	}
	if p := percentile(xs, 90); p != 9 {
		t.Errorf("p90 %d, want 9", p)
	}
	if p := percentile([]int(nil), 50); p != 0 {
		t.Errorf("empty: %d", p)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.KeyringDir = "/tmp/home"
	if err := ok.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"remote gRPC":         func(c *Config) { c.GRPCAddr = "10.0.0.1:9090" },
		"remote RPC":          func(c *Config) { c.RPCAddr = "tcp://example.com:26657" },
		"remote pprof":        func(c *Config) { c.NodePprof, c.CPUProfile = "192.168.1.2:6060", "x" },
		"pprof without file":  func(c *Config) { c.NodePprof = "127.0.0.1:6060" },
		"too many CR subnets": func(c *Config) { c.CommitRevealSubnets = c.Subnets + 1 },
		"short tempo":         func(c *Config) { c.Tempo = 2 },
		"no keyring":          func(c *Config) { c.KeyringDir = "" },
		"zero depth":          func(c *Config) { c.Depth = 0 },
	} {
		c := ok
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
