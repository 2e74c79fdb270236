package axon

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// BatcherConfig configures a Batcher: how many answers share one signed
// root, and how much it keeps for each session.
type BatcherConfig struct {
	// BatchSize is the most leaves under one root: a root is signed as soon
	// as this many leaves wait. Default 64.
	BatchSize int `mapstructure:"batch_size"`
	// BatchInterval is the longest a leaf waits for its root: a root is
	// signed this long after the first leaf of its batch arrived, however
	// few leaves wait. Default 50 ms.
	BatchInterval time.Duration `mapstructure:"batch_interval"`
	// QueueSize is the most ReceiptBatches kept for a session that nobody
	// has taken yet (no Receipts stream and no Infer since); beyond it the
	// oldest is dropped. Default 64.
	QueueSize int `mapstructure:"queue_size"`
	// SessionIdle releases a session's queue when the session has had no
	// leaf for this long and was not ended with EndSession: a safety net,
	// longer than any session lives. Default 15 min.
	SessionIdle time.Duration `mapstructure:"session_idle"`
}

// DefaultBatcherConfig returns the defaults: 64 leaves or 50 ms per root,
// 64 batches queued per session, idle sessions released after 15 min.
func DefaultBatcherConfig() BatcherConfig {
	return BatcherConfig{
		BatchSize:     64,
		BatchInterval: 50 * time.Millisecond,
		QueueSize:     64,
		SessionIdle:   15 * time.Minute,
	}
}

// Validate checks the bounds of each field.
func (c BatcherConfig) Validate() error {
	switch {
	case c.BatchSize < 1 || c.BatchSize > 1<<16:
		return fmt.Errorf("receipts batch_size %d: want 1 to 65536", c.BatchSize)
	case c.BatchInterval < time.Millisecond || c.BatchInterval > time.Minute:
		return fmt.Errorf("receipts batch_interval %s: want 1ms to 1m", c.BatchInterval)
	case c.QueueSize < 1 || c.QueueSize > 4096:
		return fmt.Errorf("receipts queue_size %d: want 1 to 4096", c.QueueSize)
	case c.SessionIdle < time.Second:
		return fmt.Errorf("receipts session_idle %s: want at least 1s", c.SessionIdle)
	}
	return nil
}

// ErrBatcherClosed is returned by Add and Subscribe after Close.
var ErrBatcherClosed = errors.New("axon: receipt batcher closed")

// sessionRef is a session id as a map key.
type sessionRef = [ReceiptSessionIDSize]byte

func toSessionRef(id []byte) (sessionRef, error) {
	if len(id) != ReceiptSessionIDSize {
		return sessionRef{}, fmt.Errorf("axon: session id is %d bytes, want %d", len(id), ReceiptSessionIDSize)
	}
	return sessionRef(id), nil
}

// LeafPosition is where Add put a leaf: the batch whose root will cover it
// and its index there, and the leaf's hash (the response MAC covers it).
type LeafPosition struct {
	Batch uint64
	Index uint64
	Hash  [ReceiptHashSize]byte
}

// pendingLeaf is what the batcher keeps of a leaf until its root is
// signed; the caller holds the leaf itself.
type pendingLeaf struct {
	hash     [ReceiptHashSize]byte
	session  sessionRef
	sequence uint64
}

// cutBatch is a batch closed to new leaves, waiting for its signature.
type cutBatch struct {
	number uint64
	leaves []pendingLeaf
}

// sessionQueue holds a session's signed batches until the server takes
// them. The buffered channel is the queue: a Receipts stream receives from
// it, TakePending drains it, and each batch goes to exactly one of them.
type sessionQueue struct {
	ch chan *axonpb.ReceiptBatch
	// unsigned counts the session's leaves waiting for a root; an ended
	// session's entry stays until they are signed, so those proofs are
	// dropped instead of opening a new queue.
	unsigned int
	ended    bool
	// touched is when the session last added a leaf (the time its batch's
	// first leaf arrived, so Add reads no clock of its own).
	touched time.Time
}

// Batcher collects the receipt leaves of a miner's answers and signs a
// Merkle root over each batch on its own goroutine, never on the request
// path, then hands each session a ReceiptBatch with its proofs. All
// methods are safe for concurrent use.
//
// The server calls Add for each answer, Subscribe for a Receipts stream,
// TakePending when it answers an Infer, and EndSession when a session ends.
// Delivered batches are shared between sessions (the SignedRoot is one
// message): do not modify them.
type Batcher struct {
	cfg    BatcherConfig
	signer Signer
	netuid uint32
	log    *slog.Logger
	m      *receiptMetrics
	now    func() time.Time

	mu       sync.Mutex
	closed   bool
	next     uint64        // number of the batch being filled, from 1
	pending  []pendingLeaf // its leaves
	firstAt  time.Time     // when its first leaf arrived
	sessions map[sessionRef]*sessionQueue
	swept    time.Time

	cut     chan cutBatch  // full batches, cut by Add, to the signer
	kick    chan struct{}  // a batch got its first leaf: arm the timer
	senders sync.WaitGroup // Adds sending on cut
	done    chan struct{}  // the signing goroutine ended
}

