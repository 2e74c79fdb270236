package route

import (
	"fmt"
	"math"
	"time"
)

// maxBreakerOpen caps how long a breaker stays open after repeated failed
// probes; Config.BreakerOpen doubles up to it.
const maxBreakerOpen = time.Minute

// Config tunes a Router. Zero fields take their DefaultConfig value in New.
type Config struct {
	// BreakerFailures is how many consecutive failures open a miner's breaker.
	BreakerFailures int
	// BreakerOpen is how long a breaker stays open before one probe may
	// pass (half-open); it doubles on each failed probe, up to one minute.
	BreakerOpen time.Duration
	// EWMAAlpha is the weight of the newest latency sample in a miner's
	// moving average, in (0, 1].
	EWMAAlpha float64
	// MaxAttempts bounds the calls per request across miners, hedges included.
	MaxAttempts int
	// Hedge starts a second miner when the first has not answered after the
	// router's observed p95 latency.
	Hedge bool
	// HedgeMin is the lower bound of the hedge delay, so that a very fast
	// p95 does not double the load.
	HedgeMin time.Duration
}

// DefaultConfig returns the defaults documented in README.md.
func DefaultConfig() Config {
	return Config{
		BreakerFailures: 3,
		BreakerOpen:     5 * time.Second,
		EWMAAlpha:       0.3,
		MaxAttempts:     3,
		Hedge:           true,
		HedgeMin:        2 * time.Millisecond,
	}
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	switch {
	case c.BreakerFailures < 1:
		return fmt.Errorf("route: breaker_failures must be >= 1, got %d", c.BreakerFailures)
	case c.BreakerOpen <= 0:
		return fmt.Errorf("route: breaker_open must be > 0, got %s", c.BreakerOpen)
	case math.IsNaN(c.EWMAAlpha) || c.EWMAAlpha <= 0 || c.EWMAAlpha > 1:
		return fmt.Errorf("route: ewma_alpha must be in (0, 1], got %v", c.EWMAAlpha)
	case c.MaxAttempts < 1:
		return fmt.Errorf("route: max_attempts must be >= 1, got %d", c.MaxAttempts)
	case c.HedgeMin < 0:
		return fmt.Errorf("route: hedge_min must be >= 0, got %s", c.HedgeMin)
	}
	return nil
}

// withDefaults fills zero fields from DefaultConfig; Hedge is left alone
// because false is a choice.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.BreakerFailures == 0 {
		c.BreakerFailures = d.BreakerFailures
	}
	if c.BreakerOpen == 0 {
		c.BreakerOpen = d.BreakerOpen
	}
	if c.EWMAAlpha == 0 {
		c.EWMAAlpha = d.EWMAAlpha
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = d.MaxAttempts
	}
	if c.HedgeMin == 0 {
		c.HedgeMin = d.HedgeMin
	}
	return c
}
