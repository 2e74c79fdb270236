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
	cutAt    time.Time     // when the previous batch was cut (the start, before any)
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
	b.cutAt = b.swept
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
	b.cutAt = b.now()
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

// run is the signing goroutine: it signs the batches Add cut and, once a
// batch has a leaf and BatchInterval has passed since the previous cut,
// cuts and signs that batch.
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

// arm sets the timer to the deadline of the batch being filled, if any:
// BatchInterval after the previous cut, which is now when the miner was
// idle that long. Reading the state here, not passing it along with
// kicks, means a kick dropped because one was pending still arms for the
// newest batch.
func (b *Batcher) arm(timer *time.Timer) {
	b.mu.Lock()
	waiting, deadline := len(b.pending) > 0, b.cutAt.Add(b.cfg.BatchInterval)
	b.mu.Unlock()
	if !waiting {
		timer.Stop()
		return
	}
	timer.Reset(max(0, deadline.Sub(b.now())))
}

// cutDue cuts the batch being filled if BatchInterval has passed since
// the previous cut.
func (b *Batcher) cutDue() (cutBatch, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 || b.now().Before(b.cutAt.Add(b.cfg.BatchInterval)) {
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
