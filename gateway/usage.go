package gateway

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway/store"
)

// usageBuffer adds up usage counts in memory and writes them to the store
// every interval, so that a request costs no store write (65 us on SQLite,
// 320 us on PostgreSQL on loopback). Only counts that decide nothing go
// through it: the requests of keys without a daily quota, and errors. A key
// with a quota is counted in the store at once, so replicas share an exact
// count. What is buffered when the process is killed (not stopped) is lost:
// at most one interval of those counts.
type usageBuffer struct {
	store    store.Store
	interval time.Duration
	log      *slog.Logger
	onFail   func() // a flush failed

	mu     sync.Mutex
	counts map[usageKey]*store.Usage
}

type usageKey struct {
	keyID  string
	netuid uint32
	day    string
}

func newUsageBuffer(s store.Store, interval time.Duration, log *slog.Logger, onFail func()) *usageBuffer {
	return &usageBuffer{store: s, interval: interval, log: log, onFail: onFail, counts: map[usageKey]*store.Usage{}}
}

// add counts u, to be written at the next flush.
func (b *usageBuffer) add(u store.Usage) {
	k := usageKey{u.KeyID, u.Netuid, u.Day}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.counts[k]; ok {
		c.Requests += u.Requests
		c.Errors += u.Errors
		return
	}
	b.counts[k] = &u
}

// flush writes what was added since the last flush. Counts the store
// refused for a transient reason are kept for the next flush; counts it
// can never take (a key that no longer exists) are dropped and logged.
func (b *usageBuffer) flush(ctx context.Context) error {
	b.mu.Lock()
	pending := b.counts
	b.counts = map[usageKey]*store.Usage{}
	b.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	rows := make([]*store.Usage, 0, len(pending))
	for _, u := range pending {
		rows = append(rows, u)
	}
	slices.SortFunc(rows, func(a, c *store.Usage) int {
		return cmp.Or(cmp.Compare(a.Day, c.Day), cmp.Compare(a.KeyID, c.KeyID), cmp.Compare(a.Netuid, c.Netuid))
	})
	var failed error
	for _, u := range rows {
		_, err := b.store.AddUsage(ctx, *u)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
			b.log.Warn("usage dropped: the store refuses it", "key", u.KeyID, "netuid", u.Netuid, "day", u.Day,
				"requests", u.Requests, "errors", u.Errors, "err", err)
		default:
			failed = errors.Join(failed, err)
			b.add(*u)
		}
	}
	if failed != nil {
		b.onFail()
	}
	return failed
}

// run flushes every interval until ctx ends. The last flush is the
// caller's, once no request can add more (Gateway.Run does it after the
// API drained).
func (b *usageBuffer) run(ctx context.Context) error {
	t := time.NewTicker(b.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := b.flush(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("usage not written; kept for the next flush", "err", err)
			}
		}
	}
}
