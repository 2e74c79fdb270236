package axon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// maxAwaitedReceipts bounds the answers of one session whose receipts a
// client waits for; beyond it InferWithReceipt still answers, but its
// Receipt fails at once.
const maxAwaitedReceipts = 4096

// ErrNoReceipt is wrapped by Answer.Receipt when the receipt did not arrive
// in time or cannot arrive (the session ended, too many awaited).
var ErrNoReceipt = errors.New("axon: no receipt")

// Answer is an Infer response whose leaf and MAC checked out, usable at
// once, and the way to its transferable receipt once the miner has signed
// the root of its batch.
type Answer struct {
	*axonpb.InferResponse
	awaited *awaitedReceipt
	book    *receiptBook
	client  *Client
}

// awaitedReceipt is an answer's receipt to come. It is registered by
// sequence before the request is sent, since the batch may reach the
// Receipts stream before the answer reaches the caller; its proof waits
// here for the leaf, or the leaf for its proof.
type awaitedReceipt struct {
	seq  uint64
	done chan struct{}

	// under receiptBook.mu until done is closed
	leaf    *axonpb.ReceiptLeaf
	proof   *axonpb.LeafProof
	root    *axonpb.SignedRoot
	rootErr error

	receipt *axonpb.Receipt
	err     error
}

// resolve checks the proof against the leaf and closes done.
func (a *awaitedReceipt) resolve() {
	a.err = a.rootErr
	if a.err == nil {
		a.err = VerifyLeafInclusion(a.leaf, a.proof.GetIndex(), a.proof.GetPath(), a.root)
	}
	if a.err == nil {
		a.receipt, a.err = NewReceipt(a.leaf, a.proof, a.root)
	}
	close(a.done)
}

// receiptBook matches a session's signed batches to the answers waiting
// for them. Batches come with later Infer responses or on the session's
// Receipts stream, which the client opens when an answer waits.
type receiptBook struct {
	miner string // the hotkey the roots must be signed by

	mu        sync.Mutex
	awaited   map[uint64]*awaitedReceipt // by sequence
	streaming bool
}

func newReceiptBook(miner string) *receiptBook {
	return &receiptBook{miner: miner, awaited: make(map[uint64]*awaitedReceipt)}
}

// reserve registers the receipt of the request numbered seq as awaited;
// nil when too many are.
func (b *receiptBook) reserve(seq uint64) *awaitedReceipt {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.awaited) >= maxAwaitedReceipts {
		return nil
	}
	a := &awaitedReceipt{seq: seq, done: make(chan struct{})}
	b.awaited[seq] = a
	return a
}

// cancel forgets a reservation whose request failed.
func (b *receiptBook) cancel(a *awaitedReceipt) {
	b.mu.Lock()
	if b.awaited[a.seq] == a {
		delete(b.awaited, a.seq)
	}
	b.mu.Unlock()
}

// attach gives a reservation its answer's leaf (checked by the response
// MAC), resolving it if its proof came first.
func (b *receiptBook) attach(a *awaitedReceipt, leaf *axonpb.ReceiptLeaf) {
	b.mu.Lock()
	a.leaf = leaf
	ready := a.proof != nil
	b.mu.Unlock()
	if ready {
		a.resolve()
	}
}

// deliver checks each batch's root once and resolves the answers its
// proofs are for; a batch that does not verify resolves them with its
// error, so a miner's bad root is seen, not waited on.
func (b *receiptBook) deliver(batches []*axonpb.ReceiptBatch) {
	for _, rb := range batches {
		if !b.awaits(rb) {
			continue // nobody waits: no signature to check
		}
		root := rb.GetRoot()
		rootErr := VerifySignedRoot(root)
		if rootErr == nil && root.GetMinerHotkey() != b.miner {
			rootErr = fmt.Errorf("%w: root signed by %s, not %s", ErrInvalidReceipt, root.GetMinerHotkey(), b.miner)
		}
		for _, p := range rb.GetProofs() {
			b.mu.Lock()
			a := b.awaited[p.GetSequence()]
			delete(b.awaited, p.GetSequence())
			if a != nil {
				a.proof, a.root, a.rootErr = p, root, rootErr
			}
			ready := a != nil && a.leaf != nil
			b.mu.Unlock()
			if ready {
				a.resolve()
			}
		}
	}
}

// awaits reports whether an answer waits for one of rb's proofs.
func (b *receiptBook) awaits(rb *axonpb.ReceiptBatch) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range rb.GetProofs() {
		if b.awaited[p.GetSequence()] != nil {
			return true
		}
	}
	return false
}

// InferWithReceipt is Infer that also waits, on request, for the answer's
// transferable receipt: Answer.Receipt returns it once the miner has
// signed its batch's root (BatchInterval, 1 ms by default, at most).
func (c *Client) InferWithReceipt(ctx context.Context, target AxonTarget, inputs []*axonpb.Tensor) (*Answer, error) {
	resp, s, awaited, err := c.infer(ctx, target, inputs, true)
	if err != nil {
		return nil, err
	}
	a := &Answer{InferResponse: resp, book: s.book, client: c, awaited: awaited}
	if awaited != nil {
		s.book.attach(awaited, resp.GetLeaf())
		c.watchReceipts(target, s)
	}
	s.book.deliver(resp.GetBatches())
	return a, nil
}

// Receipt waits for the answer's receipt, checked (root signature by the
// miner, leaf in the root's tree), until ctx ends or, when ctx has no
// deadline, ReceiptTimeout passes.
func (a *Answer) Receipt(ctx context.Context) (*axonpb.Receipt, error) {
	if a.awaited == nil {
		return nil, fmt.Errorf("%w: more than %d receipts awaited in this session", ErrNoReceipt, maxAwaitedReceipts)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, a.client.opts.ReceiptTimeout)
		defer cancel()
	}
	select {
	case <-a.awaited.done:
		if a.awaited.err != nil {
			return nil, a.awaited.err
		}
		return a.awaited.receipt, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the root of sequence %d: %w", ErrNoReceipt, a.awaited.leaf.GetSequence(), ctx.Err())
	}
}

// watchReceipts opens the session's Receipts stream unless one is open; it
// feeds the book until the session or the client ends.
func (c *Client) watchReceipts(target AxonTarget, s *clientSession) {
	s.book.mu.Lock()
	if s.book.streaming {
		s.book.mu.Unlock()
		return
	}
	s.book.streaming = true
	s.book.mu.Unlock()
	pc, _, err := c.conn(target)
	if err != nil {
		s.book.stopStreaming()
		return
	}
	go func() {
		defer s.book.stopStreaming()
		ctx, cancel := context.WithDeadline(c.ctx, s.expiry.Add(time.Second))
		defer cancel()
		h, _ := header(s, MethodReceipts, BodyHash(nil))
		stream, err := pc.stub.Receipts(ctx, &axonpb.ReceiptsRequest{Header: h})
		if err != nil {
			return
		}
		for {
			rb, err := stream.Recv()
			if err != nil {
				return
			}
			s.book.deliver([]*axonpb.ReceiptBatch{rb})
		}
	}()
}

func (b *receiptBook) stopStreaming() {
	b.mu.Lock()
	b.streaming = false
	b.mu.Unlock()
}
