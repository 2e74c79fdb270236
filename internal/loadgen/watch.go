package loadgen

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// lostAfter is how many blocks an accepted transaction may wait before it
// is counted as dropped from the mempool.
const lostAfter = 30

// sentTx is a transaction that went to CheckTx and is waiting for a block.
type sentTx struct {
	w      *worker
	kind   msgKind
	commit *commit
	height int64 // the chain height when it was sent
}

// tracker holds the transactions waiting for a block, by hash.
type tracker struct {
	mu      sync.Mutex
	pending map[[32]byte]*sentTx
}

func (t *tracker) add(hash [32]byte, st *sentTx) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[hash] = st
}

func (t *tracker) remove(hash [32]byte) { _ = t.take(hash) }

// take removes and returns the transaction with hash, or nil.
func (t *tracker) take(hash [32]byte) *sentTx {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.pending[hash]
	delete(t.pending, hash)
	return st
}

// takeOlder removes and returns the transactions sent before height.
func (t *tracker) takeOlder(height int64) []*sentTx {
	t.mu.Lock()
	defer t.mu.Unlock()
	var old []*sentTx
	for h, st := range t.pending {
		if st.height < height {
			old = append(old, st)
			delete(t.pending, h)
		}
	}
	return old
}

func (t *tracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// blockRecord is what one block held of the load.
type blockRecord struct {
	height int64
	time   time.Time
	kinds  []msgKind // per transaction; foreign for those the generator did not send
	// filled from the block results once the load is over
	ok, failed [numKinds]int
}

// foreign marks a transaction the generator did not send.
const foreign msgKind = -1

// chainHeight returns the last block the watcher has processed and a
// channel closed when the next one is.
func (g *Generator) chainHeight() (int64, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.height, g.newBlock
}

// waitBlock waits for the channel from chainHeight, or for ctx.
func (g *Generator) waitBlock(ctx context.Context, next <-chan struct{}) {
	select {
	case <-next:
	case <-ctx.Done():
	}
}

// watch follows the chain from the current height until ctx ends: for each
// new block it reads the transactions and their results, credits them to
// the workers that sent them, and wakes the workers waiting for a block.
func (g *Generator) watch(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	failingSince := time.Time{}
	for {
		// A block is stored (and reported by status) a moment before its
		// results are, so a failed read is retried for a while.
		if err := g.catchUp(ctx); err == nil || ctx.Err() != nil {
			failingSince = time.Time{}
		} else if failingSince.IsZero() {
			failingSince = time.Now()
		} else if time.Since(failingSince) > watchPatience {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// watchPatience is how long the watcher retries a block it cannot read.
const watchPatience = 20 * time.Second

// catchUp processes every block up to the latest.
func (g *Generator) catchUp(ctx context.Context) error {
	st, err := g.rpc.Status(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	g.mu.Lock()
	last := g.height
	g.mu.Unlock()
	for h := last + 1; h <= st.SyncInfo.LatestBlockHeight; h++ {
		if err := g.processBlock(ctx, h); err != nil {
			return fmt.Errorf("reading block %d: %w", h, err)
		}
	}
	return nil
}

// processBlock reads block h, credits its transactions to the workers that
// sent them and records it. The results (success or failure) are read after
// the load (collectResults): block_results is the node's most expensive
// RPC, and the workers only need to know that a transaction is in a block.
func (g *Generator) processBlock(ctx context.Context, h int64) error {
	blk, err := g.rpc.Block(ctx, &h)
	if err != nil {
		return err
	}
	rec := blockRecord{height: h, time: blk.Block.Time, kinds: make([]msgKind, len(blk.Block.Txs))}
	for i, bz := range blk.Block.Txs {
		st := g.track.take(sha256.Sum256(bz))
		if st == nil {
			rec.kinds[i] = foreign
			continue
		}
		rec.kinds[i] = st.kind
		st.w.included(st, h)
	}
	for _, st := range g.track.takeOlder(h - lostAfter) {
		g.stats.lose()
		st.w.lost(st)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocks = append(g.blocks, rec)
	g.height = h
	close(g.newBlock)
	g.newBlock = make(chan struct{})
	return nil
}

// collectResults reads the results of every recorded block and counts the
// generator's transactions by message type and outcome, with the reasons
// of the failures.
func (g *Generator) collectResults(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.blocks {
		b := &g.blocks[i]
		res, err := g.rpc.BlockResults(ctx, &b.height)
		if err != nil {
			return fmt.Errorf("results of block %d: %w", b.height, err)
		}
		if len(res.TxsResults) != len(b.kinds) {
			return fmt.Errorf("block %d: %d transactions but %d results", b.height, len(b.kinds), len(res.TxsResults))
		}
		for j, k := range b.kinds {
			r := res.TxsResults[j]
			switch {
			case k == foreign:
			case r.Code == 0:
				b.ok[k]++
			default:
				b.failed[k]++
				g.stats.fail(k, r.Codespace, r.Code, r.Log)
			}
		}
	}
	return nil
}

// ours is the number of the generator's transactions in the block.
func (b blockRecord) ours() int {
	n := 0
	for _, k := range b.kinds {
		if k != foreign {
			n++
		}
	}
	return n
}
