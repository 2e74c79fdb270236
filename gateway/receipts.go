package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"time"

	"github.com/tensorcosm/tensorcosm/axon"
)

// receiptEntry is one answer's receipt: ready once done is closed, with
// either the verified receipt (protojson, what `tensorcosmd receipt verify`
// reads) or why there is none.
type receiptEntry struct {
	done    chan struct{}
	receipt []byte
	err     error
}

// receiptCache keeps the receipts of recent answers for GET
// /v1/receipts/{id}, the newest size of them.
type receiptCache struct {
	mu      sync.Mutex
	size    int
	entries map[string]*receiptEntry
	order   []string // insertion order, oldest first
}

func newReceiptCache(size int) *receiptCache {
	return &receiptCache{size: size, entries: map[string]*receiptEntry{}}
}

// add registers a new entry and returns its id, evicting the oldest entry
// past the size.
func (c *receiptCache) add() (string, *receiptEntry) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	e := &receiptEntry{done: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[id] = e
	c.order = append(c.order, id)
	for len(c.order) > c.size {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	return id, e
}

func (c *receiptCache) get(id string) (*receiptEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	return e, ok
}

// settle waits (up to limit) for ans's receipt, verifies it and records
// the outcome in e.
func settle(ctx context.Context, ans *axon.Answer, limit time.Duration, e *receiptEntry) {
	defer close(e.done)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	r, err := ans.Receipt(ctx)
	if err == nil {
		err = axon.VerifyReceipt(r)
	}
	if err == nil {
		e.receipt, err = axon.MarshalReceipt(r)
	}
	e.err = err
}

// receiptB64 is the receipt as standard base64 of its protojson.
func receiptB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
