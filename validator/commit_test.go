package validator

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tensorcosm/tensorcosm/chainclient"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

var (
	errLostConnection = errors.New("connection lost")
	// errDiesAfter, returned by a hook, lets the broadcast reach the chain
	// and then reports a lost connection: the process died meanwhile.
	errDiesAfter = errors.New("dies after the broadcast")
)

// fakeChain applies x/subnet's commit-reveal rules (keeper/weights.go) to
// one validator, one block per transaction.
type fakeChain struct {
	netuid uint32
	hotkey string
	height int64
	hp     subnettypes.Hyperparams
	neuron subnettypes.Neuron

	commits  []subnettypes.WeightCommit
	txs      []string                // "commit@epoch" and "reveal@epoch", in order
	revealed []weightRow             // rows stored by reveals
	byEpoch  map[uint64]int          // commits included per epoch
	sets     map[uint64]int          // MsgSetWeights per epoch
	hook     func(kind string) error // runs before a broadcast; an error stops it, except errDiesAfter
	lose     bool                    // apply the next commit but report a lost connection
}

func newFakeChain(tempo uint32, rateLimit uint64) *fakeChain {
	hp := subnettypes.DefaultHyperparams()
	hp.Tempo, hp.WeightsRateLimit = tempo, rateLimit
	return &fakeChain{netuid: 1, hotkey: "tensor1val", height: 1, hp: hp,
		neuron:  subnettypes.Neuron{Netuid: 1, Uid: 0, Hotkey: "tensor1val", RegistrationBlock: 1, LastUpdate: 1, ValidatorPermit: true},
		byEpoch: map[uint64]int{}, sets: map[uint64]int{}}
}

func (c *fakeChain) epochAt(h int64) uint64 { return subnettypes.EpochIndex(c.netuid, c.hp.Tempo, h) }

func (c *fakeChain) State(context.Context) (chainState, error) {
	return chainState{Height: c.height, Registered: true, Neuron: c.neuron, Hyper: c.hp, Commits: slices.Clone(c.commits)}, nil
}

func (c *fakeChain) refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", chainclient.ErrTxFailed, fmt.Sprintf(format, args...))
}

// before runs the hook; stop means the broadcast never happened.
func (c *fakeChain) before(kind string) (stop, lose bool, err error) {
	if c.hook == nil {
		return false, false, nil
	}
	err = c.hook(kind)
	if errors.Is(err, errDiesAfter) {
		return false, true, nil
	}
	return err != nil, false, err
}

func (c *fakeChain) Commit(_ context.Context, hash []byte) (string, int64, error) {
	stop, lose, err := c.before("commit")
	if stop {
		return "", 0, err
	}
	c.height++
	h := c.height
	if h < c.neuron.LastUpdate+int64(c.hp.WeightsRateLimit) {
		return "", 0, c.refuse("rate limit")
	}
	if len(c.commits) >= subnettypes.MaxWeightCommits {
		return "", 0, c.refuse("too many commits")
	}
	e := c.epochAt(h)
	c.commits = append(c.commits, subnettypes.WeightCommit{Hash: hash, Block: h, Epoch: e})
	c.neuron.LastUpdate = h
	c.byEpoch[e]++
	c.txs = append(c.txs, fmt.Sprintf("commit@%d", e))
	if c.lose || lose {
		c.lose = false
		return "", 0, errLostConnection
	}
	return fmt.Sprintf("TX%d", h), h, nil
}

func (c *fakeChain) Reveal(_ context.Context, r commitRecord) (string, int64, error) {
	stop, lose, err := c.before("reveal")
	if stop {
		return "", 0, err
	}
	c.height++
	salt, _ := hex.DecodeString(r.Salt)
	want := subnettypes.CommitHash(c.hotkey, c.netuid, r.UIDs, r.Values, salt, r.VersionKey)
	i := slices.IndexFunc(c.commits, func(cm subnettypes.WeightCommit) bool { return bytes.Equal(cm.Hash, want) })
	if i < 0 {
		return "", 0, c.refuse("no matching commit")
	}
	cm := c.commits[i]
	if now, due := c.epochAt(c.height), cm.Epoch+c.hp.RevealPeriod; now != due {
		return "", 0, c.refuse("reveal in epoch %d, now %d", due, now)
	}
	c.commits = slices.Delete(c.commits, i, i+1)
	c.neuron.LastUpdate = max(cm.Block, c.neuron.RegistrationBlock)
	c.revealed = append(c.revealed, weightRow{UIDs: r.UIDs, Values: r.Values})
	c.txs = append(c.txs, fmt.Sprintf("reveal@%d", c.epochAt(c.height)))
	if lose {
		return "", 0, errLostConnection
	}
	return fmt.Sprintf("TX%d", c.height), c.height, nil
}

