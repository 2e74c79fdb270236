package axon

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// batcherFixture is a running batcher and what its leaves were.
type batcherFixture struct {
	b      *Batcher
	reg    *prometheus.Registry
	mu     sync.Mutex
	leaves map[string]*axonpb.ReceiptLeaf // by session id + sequence
}

func newBatcherFixture(tb testing.TB, cfg BatcherConfig, signer Signer, now func() time.Time) *batcherFixture {
	tb.Helper()
	reg := prometheus.NewRegistry()
	if now == nil {
		now = time.Now
	}
	b, err := newBatcher(cfg, signer, 3, nil, reg, now)
	if err != nil {
		tb.Fatal(err)
	}
	go b.run()
	tb.Cleanup(func() { _ = b.Close() })
	return &batcherFixture{b: b, reg: reg, leaves: make(map[string]*axonpb.ReceiptLeaf)}
}

func testSessionID(n byte) []byte { return bytes.Repeat([]byte{n}, ReceiptSessionIDSize) }

func leafKey(session []byte, seq uint64) string { return fmt.Sprintf("%x/%d", session, seq) }

// add adds a leaf of session with sequence seq and remembers it.
func (f *batcherFixture) add(tb testing.TB, session []byte, seq uint64) LeafPosition {
	tb.Helper()
	l := testLeaf(seq)
	l.SessionId = bytes.Clone(session)
	f.mu.Lock()
	f.leaves[leafKey(session, seq)] = l
	f.mu.Unlock()
	pos, err := f.b.Add(l)
	if err != nil {
		tb.Error(err)
		return pos
	}
	if pos.Hash != ReceiptLeafHash(l) {
		tb.Error("Add returned another hash than ReceiptLeafHash")
	}
	return pos
}

// check verifies every proof of a delivered batch as a full receipt and
// returns the sequences it covers. It reports with Error, not Fatal, since
// concurrent tests call it (and add) from their goroutines.
func (f *batcherFixture) check(tb testing.TB, session []byte, rb *axonpb.ReceiptBatch) []uint64 {
	tb.Helper()
	var seqs []uint64
	for _, p := range rb.GetProofs() {
		f.mu.Lock()
		leaf := f.leaves[leafKey(session, p.GetSequence())]
		f.mu.Unlock()
		if leaf == nil {
			tb.Errorf("session %x got a proof for sequence %d it never added", session[:1], p.GetSequence())
			continue
		}
		r, err := NewReceipt(leaf, p, rb.GetRoot())
		if err == nil {
			err = VerifyReceipt(r)
		}
		if err != nil {
			tb.Errorf("session %x sequence %d: %v", session[:1], p.GetSequence(), err)
			continue
		}
		seqs = append(seqs, p.GetSequence())
	}
	return seqs
}

// receive waits for the next batch on ch.
func receive(tb testing.TB, ch <-chan *axonpb.ReceiptBatch) *axonpb.ReceiptBatch {
	tb.Helper()
	select {
	case rb, ok := <-ch:
		if !ok {
			tb.Fatal("receipt channel closed")
		}
		return rb
	case <-time.After(10 * time.Second):
		tb.Fatal("no receipt batch within 10 s")
	}
	return nil
}

func batcherConfig(size int, interval time.Duration) BatcherConfig {
	cfg := DefaultBatcherConfig()
	cfg.BatchSize, cfg.BatchInterval = size, interval
	return cfg
}

