package route

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	// staleAfter is how old a miner's latency average may get before the
	// picker ignores it: without it a miner that was slow once would lose
	// every power-of-two comparison and never get a fresh sample.
	staleAfter = 10 * time.Second
	// tinyWeight is the weight, relative to the largest one, that a miner
	// with no (or an invalid) weight gets: it is tried only when others are not.
	tinyWeight = 1e-6
)

// Candidate is a miner the router may call.
type Candidate struct {
	// Key is the miner's hotkey; it identifies the miner across SetCandidates.
	Key string
	// UID is the miner's UID in its subnet.
	UID uint32
	// Weight is the miner's last epoch incentive; <= 0 (or not finite) is
	// treated as tiny.
	Weight float64
}

// MinerStats is a snapshot of one miner's routing state.
type MinerStats struct {
	Key                 string
	UID                 uint32
	EWMA                time.Duration // latency moving average, 0 before the first sample
	Inflight            int
	Breaker             string // StateClosed, StateOpen or StateHalfOpen
	ConsecutiveFailures int
	Requests, Failures  uint64 // completed attempts, and those that failed
}

// Router picks miners and drives attempts. Build it with New; it is safe
// for concurrent use.
type Router struct {
	// OnAttempt, if set, is called after every call to a miner with the
	// miner's key, the call's error (nil on success) and its latency.
	// Hooks are set before the first Do, run outside the router's lock on
	// the goroutine that made the call, and must not block.
	OnAttempt func(key string, err error, latency time.Duration)
	// OnHedge, if set, is called when Do starts a hedge.
	OnHedge func()
	// OnBreaker, if set, is called when a miner's breaker changes state.
	OnBreaker func(key, state string)
	// After returns a channel that receives once d has passed, for the
	// hedge timer; nil means time.After. Tests that inject a fake clock
	// set it too. Set it before the first Do.
	After func(d time.Duration) <-chan time.Time

	cfg Config
	now func() time.Time

	mu     sync.Mutex
	rng    *rand.Rand
	miners []*miner // in SetCandidates order, so that seeded picks are reproducible
	pool   []*miner // pickLocked's scratch: the admissible miners
	window latencyWindow
}

// miner is one candidate's state, guarded by Router.mu. Attempts hold a
// pointer to it, so a miner dropped by SetCandidates while a call is in
// flight is updated harmlessly.
type miner struct {
	cand               Candidate
	weight             float64 // sanitised Weight used for picking
	ewma               float64 // nanoseconds
	hasEWMA            bool
	updated            time.Time
	inflight           int
	breaker            breaker
	requests, failures uint64
}

// New returns a Router with no candidates. Zero fields of cfg take their
// defaults; New panics if cfg is still invalid (call Validate first). now
// is the clock (nil means time.Now).
func New(cfg Config, now func() time.Time) *Router {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if now == nil {
		now = time.Now
	}
	// Routing needs spread, not secrecy: a math/rand generator is right.
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) //nolint:gosec // not a security use
	return &Router{cfg: cfg, now: now, rng: rng}
}

// Seed makes the router's random choices reproducible (tests, benchmarks).
func (r *Router) Seed(seed uint64) {
	r.mu.Lock()
	r.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // not a security use
	r.mu.Unlock()
}

// SetCandidates replaces the candidate set. Miners already known by Key
// keep their latency average, breaker and counters (their UID and Weight
// are updated); the others start fresh. A repeated Key keeps its first entry.
func (r *Router) SetCandidates(c []Candidate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := make(map[string]*miner, len(r.miners))
	for _, m := range r.miners {
		old[m.cand.Key] = m
	}
	maxW := 0.0
	for _, cand := range c {
		if validWeight(cand.Weight) {
			maxW = max(maxW, cand.Weight)
		}
	}
	next := make([]*miner, 0, len(c))
	seen := make(map[string]bool, len(c))
	for _, cand := range c {
		if seen[cand.Key] {
			continue
		}
		seen[cand.Key] = true
		m := old[cand.Key]
		if m == nil {
			m = &miner{breaker: breaker{state: closed, openFor: r.cfg.BreakerOpen}}
		}
		m.cand, m.weight = cand, sanitiseWeight(cand.Weight, maxW)
		next = append(next, m)
	}
	r.miners = next
}

func validWeight(w float64) bool { return w > 0 && !math.IsInf(w, 0) }

func sanitiseWeight(w, maxW float64) float64 {
	switch {
	case validWeight(w):
		return w
	case maxW > 0:
		return maxW * tinyWeight
	}
	return 1 // nobody has a weight: uniform
}

// Stats returns a snapshot of every candidate, sorted by UID (then Key).
func (r *Router) Stats() []MinerStats {
	r.mu.Lock()
	now := r.now()
	out := make([]MinerStats, 0, len(r.miners))
	for _, m := range r.miners {
		out = append(out, MinerStats{
			Key: m.cand.Key, UID: m.cand.UID, EWMA: time.Duration(m.ewma), Inflight: m.inflight,
			Breaker: m.breaker.view(now), ConsecutiveFailures: m.breaker.failures,
			Requests: m.requests, Failures: m.failures,
		})
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b MinerStats) int {
		if c := cmp.Compare(a.UID, b.UID); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}
