package route

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ticket is one admitted attempt: the miner, a copy of its candidate taken
// under the lock, and whether it is the breaker's half-open probe.
type ticket struct {
	m     *miner
	cand  Candidate
	probe bool
}

// outcome classifies a finished attempt for the miner's books.
type outcome int

const (
	outSuccess   outcome = iota
	outPermanent         // the caller's fault: the miner answered
	outFailure           // the miner's fault, timeouts included
	outAbandoned         // nobody waited for the answer
)

// acquire picks a miner not in *tried, appends it to *tried and counts it
// in flight, all under the lock so that concurrent slots of one request
// never share a miner. It also returns the hedge delay (0 = do not hedge).
func (r *Router) acquire(tried *[]*miner) (ticket, time.Duration, bool) {
	r.mu.Lock()
	now := r.now()
	m := r.pickLocked(now, *tried)
	if m == nil {
		r.mu.Unlock()
		return ticket{}, 0, false
	}
	probe, changed := m.breaker.admit(now)
	m.inflight++
	*tried = append(*tried, m)
	t := ticket{m: m, cand: m.cand, probe: probe}
	var delay time.Duration
	if p95, ok := r.window.quantile95(); ok && r.cfg.Hedge {
		delay = max(p95, r.cfg.HedgeMin)
	}
	r.mu.Unlock()
	if changed {
		r.breakerHook(t.cand.Key, StateHalfOpen)
	}
	return t, delay, true
}

// pickLocked draws two distinct admissible miners by weight and keeps the
// one with the lower score (power of two choices); a miner due for its
// half-open probe wins, so that a recovered miner gets traffic back.
func (r *Router) pickLocked(now time.Time, tried []*miner) *miner {
	pool, total := r.pool[:0], 0.0
	for _, m := range r.miners {
		if m.breaker.admits(now) && !slices.Contains(tried, m) {
			pool = append(pool, m)
			total += m.weight
		}
	}
	r.pool = pool
	if len(pool) == 0 {
		return nil
	}
	a := r.draw(pool, nil, total)
	if len(pool) == 1 || a.breaker.wantsProbe(now) {
		return a
	}
	b := r.draw(pool, a, total-a.weight)
	if b.breaker.wantsProbe(now) || score(b, now) < score(a, now) {
		return b
	}
	return a
}

// draw returns a miner of pool other than skip with probability
// proportional to its weight; total is the pool's weight without skip.
func (r *Router) draw(pool []*miner, skip *miner, total float64) *miner {
	x := r.rng.Float64() * total
	var last *miner
	for _, m := range pool {
		if m == skip {
			continue
		}
		last = m
		if x -= m.weight; x < 0 {
			return m
		}
	}
	return last // rounding left x at or just above 0
}

// score is the expected wait at the miner: its latency average times one
// plus the requests already in flight there. A miner with no recent sample
// scores as if it were instantly fast, so that it gets measured.
func score(m *miner, now time.Time) float64 {
	lat := 0.0
	if m.hasEWMA && now.Sub(m.updated) <= staleAfter {
		lat = m.ewma
	}
	return (lat + 1) * float64(1+m.inflight)
}

// release records a finished attempt: latency average, breaker, counters
// and (for successes) the router's latency window.
func (r *Router) release(t ticket, out outcome, lat time.Duration) {
	r.mu.Lock()
	now, m := r.now(), t.m
	m.inflight--
	m.requests++
	changed := false
	switch out {
	case outSuccess, outPermanent:
		if t.probe && m.breaker.state == halfOpen {
			m.hasEWMA = false // a recovered miner starts over
		}
		r.sampleLocked(m, now, float64(lat))
		if out == outSuccess {
			r.window.add(lat)
		}
		changed = m.breaker.success(t.probe, r.cfg.BreakerOpen)
	case outFailure:
		m.failures++
		// A fast failure must not make the miner look fast.
		r.sampleLocked(m, now, max(float64(lat), 2*m.ewma))
		changed = m.breaker.failure(t.probe, now, &r.cfg)
	case outAbandoned:
		// The answer took at least lat: a lower bound, never a speed-up.
		r.sampleLocked(m, now, max(float64(lat), m.ewma))
		m.breaker.abandon(t.probe)
	}
	state := m.breaker.state.String()
	r.mu.Unlock()
	if changed {
		r.breakerHook(t.cand.Key, state)
	}
}

func (r *Router) sampleLocked(m *miner, now time.Time, ns float64) {
	ns = min(ns, float64(time.Minute))
	if m.hasEWMA {
		m.ewma += r.cfg.EWMAAlpha * (ns - m.ewma)
	} else {
		m.ewma, m.hasEWMA = ns, true
	}
	m.updated = now
}

func (r *Router) breakerHook(key, state string) {
	if r.OnBreaker != nil {
		r.OnBreaker(key, state)
	}
}

// call runs one attempt on the calling goroutine and books it. A panic in
// call becomes a failure rather than taking the gateway down.
func (r *Router) call(ctx context.Context, t ticket, call CallFunc) (v any, lat time.Duration, err error) {
	start := r.now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				v, err = nil, fmt.Errorf("route: call to miner %d panicked: %v", t.cand.UID, p)
			}
		}()
		v, err = call(ctx, t.cand)
	}()
	lat = r.now().Sub(start)
	r.release(t, classify(ctx, err), lat)
	if r.OnAttempt != nil {
		r.OnAttempt(t.cand.Key, err, lat)
	}
	return v, lat, err
}

// classify decides whose fault an attempt's error is. The router's own
// cancellation and the caller giving up are nobody's; a deadline that
// passed while the miner worked is the miner's (a timeout).
func classify(ctx context.Context, err error) outcome {
	switch {
	case err == nil:
		return outSuccess
	case IsPermanent(err):
		return outPermanent
	case context.Cause(ctx) == errAbandoned:
		return outAbandoned
	case errors.Is(ctx.Err(), context.Canceled):
		return outAbandoned
	}
	return outFailure
}
