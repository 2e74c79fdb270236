package route

import (
	"slices"
	"time"
)

const (
	// windowSize is how many recent successful latencies the p95 is taken over.
	windowSize = 128
	// hedgeMinSamples is how many samples the window needs before Do hedges:
	// a p95 of a handful of requests is noise.
	hedgeMinSamples = 20
	// recomputeEvery bounds the sorting cost: the p95 is recomputed after
	// this many new samples, not on every request.
	recomputeEvery = 16
)

// latencyWindow keeps the router's last windowSize successful latencies.
// It is guarded by Router.mu.
type latencyWindow struct {
	buf     [windowSize]time.Duration
	scratch [windowSize]time.Duration
	n       int // samples ever added
	p95     time.Duration
	stale   int // samples added since p95 was computed
	ok      bool
}

func (w *latencyWindow) add(d time.Duration) {
	w.buf[w.n%windowSize] = d
	w.n++
	w.stale++
}

// quantile95 returns the nearest-rank p95, or false before hedgeMinSamples.
func (w *latencyWindow) quantile95() (time.Duration, bool) {
	cnt := min(w.n, windowSize)
	if cnt < hedgeMinSamples {
		return 0, false
	}
	if !w.ok || w.stale >= recomputeEvery {
		s := w.scratch[:cnt]
		copy(s, w.buf[:cnt])
		slices.Sort(s)
		w.p95 = s[(95*cnt+99)/100-1]
		w.ok, w.stale = true, 0
	}
	return w.p95, true
}