func (c *fakeChain) SetWeights(_ context.Context, row weightRow, _ uint64) (string, int64, error) {
	c.height++
	if c.height < c.neuron.LastUpdate+int64(c.hp.WeightsRateLimit) {
		return "", 0, c.refuse("rate limit")
	}
	c.neuron.LastUpdate = c.height
	c.sets[c.epochAt(c.height)]++
	c.revealed = append(c.revealed, row)
	c.txs = append(c.txs, fmt.Sprintf("set@%d", c.epochAt(c.height)))
	return "TX", c.height, nil
}

// disk is the state directory's commits.json, in memory.
type disk struct{ records []commitRecord }

func (d *disk) save(r []commitRecord) error {
	d.records = slices.Clone(r)
	return nil
}

// newSetter starts a weight setter on chain with what disk holds, as a
// (re)started validator does.
func newSetter(t *testing.T, chain *fakeChain, d *disk, version uint64) *weightSetter {
	t.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	return &weightSetter{chain: chain, hotkey: chain.hotkey, netuid: chain.netuid, version: version, save: d.save,
		weights: func(epoch uint64) (weightRow, error) {
			n++
			return weightRow{UIDs: []uint32{1, 2}, Values: []uint32{uint32(epoch), uint32(n)}}, nil
		},
		ready: func() bool { return true }, log: slog.New(slog.DiscardHandler), metrics: m,
		records: slices.Clone(d.records), refused: map[string]int{}, noted: map[string]uint64{}}
}

// run ticks w at every block until height reaches until; a tick's own
// transactions advance the chain too.
func run(t *testing.T, w *weightSetter, chain *fakeChain, until int64) {
	t.Helper()
	for chain.height < until {
		if err := w.tick(context.Background()); err != nil && !errors.Is(err, errLostConnection) {
			t.Logf("tick at %d: %v", chain.height, err)
		}
		chain.height++
	}
}

// checkOnePerEpoch fails when an epoch got two commits or a commit was not
// revealed in its window (except those of the last two epochs).
func checkOnePerEpoch(t *testing.T, chain *fakeChain) {
	t.Helper()
	for e, n := range chain.byEpoch {
		if n > 1 {
			t.Errorf("epoch %d got %d commits (txs %v)", e, n, chain.txs)
		}
	}
	last := chain.epochAt(chain.height)
	for e := range chain.byEpoch {
		if e+chain.hp.RevealPeriod < last && !slices.Contains(chain.txs, fmt.Sprintf("reveal@%d", e+chain.hp.RevealPeriod)) {
			t.Errorf("the commit of epoch %d was never revealed (txs %v)", e, chain.txs)
		}
	}
}

func TestCommitRevealSteadyState(t *testing.T) {
	chain := newFakeChain(10, 5)
	d := &disk{}
	w := newSetter(t, chain, d, 0)
	run(t, w, chain, 80)
	checkOnePerEpoch(t, chain)
	if len(chain.byEpoch) < 6 || len(chain.revealed) < 5 {
		t.Fatalf("%d commits and %d reveals in 8 epochs: %v", len(chain.byEpoch), len(chain.revealed), chain.txs)
	}
	if got := value(w.metrics.missedReveals); got != 0 {
		t.Fatalf("missed reveals = %v", got)
	}
	if len(d.records) > 1 {
		t.Fatalf("disk holds %d records, want at most the one awaiting its reveal", len(d.records))
	}
}

// TestCommitRevealRestarts kills the validator at each point of a commit
// or a reveal, restarts it from what the state directory held at that
// moment, and checks that no epoch gets two commits and no commit misses
// its reveal.
func TestCommitRevealRestarts(t *testing.T) {
	tests := []struct {
		name string
		kind string // the broadcast the crash happens at
		// applied: the transaction reached the chain before the crash
		applied bool
	}{
		{name: "crash after saving a commit, before broadcasting it", kind: "commit"},
		{name: "crash after broadcasting a commit, before recording its outcome", kind: "commit", applied: true},
		{name: "crash after broadcasting a reveal, before recording it", kind: "reveal", applied: true},
		{name: "crash after saving, before revealing", kind: "reveal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain := newFakeChain(20, 5)
			d := &disk{}
			w := newSetter(t, chain, d, 0)
			run(t, w, chain, 30) // a commit in epoch 1 (blocks 19-39), its reveal due in epoch 2
			var atCrash []commitRecord
			crashed := false
			chain.hook = func(kind string) error {
				if kind != tc.kind || crashed {
					return nil
				}
				crashed, atCrash = true, slices.Clone(d.records)
				if !tc.applied {
					return errLostConnection // the process died before sending
				}
				return errDiesAfter
			}
			for !crashed && chain.height < 200 {
				_ = w.tick(context.Background())
				chain.height++
			}
			if !crashed {
				t.Fatalf("no %s happened (txs %v)", tc.kind, chain.txs)
			}
			reveals := len(chain.revealed)
			// restart from the disk as it was when the process died
			w2 := newSetter(t, chain, &disk{records: atCrash}, 0)
			run(t, w2, chain, chain.height+70)
			checkOnePerEpoch(t, chain)
			if len(chain.revealed) <= reveals {
				t.Fatalf("no reveal after the restart (txs %v)", chain.txs)
			}
			if got := value(w2.metrics.missedReveals); got != 0 {
				t.Fatalf("missed reveals after the restart = %v (txs %v)", got, chain.txs)
			}
			for _, kind := range []string{kindCommit, kindReveal} {
				if got := value(w2.metrics.weights.WithLabelValues(kind, "error")); got != 0 {
					t.Fatalf("%v %s transactions refused or lost after the restart (txs %v)", got, kind, chain.txs)
				}
			}
		})
	}
}

