package route

import "time"

// Breaker states as reported by MinerStats.Breaker and OnBreaker.
const (
	StateClosed   = "closed"
	StateOpen     = "open"
	StateHalfOpen = "half-open"
)

// state is a breaker state; String gives its name in MinerStats.
type state uint8

const (
	closed state = iota
	open
	halfOpen
)

func (s state) String() string {
	switch s {
	case open:
		return StateOpen
	case halfOpen:
		return StateHalfOpen
	}
	return StateClosed
}

// breaker is one miner's circuit breaker. It is guarded by Router.mu.
type breaker struct {
	state     state
	failures  int           // consecutive failures while closed
	openFor   time.Duration // current open period; doubles on failed probes
	openUntil time.Time
	probing   bool // half-open and the one probe is in flight
}

// admits reports whether a request may go to the miner now: closed, open
// past its open period (it will become the half-open probe), or half-open
// with no probe in flight.
func (b *breaker) admits(now time.Time) bool {
	switch b.state {
	case open:
		return !now.Before(b.openUntil)
	case halfOpen:
		return !b.probing
	}
	return true
}

// wantsProbe reports whether the next request to the miner would be its
// half-open probe.
func (b *breaker) wantsProbe(now time.Time) bool {
	return b.state == halfOpen || (b.state == open && !now.Before(b.openUntil))
}

// view is the state Stats reports: an open breaker past its open period
// is already half-open for a caller.
func (b *breaker) view(now time.Time) string {
	if b.state == open && !now.Before(b.openUntil) {
		return StateHalfOpen
	}
	return b.state.String()
}

// admit is called when a request is sent; it reports whether that request
// is the probe and whether the state changed.
func (b *breaker) admit(now time.Time) (probe, changed bool) {
	if !b.wantsProbe(now) {
		return false, false
	}
	changed = b.state != halfOpen
	b.state, b.probing = halfOpen, true
	return true, changed
}

// success records an answer from the miner. Only the probe closes a
// half-open breaker; late answers to requests sent before the breaker
// opened leave it alone.
func (b *breaker) success(probe bool, base time.Duration) (changed bool) {
	switch {
	case b.state == closed:
		b.failures = 0
	case probe && b.state == halfOpen:
		*b = breaker{state: closed, openFor: base}
		return true
	}
	return false
}

// failure records a failed request and opens the breaker after cfg's
// consecutive failures, or again (for twice as long) after a failed probe.
func (b *breaker) failure(probe bool, now time.Time, cfg *Config) (changed bool) {
	switch {
	case b.state == closed:
		b.failures++
		if b.failures < cfg.BreakerFailures {
			return false
		}
		b.openFor = cfg.BreakerOpen
	case probe && b.state == halfOpen:
		b.failures++
		b.openFor = min(2*b.openFor, max(maxBreakerOpen, cfg.BreakerOpen))
	default:
		b.failures++
		return false
	}
	b.state, b.probing, b.openUntil = open, false, now.Add(b.openFor)
	return true
}

// abandon releases the probe slot of a probe whose answer nobody waited
// for, so that another request can probe.
func (b *breaker) abandon(probe bool) {
	if probe && b.state == halfOpen {
		b.probing = false
	}
}