// cutBacklog is how many full batches may wait for the signer before Add
// waits for it; the signer keeps up by far (a root costs tens of
// microseconds), so Add waits only behind a signer stuck on a slow key.
const cutBacklog = 64

// NewBatcher starts a batcher that signs roots with signer for netuid. reg
// receives its metrics (nil: not registered). Close stops it.
func NewBatcher(cfg BatcherConfig, signer Signer, netuid uint32, logger *slog.Logger, reg prometheus.Registerer) (*Batcher, error) {
	b, err := newBatcher(cfg, signer, netuid, logger, reg, time.Now)
	if err != nil {
		return nil, err
	}
	go b.run()
	return b, nil
}

// newBatcher is NewBatcher with a clock and without the signing
// goroutine, which the caller starts (go b.run()), for tests.
func newBatcher(cfg BatcherConfig, signer Signer, netuid uint32, logger *slog.Logger, reg prometheus.Registerer, now func() time.Time) (*Batcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("axon: %w", err)
	}
	if signer == nil {
		return nil, errors.New("axon: receipt batcher needs a signer")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newReceiptMetrics(reg, cfg.BatchSize)
	if err != nil {
		return nil, err
	}
	b := &Batcher{
		cfg: cfg, signer: signer, netuid: netuid, log: logger, m: m, now: now,
		next:     1,
		pending:  make([]pendingLeaf, 0, cfg.BatchSize),
		sessions: make(map[sessionRef]*sessionQueue),
		cut:      make(chan cutBatch, cutBacklog),
		kick:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	b.swept = b.now()
	return b, nil
}

// Add puts leaf into the batch being filled and returns its position. It
// costs a hash and a short critical section; the batch that fills up is
// handed to the signing goroutine. The leaf's session id must be 16 bytes.
// On an error the position holds the leaf's hash alone.
func (b *Batcher) Add(leaf *axonpb.ReceiptLeaf) (LeafPosition, error) {
	pos := LeafPosition{Hash: ReceiptLeafHash(leaf)}
	key, err := toSessionRef(leaf.GetSessionId())
	if err != nil {
		return pos, err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return pos, ErrBatcherClosed
	}
	first := len(b.pending) == 0
	if first {
		b.firstAt = b.now()
	}
	q := b.queueLocked(key)
	q.unsigned++
	q.touched = b.firstAt
	pos.Batch, pos.Index = b.next, uint64(len(b.pending))
	b.pending = append(b.pending, pendingLeaf{hash: pos.Hash, session: key, sequence: leaf.GetSequence()})
	var full cutBatch
	if len(b.pending) >= b.cfg.BatchSize {
		full = b.cutLocked()
		b.senders.Add(1)
	}
	b.mu.Unlock()
	switch {
	case full.leaves != nil:
		b.cut <- full
		b.senders.Done()
	case first:
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return pos, nil
}

// queueLocked returns the session's queue, making it if needed.
func (b *Batcher) queueLocked(key sessionRef) *sessionQueue {
	q := b.sessions[key]
	if q == nil {
		q = &sessionQueue{ch: make(chan *axonpb.ReceiptBatch, b.cfg.QueueSize), touched: b.now()}
		b.sessions[key] = q
		b.m.sessions.Inc()
	}
	return q
}

// cutLocked closes the batch being filled and starts the next one.
func (b *Batcher) cutLocked() cutBatch {
	c := cutBatch{number: b.next, leaves: b.pending}
	b.next++
	b.pending = make([]pendingLeaf, 0, b.cfg.BatchSize)
	return c
}

// Subscribe returns the channel the session's signed batches arrive on,
// for a Receipts stream. The channel is the session's queue (TakePending
// drains the same one) and is closed when the session ends or the batcher
// closes, after the batches already in it.
func (b *Batcher) Subscribe(sessionID []byte) (<-chan *axonpb.ReceiptBatch, error) {
	key, err := toSessionRef(sessionID)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrBatcherClosed
	}
	q := b.queueLocked(key)
	if q.ended {
		ch := make(chan *axonpb.ReceiptBatch)
		close(ch)
		return ch, nil
	}
	return q.ch, nil
}

// TakePending returns the session's signed batches not delivered yet,
// oldest first, without waiting, for the next InferResponse.batches.
func (b *Batcher) TakePending(sessionID []byte) []*axonpb.ReceiptBatch {
	key, err := toSessionRef(sessionID)
	if err != nil {
		return nil
	}
	b.mu.Lock()
	q := b.sessions[key]
	b.mu.Unlock()
	if q == nil {
		return nil
	}
	var out []*axonpb.ReceiptBatch
	for {
		select {
		case rb, ok := <-q.ch:
			if !ok {
				return out
			}
			out = append(out, rb)
		default:
			return out
		}
	}
}

// EndSession releases the session's queue and closes its channel; proofs
// of its leaves signed later are dropped. Call it when a session expires
// or is ended.
func (b *Batcher) EndSession(sessionID []byte) {
	key, err := toSessionRef(sessionID)
	if err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if q := b.sessions[key]; q != nil && !q.ended {
		b.endLocked(key, q)
	}
}

// endLocked closes a session's queue; its entry goes once no leaf of it
// waits for a root.
func (b *Batcher) endLocked(key sessionRef, q *sessionQueue) {
	q.ended = true
	close(q.ch)
	if q.unsigned == 0 {
		delete(b.sessions, key)
		b.m.sessions.Dec()
	}
}

// Close signs the leaves still waiting, delivers their batches, stops the
// signing goroutine and closes every session's channel (what is queued can
// still be taken). Add and Subscribe fail afterwards.
func (b *Batcher) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	var rest cutBatch
	if len(b.pending) > 0 {
		rest = b.cutLocked()
	}
	b.mu.Unlock()
	if rest.leaves != nil {
		b.cut <- rest
	}
	b.senders.Wait()
	close(b.cut)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, q := range b.sessions {
		if !q.ended {
			q.ended = true
			close(q.ch)
		}
	}
	return nil
}