func TestCommitOutcomeUnknown(t *testing.T) {
	chain := newFakeChain(10, 5)
	w := newSetter(t, chain, &disk{}, 0)
	chain.lose = true // the first commit lands but its answer is lost
	run(t, w, chain, 60)
	checkOnePerEpoch(t, chain)
	if len(chain.revealed) < 3 {
		t.Fatalf("txs %v", chain.txs)
	}
}

func TestCommitRevealRules(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(c *fakeChain)
		version uint64
		check   func(t *testing.T, c *fakeChain, w *weightSetter)
	}{
		{name: "no validator permit, no weights", setup: func(c *fakeChain) { c.neuron.ValidatorPermit = false },
			check: func(t *testing.T, c *fakeChain, _ *weightSetter) {
				if len(c.txs) != 0 {
					t.Fatalf("txs %v", c.txs)
				}
			}},
		{name: "a rate limit above the tempo skips epochs, never refused", setup: func(c *fakeChain) { c.hp.WeightsRateLimit = 15 },
			check: func(t *testing.T, c *fakeChain, w *weightSetter) {
				if n := len(c.byEpoch); n < 3 || n > 6 {
					t.Fatalf("%d commits in 8 epochs of 11 blocks with a rate limit of 15: %v", n, c.txs)
				}
				if got := value(w.metrics.weights.WithLabelValues(kindCommit, "error")); got != 0 {
					t.Fatalf("%v commits refused", got)
				}
			}},
		{name: "version key below the subnet's", setup: func(c *fakeChain) { c.hp.WeightsVersionKey = 7 }, version: 6,
			check: func(t *testing.T, c *fakeChain, _ *weightSetter) {
				if len(c.txs) != 0 {
					t.Fatalf("txs %v", c.txs)
				}
			}},
		{name: "the subnet's version key by default", setup: func(c *fakeChain) { c.hp.WeightsVersionKey = 7 },
			check: func(t *testing.T, c *fakeChain, _ *weightSetter) {
				if len(c.revealed) == 0 {
					t.Fatalf("txs %v", c.txs)
				}
			}},
		{name: "a reveal period of two epochs", setup: func(c *fakeChain) { c.hp.RevealPeriod = 2 },
			check: func(t *testing.T, c *fakeChain, _ *weightSetter) {
				if !slices.Contains(c.txs, "reveal@3") || len(c.revealed) < 4 {
					t.Fatalf("txs %v", c.txs)
				}
			}},
		{name: "commit-reveal off sets weights once per epoch", setup: func(c *fakeChain) { c.hp.CommitReveal = false },
			check: func(t *testing.T, c *fakeChain, _ *weightSetter) {
				if len(c.byEpoch) != 0 || len(c.sets) < 6 || !slices.Contains(c.txs, "set@2") {
					t.Fatalf("txs %v", c.txs)
				}
				for e, n := range c.sets {
					if n > 1 {
						t.Fatalf("epoch %d: %d weight sets", e, n)
					}
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain := newFakeChain(10, 5)
			tc.setup(chain)
			w := newSetter(t, chain, &disk{}, tc.version)
			run(t, w, chain, 90)
			checkOnePerEpoch(t, chain)
			tc.check(t, chain, w)
		})
	}
}

func TestMissedRevealIsCounted(t *testing.T) {
	chain := newFakeChain(10, 5)
	d := &disk{}
	w := newSetter(t, chain, d, 0)
	run(t, w, chain, 15) // committed in epoch 1 (blocks 9-19)
	if len(chain.commits) != 1 {
		t.Fatalf("txs %v", chain.txs)
	}
	chain.height = 40 // down through the whole of epoch 2
	w2 := newSetter(t, chain, d, 0)
	run(t, w2, chain, 60)
	if got := value(w2.metrics.missedReveals); got != 1 {
		t.Fatalf("missed reveals = %v, want 1 (txs %v)", got, chain.txs)
	}
	if !slices.Contains(chain.txs, "reveal@5") {
		t.Fatalf("weights did not resume after the missed reveal: %v", chain.txs)
	}
}