func TestBatcherSignsEveryBatchSizeLeaves(t *testing.T) {
	f := newBatcherFixture(t, batcherConfig(4, time.Minute), receiptSigner(t, "miner"), nil)
	a, b := testSessionID(1), testSessionID(2)
	sub, err := f.b.Subscribe(a)
	if err != nil {
		t.Fatal(err)
	}
	var positions []LeafPosition
	for seq := uint64(1); seq <= 4; seq++ {
		positions = append(positions, f.add(t, a, seq))
		positions = append(positions, f.add(t, b, seq))
	}
	for i, p := range positions {
		if want := (LeafPosition{Batch: uint64(i/4 + 1), Index: uint64(i % 4), Hash: p.Hash}); p != want {
			t.Errorf("leaf %d at batch %d index %d, want batch %d index %d", i, p.Batch, p.Index, want.Batch, want.Index)
		}
	}
	var got []uint64
	for batch := uint64(1); batch <= 2; batch++ {
		rb := receive(t, sub)
		if rb.Root.Batch != batch || rb.Root.LeafCount != 4 || rb.Root.Netuid != 3 {
			t.Fatalf("root %+v, want batch %d of 4 leaves in netuid 3", rb.Root, batch)
		}
		got = append(got, f.check(t, a, rb)...)
	}
	if fmt.Sprint(got) != "[1 2 3 4]" {
		t.Errorf("session a got proofs for %v, want [1 2 3 4]", got)
	}
	// b never subscribed: its proofs wait in its queue for TakePending
	var gotB []uint64
	for deadline := time.Now().Add(10 * time.Second); len(gotB) < 4 && time.Now().Before(deadline); {
		for _, rb := range f.b.TakePending(b) {
			gotB = append(gotB, f.check(t, b, rb)...)
		}
		time.Sleep(time.Millisecond)
	}
	if fmt.Sprint(gotB) != "[1 2 3 4]" {
		t.Errorf("session b took proofs for %v, want [1 2 3 4]", gotB)
	}
	if n := promtest.ToFloat64(f.b.m.rootsSigned); n != 2 {
		t.Errorf("roots signed metric = %v, want 2", n)
	}
	if n := promtest.CollectAndCount(f.b.m.leavesPerRoot); n != 1 {
		t.Errorf("leaves per root histogram has %d series, want 1", n)
	}
}

func TestBatcherSignsAfterBatchInterval(t *testing.T) {
	f := newBatcherFixture(t, batcherConfig(64, 20*time.Millisecond), receiptSigner(t, "miner"), nil)
	s := testSessionID(7)
	sub, err := f.b.Subscribe(s)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		f.add(t, s, seq)
	}
	rb := receive(t, sub)
	if rb.Root.LeafCount != 3 || rb.Root.Batch != 1 {
		t.Fatalf("first root covers %d leaves in batch %d, want 3 in batch 1", rb.Root.LeafCount, rb.Root.Batch)
	}
	if got := f.check(t, s, rb); fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("proofs for %v, want [1 2 3]", got)
	}
	// a later leaf starts a new batch, with its own timer
	if pos := f.add(t, s, 4); pos.Batch != 2 || pos.Index != 0 {
		t.Errorf("leaf after the timer at batch %d index %d, want 2, 0", pos.Batch, pos.Index)
	}
	rb = receive(t, sub)
	if rb.Root.LeafCount != 1 || rb.Root.Batch != 2 {
		t.Fatalf("second root covers %d leaves in batch %d, want 1 in batch 2", rb.Root.LeafCount, rb.Root.Batch)
	}
	f.check(t, s, rb)
}

// TestBatcherSignsAtOnceAfterIdle: a leaf that arrives when BatchInterval
// has passed since the previous cut is signed at once, not a whole
// interval later; one that follows it closely waits for the interval. The
// interval is a minute of a fake clock, so only the idle rule can sign
// within the test's wait.
func TestBatcherSignsAtOnceAfterIdle(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	f := newBatcherFixture(t, batcherConfig(64, time.Minute), receiptSigner(t, "miner"), now)
	s := testSessionID(9)
	sub, err := f.b.Subscribe(s)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(int64(time.Minute + time.Second)) // idle since the start
	f.add(t, s, 1)
	rb := receive(t, sub)
	if rb.Root.LeafCount != 1 || rb.Root.Batch != 1 {
		t.Fatalf("root after an idle minute covers %d leaves in batch %d, want 1 in batch 1", rb.Root.LeafCount, rb.Root.Batch)
	}
	f.check(t, s, rb)
	// the next leaf comes 10 s after that cut: it waits for the minute
	clock.Add(int64(10 * time.Second))
	f.add(t, s, 2)
	time.Sleep(100 * time.Millisecond)
	if n := promtest.ToFloat64(f.b.m.rootsSigned); n != 1 {
		t.Fatalf("%v roots signed 10 s after the previous cut, want 1 (the interval is a minute)", n)
	}
	// Close signs what waits
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	if rb := receive(t, sub); rb.Root.LeafCount != 1 || rb.Root.Batch != 2 {
		t.Fatalf("root at close covers %d leaves in batch %d, want 1 in batch 2", rb.Root.LeafCount, rb.Root.Batch)
	}
}

