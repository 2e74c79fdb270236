package route

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manual clock whose timers fire only in Advance.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	timers []fakeTimer
	asked  []time.Duration // every After duration, in order
	added  chan struct{}   // one token per After call
}

type fakeTimer struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), added: make(chan struct{}, 1024)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, fakeTimer{at: c.t.Add(d), c: ch})
	c.asked = append(c.asked, d)
	c.added <- struct{}{}
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.t) {
			kept = append(kept, t)
			continue
		}
		t.c <- c.t
	}
	c.timers = kept
}

func (c *fakeClock) askedDurations() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.asked...)
}

// newTestRouter returns a seeded router on a fake clock.
func newTestRouter(t *testing.T, cfg Config, cands ...Candidate) (*Router, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	r := New(cfg, clk.Now)
	r.After = clk.After
	r.Seed(42)
	r.SetCandidates(cands)
	return r, clk
}

// miners returns n candidates m0..m(n-1) with UID i and weight 1.
func miners(n int) []Candidate {
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{Key: fmt.Sprintf("m%d", i), UID: uint32(i), Weight: 1}
	}
	return out
}

// noHedge is the default config without hedging, for tests where a hedge
// would only add noise.
func noHedge() Config {
	c := DefaultConfig()
	c.Hedge = false
	return c
}

func ok(v any) CallFunc {
	return func(context.Context, Candidate) (any, error) { return v, nil }
}

func statsOf(t *testing.T, r *Router, key string) MinerStats {
	t.Helper()
	for _, s := range r.Stats() {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no stats for %q", key)
	return MinerStats{}
}
