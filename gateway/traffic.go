package gateway

import (
	"math"
	"sync"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway/dashboard"
)

// trafficWindow is how many seconds the dashboard's live traffic covers.
const trafficWindow = 60

// latencyBounds are the upper bounds (ms) of the traffic histogram's
// buckets: 1 ms to about 33 s in steps of 2^(1/4), so a quantile read from
// it is within 19% of the true one.
var latencyBounds = func() []float64 {
	var b []float64
	for v := 1.0; v < 40_000; v *= math.Pow(2, 0.25) {
		b = append(b, v)
	}
	return b
}()

// traffic counts inference requests per second over the last
// trafficWindow seconds, with a latency histogram per second, for the
// dashboard's live figures (Prometheus has the same counts for scraping).
type traffic struct {
	mu    sync.Mutex
	now   func() time.Time
	slots [trafficWindow]trafficSlot
}

type trafficSlot struct {
	sec      int64 // Unix second the slot holds, 0 = empty
	requests int64
	errors   int64
	buckets  []int64 // len(latencyBounds)+1
}

func newTraffic(now func() time.Time) *traffic { return &traffic{now: now} }

// observe records one finished request; failed is a 5xx or 429 answer.
func (t *traffic) observe(latency time.Duration, failed bool) {
	ms := float64(latency) / float64(time.Millisecond)
	b := len(latencyBounds)
	for i, ub := range latencyBounds {
		if ms <= ub {
			b = i
			break
		}
	}
	sec := t.now().Unix()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.slots[sec%trafficWindow]
	if s.sec != sec {
		*s = trafficSlot{sec: sec, buckets: s.buckets[:0]}
		s.buckets = append(s.buckets, make([]int64, len(latencyBounds)+1)...)
	}
	s.requests++
	if failed {
		s.errors++
	}
	s.buckets[b]++
}

// snapshot sums the window's complete seconds and the current one.
func (t *traffic) snapshot() dashboard.Traffic {
	now := t.now().Unix()
	total := make([]int64, len(latencyBounds)+1)
	out := dashboard.Traffic{WindowS: trafficWindow}
	var errs int64
	t.mu.Lock()
	for i := range t.slots {
		s := &t.slots[i]
		if s.sec == 0 || s.sec <= now-trafficWindow || s.sec > now {
			continue
		}
		out.Requests += s.requests
		errs += s.errors
		for j, c := range s.buckets {
			total[j] += c
		}
	}
	t.mu.Unlock()
	if out.Requests == 0 {
		return out
	}
	out.RequestsPerS = float64(out.Requests) / trafficWindow
	out.ErrorRate = float64(errs) / float64(out.Requests)
	out.P50MS = quantile(total, out.Requests, 0.50)
	out.P99MS = quantile(total, out.Requests, 0.99)
	return out
}

// quantile is the upper bound of the bucket holding the q-quantile.
func quantile(buckets []int64, n int64, q float64) float64 {
	rank := int64(math.Ceil(q * float64(n)))
	var seen int64
	for i, c := range buckets {
		seen += c
		if seen >= rank {
			if i < len(latencyBounds) {
				return math.Round(latencyBounds[i]*10) / 10
			}
			break
		}
	}
	return math.Round(latencyBounds[len(latencyBounds)-1]*10) / 10
}