func TestBatcherGroupsProofsBySession(t *testing.T) {
	f := newBatcherFixture(t, batcherConfig(6, time.Minute), receiptSigner(t, "miner"), nil)
	sessions := [][]byte{testSessionID(1), testSessionID(2), testSessionID(3)}
	for i := range 6 {
		f.add(t, sessions[i%3], uint64(i/3+1))
	}
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	var root []byte
	for _, s := range sessions {
		rbs := f.b.TakePending(s)
		if len(rbs) != 1 {
			t.Fatalf("session %x has %d batches, want 1", s[:1], len(rbs))
		}
		if root != nil && !bytes.Equal(root, rbs[0].Root.Root) {
			t.Error("sessions of one batch got different roots")
		}
		root = rbs[0].Root.Root
		if got := f.check(t, s, rbs[0]); fmt.Sprint(got) != "[1 2]" {
			t.Errorf("session %x got proofs for %v, want [1 2]", s[:1], got)
		}
	}
}

func TestBatcherQueueIsBoundedDroppingTheOldest(t *testing.T) {
	cfg := batcherConfig(1, time.Minute)
	cfg.QueueSize = 2
	f := newBatcherFixture(t, cfg, receiptSigner(t, "miner"), nil)
	s := testSessionID(5)
	for seq := uint64(1); seq <= 5; seq++ {
		f.add(t, s, seq)
	}
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, rb := range f.b.TakePending(s) {
		got = append(got, f.check(t, s, rb)...)
	}
	if fmt.Sprint(got) != "[4 5]" {
		t.Errorf("queue kept %v, want the newest two [4 5]", got)
	}
	if n := promtest.ToFloat64(f.b.m.dropped.WithLabelValues("queue_full")); n != 3 {
		t.Errorf("dropped metric = %v, want 3", n)
	}
}

func TestBatcherCloseFlushesAndRefusesMore(t *testing.T) {
	f := newBatcherFixture(t, batcherConfig(64, time.Minute), receiptSigner(t, "miner"), nil)
	s := testSessionID(9)
	sub, err := f.b.Subscribe(s)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 5; seq++ {
		f.add(t, s, seq)
	}
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	rb := receive(t, sub)
	if got := f.check(t, s, rb); fmt.Sprint(got) != "[1 2 3 4 5]" || rb.Root.LeafCount != 5 {
		t.Errorf("flushed batch of %d leaves covers %v, want 5 covering [1 2 3 4 5]", rb.Root.LeafCount, got)
	}
	if _, ok := <-sub; ok {
		t.Error("channel open after Close")
	}
	if pos, err := f.b.Add(testLeaf(6)); !errors.Is(err, ErrBatcherClosed) || pos.Hash != ReceiptLeafHash(testLeaf(6)) {
		t.Errorf("Add after Close: %v with hash %x, want ErrBatcherClosed and the leaf's hash", err, pos.Hash)
	}
	if _, err := f.b.Subscribe(s); !errors.Is(err, ErrBatcherClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrBatcherClosed", err)
	}
	if err := f.b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBatcherEndSessionReleasesItsQueue(t *testing.T) {
	f := newBatcherFixture(t, batcherConfig(2, time.Minute), receiptSigner(t, "miner"), nil)
	a, b := testSessionID(1), testSessionID(2)
	sub, err := f.b.Subscribe(a)
	if err != nil {
		t.Fatal(err)
	}
	f.add(t, a, 1) // waits for a second leaf
	f.b.EndSession(a)
	if _, ok := <-sub; ok {
		t.Fatal("channel open after EndSession")
	}
	f.add(t, b, 1) // fills the batch: a's proof is dropped, b's delivered
	var rbs []*axonpb.ReceiptBatch
	for deadline := time.Now().Add(10 * time.Second); len(rbs) == 0 && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		rbs = f.b.TakePending(b)
	}
	if len(rbs) != 1 || len(rbs[0].Proofs) != 1 {
		t.Fatalf("session b got %v", rbs)
	}
	f.check(t, b, rbs[0])
	if got := f.b.TakePending(a); got != nil {
		t.Errorf("ended session still has %d batches", len(got))
	}
	if n := promtest.ToFloat64(f.b.m.dropped.WithLabelValues("session_ended")); n != 1 {
		t.Errorf("session_ended drops = %v, want 1", n)
	}
	f.b.EndSession(b)
	if n := promtest.ToFloat64(f.b.m.sessions); n != 0 {
		t.Errorf("sessions gauge = %v after both ended, want 0", n)
	}
	if _, err := f.b.Add(&axonpb.ReceiptLeaf{SessionId: []byte{1, 2}}); err == nil {
		t.Error("a 2-byte session id was accepted")
	}
}