// run is the signing goroutine: it signs the batches Add cut and, when a
// batch's first leaf has waited BatchInterval, cuts and signs that batch.
func (b *Batcher) run() {
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case c, ok := <-b.cut:
			if !ok {
				return
			}
			b.sign(c)
		case <-b.kick:
		case <-timer.C:
			if c, ok := b.cutDue(); ok {
				b.sign(c)
			}
		}
		b.arm(timer)
	}
}

// arm sets the timer to the deadline of the batch being filled, if any.
// Reading the state here, not passing it along with kicks, means a kick
// dropped because one was pending still arms for the newest batch.
func (b *Batcher) arm(timer *time.Timer) {
	b.mu.Lock()
	waiting, deadline := len(b.pending) > 0, b.firstAt.Add(b.cfg.BatchInterval)
	b.mu.Unlock()
	if !waiting {
		timer.Stop()
		return
	}
	timer.Reset(max(0, deadline.Sub(b.now())))
}

// cutDue cuts the batch being filled if its first leaf has waited
// BatchInterval.
func (b *Batcher) cutDue() (cutBatch, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 || b.now().Before(b.firstAt.Add(b.cfg.BatchInterval)) {
		return cutBatch{}, false
	}
	return b.cutLocked(), true
}

// sign builds the batch's tree, signs its root and delivers each session
// its proofs. A signing failure drops the batch's receipts (the answers
// were already given) and is logged and counted.
func (b *Batcher) sign(c cutBatch) {
	start := time.Now()
	hashes := make([][ReceiptHashSize]byte, len(c.leaves))
	for i := range c.leaves {
		hashes[i] = c.leaves[i].hash
	}
	root, paths := merkleTree(hashes)
	sr := &axonpb.SignedRoot{
		MinerHotkey: b.signer.Address(),
		MinerPubkey: b.signer.PubKey(),
		Netuid:      b.netuid,
		Batch:       c.number,
		LeafCount:   uint64(len(c.leaves)),
		Root:        root[:],
	}
	sig, err := b.signer.Sign(RootSignBytes(sr))
	if err != nil {
		b.m.signFailures.Inc()
		b.log.Error("receipt root not signed; its leaves get no receipts", "batch", c.number, "leaves", len(c.leaves), "err", err)
		b.deliver(c, nil)
		return
	}
	sr.Signature = sig
	b.m.signDuration.Observe(time.Since(start).Seconds())
	b.m.rootsSigned.Inc()
	b.m.leavesPerRoot.Observe(float64(len(c.leaves)))
	b.deliver(c, groupProofs(sr, c.leaves, paths))
}

// sessionBatch is one session's part of a signed batch.
type sessionBatch struct {
	key   sessionRef
	batch *axonpb.ReceiptBatch
	count int
}

// groupProofs splits a signed batch into one ReceiptBatch per session, in
// the order the sessions first appear in the batch.
func groupProofs(sr *axonpb.SignedRoot, leaves []pendingLeaf, paths [][][ReceiptHashSize]byte) []sessionBatch {
	var out []sessionBatch
	at := make(map[sessionRef]int)
	for i, l := range leaves {
		j, ok := at[l.session]
		if !ok {
			j = len(out)
			at[l.session] = j
			out = append(out, sessionBatch{key: l.session, batch: &axonpb.ReceiptBatch{Root: sr}})
		}
		path := make([][]byte, len(paths[i]))
		for k := range paths[i] {
			path[k] = paths[i][k][:]
		}
		s := &out[j]
		s.batch.Proofs = append(s.batch.Proofs, &axonpb.LeafProof{Sequence: l.sequence, Index: uint64(i), Path: path})
		s.count++
	}
	return out
}

