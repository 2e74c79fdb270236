package axon

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// session is a miner's end of one session.
type session struct {
	id      [SessionIDSize]byte
	caller  string
	binding []byte // TLS exporter of the handshake's connection; nil in plaintext
	expiry  time.Time
	keys    sessionKeys
	macs    macPair

	mu     sync.Mutex
	window seqWindow
}

// seqWindow refuses replayed sequence numbers. It remembers the size
// largest accepted numbers and a floor: every number it ever accepted is
// remembered or at most the floor, so a number is fresh when it is above
// the floor and not remembered. Size 0 is "strictly increasing"; a small
// window lets one client's concurrent requests, numbered in order but raced
// to the server on separate HTTP/2 streams, arrive out of order.
type seqWindow struct {
	size   int
	floor  uint64
	recent []uint64 // ascending, at most size long
}

// accept records seq, or says why it is refused.
func (w *seqWindow) accept(seq uint64) error {
	if seq <= w.floor {
		return fmt.Errorf("%w: sequence %d is not above %d (replayed, or older than the reorder window of %d)",
			errReplay, seq, w.floor, w.size)
	}
	i, found := slices.BinarySearch(w.recent, seq)
	if found {
		return fmt.Errorf("%w: sequence %d was used", errReplay, seq)
	}
	w.recent = slices.Insert(w.recent, i, seq)
	if len(w.recent) > w.size {
		w.floor = w.recent[0]
		w.recent = slices.Delete(w.recent, 0, 1)
	}
	return nil
}

// sessionTable holds the live sessions, bounded in all and per caller.
// Expired sessions are dropped when looked up and swept when the table is
// full, at most once a second.
type sessionTable struct {
	max, maxPerCaller, window int
	onEnd                     func(id []byte)
	onSize                    func(n int) // the sessions gauge

	mu        sync.RWMutex
	byID      map[[SessionIDSize]byte]*session
	perCaller map[string]int
	lastSweep time.Time
}

func newSessionTable(max, maxPerCaller, window int, onEnd func(id []byte), onSize func(n int)) *sessionTable {
	return &sessionTable{max: max, maxPerCaller: maxPerCaller, window: window, onEnd: onEnd, onSize: onSize,
		byID: make(map[[SessionIDSize]byte]*session), perCaller: make(map[string]int)}
}

// sessionMiss says why a session id found no live session.
type sessionMiss string

// The values of the axon-session trailer on a refused request.
const (
	missUnknown    sessionMiss = "unknown"
	missExpired    sessionMiss = "expired"
	missConnection sessionMiss = "connection"
)

// get returns the live session id names, or why there is none.
func (t *sessionTable) get(id []byte, now time.Time) (*session, sessionMiss) {
	if len(id) != SessionIDSize {
		return nil, missUnknown
	}
	key := [SessionIDSize]byte(id)
	t.mu.RLock()
	s, ok := t.byID[key]
	t.mu.RUnlock()
	if !ok {
		return nil, missUnknown
	}
	if !now.Before(s.expiry) {
		t.remove(s)
		return nil, missExpired
	}
	return s, ""
}

// add stores s, or refuses with errBusy when the caller or the table is at
// its limit.
func (t *sessionTable) add(s *session, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byID) >= t.max || t.perCaller[s.caller] >= t.maxPerCaller {
		t.sweepLocked(now)
	}
	if n := t.perCaller[s.caller]; n >= t.maxPerCaller {
		return fmt.Errorf("%w: caller holds %d sessions (max_sessions_per_caller)", errBusy, n)
	}
	if len(t.byID) >= t.max {
		return fmt.Errorf("%w: axon holds %d sessions (max_sessions)", errBusy, len(t.byID))
	}
	s.window.size = t.window
	t.byID[s.id] = s
	t.perCaller[s.caller]++
	t.onSize(len(t.byID))
	return nil
}

// sweepLocked drops expired sessions, at most once a second.
func (t *sessionTable) sweepLocked(now time.Time) {
	if now.Sub(t.lastSweep) < time.Second {
		return
	}
	t.lastSweep = now
	for _, s := range t.byID {
		if !now.Before(s.expiry) {
			t.removeLocked(s)
		}
	}
}

func (t *sessionTable) remove(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeLocked(s)
}

func (t *sessionTable) removeLocked(s *session) {
	if t.byID[s.id] != s {
		return
	}
	delete(t.byID, s.id)
	if t.perCaller[s.caller]--; t.perCaller[s.caller] <= 0 {
		delete(t.perCaller, s.caller)
	}
	t.onEnd(s.id[:])
	t.onSize(len(t.byID))
}

// endWhere ends every session whose caller keep refuses, and returns how
// many ended.
func (t *sessionTable) endWhere(drop func(caller string) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.byID {
		if drop(s.caller) {
			t.removeLocked(s)
			n++
		}
	}
	return n
}

// len is the number of sessions held (expired ones not yet swept included).
func (t *sessionTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byID)
}

// nonceCache remembers handshake nonces for ttl (twice the clock skew: a
// handshake older than the skew is refused by its timestamp), at most max
// of them. Nonces leave in arrival order, so expiry is a queue's head.
type nonceCache struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	seen  map[[NonceSize]byte]struct{}
	queue []nonceEntry
}

type nonceEntry struct {
	nonce  [NonceSize]byte
	expiry time.Time
}

func newNonceCache(ttl time.Duration, max int) *nonceCache {
	return &nonceCache{ttl: ttl, max: max, seen: make(map[[NonceSize]byte]struct{})}
}

// add records nonce; it refuses one seen before (errReplay) and, when the
// cache is full of live nonces, any new one (errBusy) rather than forget a
// nonce that could still be replayed.
func (c *nonceCache) add(nonce []byte, now time.Time) error {
	key := [NonceSize]byte(nonce)
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queue) > 0 && !now.Before(c.queue[0].expiry) {
		delete(c.seen, c.queue[0].nonce)
		c.queue[0] = nonceEntry{}
		c.queue = c.queue[1:]
	}
	if _, ok := c.seen[key]; ok {
		return fmt.Errorf("%w: handshake nonce was used", errReplay)
	}
	if len(c.seen) >= c.max {
		return fmt.Errorf("%w: %d handshakes in the last %s (max_handshake_nonces)", errBusy, len(c.seen), c.ttl)
	}
	c.seen[key] = struct{}{}
	c.queue = append(c.queue, nonceEntry{nonce: key, expiry: now.Add(c.ttl)})
	return nil
}

func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// rateLimiter is a token bucket per caller: rate tokens a second, at most
// burst. Only registered callers reach it; idle (full) buckets are dropped
// when it holds max of them.
type rateLimiter struct {
	rate  float64
	burst float64
	max   int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst, max int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), max: max, buckets: make(map[string]*bucket)}
}

// allow takes a token of caller's, or refuses with errBusy.
func (r *rateLimiter) allow(caller string, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.buckets[caller]
	if !ok {
		if len(r.buckets) >= r.max {
			r.dropIdle(now)
		}
		if len(r.buckets) >= r.max {
			return fmt.Errorf("%w: handshake rate limiter holds %d callers", errBusy, len(r.buckets))
		}
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[caller] = b
	}
	b.tokens = min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if b.tokens < 1 {
		return fmt.Errorf("%w: more than %g handshakes a second (handshakes_per_caller_per_second)", errBusy, r.rate)
	}
	b.tokens--
	return nil
}

func (r *rateLimiter) dropIdle(now time.Time) {
	for k, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.buckets, k)
		}
	}
}