func TestBatcherReleasesIdleSessions(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	cfg := batcherConfig(1, time.Minute)
	f := newBatcherFixture(t, cfg, receiptSigner(t, "miner"), now)
	idle, busy := testSessionID(1), testSessionID(2)
	sub, err := f.b.Subscribe(idle)
	if err != nil {
		t.Fatal(err)
	}
	f.add(t, idle, 1)
	f.check(t, idle, receive(t, sub))
	clock.Add(int64(cfg.SessionIdle + time.Minute))
	f.add(t, busy, 1) // its delivery sweeps
	select {
	case _, ok := <-sub:
		if ok {
			t.Fatal("idle session got a batch")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("idle session's channel still open after session_idle")
	}
	if n := promtest.ToFloat64(f.b.m.idleEnded); n != 1 {
		t.Errorf("idle released = %v, want 1", n)
	}
}

// failingSigner signs nothing.
type failingSigner struct{ *KeySigner }

func (failingSigner) Sign([]byte) ([]byte, error) { return nil, errors.New("hardware key unplugged") }

func TestBatcherSignFailureDropsTheBatch(t *testing.T) {
	f := newBatcherFixture(t, batcherConfig(2, time.Minute), failingSigner{receiptSigner(t, "miner")}, nil)
	s := testSessionID(4)
	f.add(t, s, 1)
	f.add(t, s, 2)
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := f.b.TakePending(s); got != nil {
		t.Errorf("unsigned batch delivered: %v", got)
	}
	if n := promtest.ToFloat64(f.b.m.signFailures); n != 1 {
		t.Errorf("sign failures = %v, want 1", n)
	}
}

// TestBatcherConcurrentUse runs adders, a subscriber and TakePending
// callers at once (meant for -race): every leaf gets exactly one verified
// proof, through one route or the other.
func TestBatcherConcurrentUse(t *testing.T) {
	f := newBatcherFixture(t, batcherConfig(8, 2*time.Millisecond), receiptSigner(t, "miner"), nil)
	const sessions, perSession = 4, 60
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got = make(map[string]int)
	)
	record := func(s []byte, rb *axonpb.ReceiptBatch) {
		for _, seq := range f.check(t, s, rb) {
			mu.Lock()
			got[leafKey(s, seq)]++
			mu.Unlock()
		}
	}
	sub, err := f.b.Subscribe(testSessionID(0))
	if err != nil {
		t.Fatal(err)
	}
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for rb := range sub {
			record(testSessionID(0), rb)
		}
	}()
	for i := range sessions {
		s := testSessionID(byte(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= perSession; seq++ {
				f.add(t, s, seq)
				if seq%7 == 0 {
					for _, rb := range f.b.TakePending(s) {
						record(s, rb)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := f.b.Close(); err != nil {
		t.Fatal(err)
	}
	<-subDone
	for i := range sessions {
		s := testSessionID(byte(i))
		for _, rb := range f.b.TakePending(s) {
			record(s, rb)
		}
	}
	if len(got) != sessions*perSession {
		t.Fatalf("%d leaves got proofs, want %d", len(got), sessions*perSession)
	}
	for k, n := range got {
		if n != 1 {
			t.Fatalf("leaf %s got %d proofs", k, n)
		}
	}
}

func TestBatcherConfigValidate(t *testing.T) {
	if err := DefaultBatcherConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	cases := map[string]func(c *BatcherConfig){
		"zero batch size":    func(c *BatcherConfig) { c.BatchSize = 0 },
		"huge batch size":    func(c *BatcherConfig) { c.BatchSize = 1<<16 + 1 },
		"zero interval":      func(c *BatcherConfig) { c.BatchInterval = 0 },
		"hour interval":      func(c *BatcherConfig) { c.BatchInterval = time.Hour },
		"zero queue":         func(c *BatcherConfig) { c.QueueSize = 0 },
		"sub-second idle":    func(c *BatcherConfig) { c.SessionIdle = time.Millisecond },
		"huge session queue": func(c *BatcherConfig) { c.QueueSize = 1 << 20 },
	}
	for name, change := range cases {
		c := DefaultBatcherConfig()
		change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := NewBatcher(DefaultBatcherConfig(), nil, 1, nil, nil); err == nil {
		t.Error("a batcher without a signer was made")
	}
	reg := prometheus.NewRegistry()
	b, err := NewBatcher(DefaultBatcherConfig(), receiptSigner(t, "miner"), 1, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := NewBatcher(DefaultBatcherConfig(), receiptSigner(t, "miner"), 1, nil, reg); err == nil {
		t.Error("a second batcher registered the same metrics")
	}
}