// deliver puts each session's batch in its queue (dropping the oldest if
// the queue is full) and releases the leaves' unsigned counts; parts is
// nil when the root could not be signed. It also releases the queues of
// sessions idle past SessionIdle, at most once a minute.
func (b *Batcher) deliver(c cutBatch, parts []sessionBatch) {
	if parts == nil {
		parts = groupCounts(c.leaves)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range parts {
		q := b.sessions[p.key]
		if q == nil {
			continue
		}
		q.unsigned -= p.count
		switch {
		case q.ended:
			if p.batch != nil {
				b.m.dropped.WithLabelValues("session_ended").Inc()
			}
			if q.unsigned <= 0 {
				delete(b.sessions, p.key)
				b.m.sessions.Dec()
			}
		case p.batch != nil:
			b.enqueueLocked(q, p.batch)
		}
	}
	b.sweepLocked()
}

// groupCounts is groupProofs without proofs, for a batch that was not signed.
func groupCounts(leaves []pendingLeaf) []sessionBatch {
	at := make(map[sessionRef]int)
	var out []sessionBatch
	for _, l := range leaves {
		j, ok := at[l.session]
		if !ok {
			j = len(out)
			at[l.session] = j
			out = append(out, sessionBatch{key: l.session})
		}
		out[j].count++
	}
	return out
}

// enqueueLocked adds rb to a session's queue, dropping the oldest batch
// when it is full. The signing goroutine is the only sender and sends
// under b.mu, so after one receive there is room.
func (b *Batcher) enqueueLocked(q *sessionQueue, rb *axonpb.ReceiptBatch) {
	for {
		select {
		case q.ch <- rb:
			return
		default:
		}
		select {
		case <-q.ch:
			b.m.dropped.WithLabelValues("queue_full").Inc()
		default:
		}
	}
}

// sweepLocked ends the sessions that added no leaf for SessionIdle: those
// whose EndSession never came (or came before a late Add made a new entry).
func (b *Batcher) sweepLocked() {
	now := b.now()
	if now.Sub(b.swept) < time.Minute {
		return
	}
	b.swept = now
	for key, q := range b.sessions {
		if !q.ended && now.Sub(q.touched) >= b.cfg.SessionIdle && q.unsigned == 0 {
			b.m.idleEnded.Inc()
			b.endLocked(key, q)
		}
	}
}

// receiptMetrics are the batcher's Prometheus collectors.
type receiptMetrics struct {
	rootsSigned   prometheus.Counter
	leavesPerRoot prometheus.Histogram
	signDuration  prometheus.Histogram
	signFailures  prometheus.Counter
	dropped       *prometheus.CounterVec
	sessions      prometheus.Gauge
	idleEnded     prometheus.Counter
}

func newReceiptMetrics(reg prometheus.Registerer, batchSize int) (*receiptMetrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: name, Help: help,
		})
	}
	m := &receiptMetrics{
		rootsSigned: counter("roots_signed_total", "Merkle roots of receipt batches signed."),
		leavesPerRoot: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "leaves_per_root",
			Help:    "Leaves under each signed root: batch_size when busy, fewer when batch_interval cut the batch.",
			Buckets: leafBuckets(batchSize),
		}),
		signDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "sign_duration_seconds",
			Help:    "Time to build a batch's Merkle tree and paths and sign its root.",
			Buckets: prometheus.ExponentialBucketsRange(10e-6, 1, 16),
		}),
		signFailures: counter("sign_failures_total", "Receipt roots the signer failed to sign; their leaves got no receipts."),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "batches_dropped_total",
			Help: "Session receipt batches dropped, by reason: queue_full (the oldest of a full session queue) or session_ended.",
		}, []string{"reason"}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "sessions",
			Help: "Sessions with a receipt queue.",
		}),
		idleEnded: counter("sessions_idle_released_total", "Session receipt queues released after session_idle without EndSession."),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.rootsSigned, m.leavesPerRoot, m.signDuration, m.signFailures, m.dropped, m.sessions, m.idleEnded} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("axon: register receipt metrics: %w", err)
		}
	}
	return m, nil
}

// leafBuckets are powers of two up to the batch size, then the size itself.
func leafBuckets(batchSize int) []float64 {
	var bs []float64
	for v := 1; v < batchSize; v *= 2 {
		bs = append(bs, float64(v))
	}
	return append(bs, float64(batchSize))
}
