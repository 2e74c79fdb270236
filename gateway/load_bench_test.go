package gateway_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkGatewayLoad is issue 18's load benchmark (make bench-gateway):
// open-loop traffic at a fixed rate against the rig of
// BenchmarkGatewayLatency, each request timed from its scheduled start, so
// a slow answer delays nobody's clock (no coordinated omission).
//
//   - At BENCH_GATEWAY_RATE requests/s (default 1000) for
//     BENCH_GATEWAY_SECONDS (default 30), one after the other: direct axon
//     calls, gateway calls with receipt_wait_ms 0 (the answer at once,
//     like a direct call) and gateway calls with the receipt inline (the
//     default). added-p50/p99 are the gateway's percentiles minus the
//     direct call's.
//   - Then the highest sustained rate: a ramp of 5 s steps through the
//     gateway (receipt inline) until a step has errors, completes under
//     95% of its rate, or has p99 at or over 50 ms; max-sustained-req/s is
//     the last step that passed.
//
// It runs once whatever -benchtime says (run it with -benchtime 1x).
func BenchmarkGatewayLoad(b *testing.B) {
	rate := envFloat(b, "BENCH_GATEWAY_RATE", 1000)
	seconds := envFloat(b, "BENCH_GATEWAY_SECONDS", 30)
	d := time.Duration(seconds * float64(time.Second))
	r := newRig(b)
	now, inline := r.post(map[string]any{"receipt_wait_ms": 0}), r.post(nil)
	for range 10 { // sessions and connections open
		for _, f := range []func() error{r.direct, now, inline} {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
	}
	for b.Loop() {
		direct := openLoop(rate, d, r.direct)
		url := openLoop(rate, d, now)
		in := openLoop(rate, d, inline)
		for _, x := range []struct {
			name string
			res  loadResult
		}{{"direct", direct}, {"gateway, receipt by URL", url}, {"gateway, receipt inline", in}} {
			b.Logf("%-24s %s", x.name, x.res)
			if x.res.errors > 0 {
				b.Errorf("%s: %d of %d requests failed, first: %v", x.name, x.res.errors, x.res.sent, x.res.firstErr)
			}
		}
		b.ReportMetric(direct.pct(0.50), "direct-p50-us")
		b.ReportMetric(direct.pct(0.99), "direct-p99-us")
		b.ReportMetric(url.pct(0.50)-direct.pct(0.50), "added-p50-us")
		b.ReportMetric(url.pct(0.99)-direct.pct(0.99), "added-p99-us")
		b.ReportMetric(in.pct(0.50)-direct.pct(0.50), "added-inline-p50-us")
		b.ReportMetric(in.pct(0.99)-direct.pct(0.99), "added-inline-p99-us")

		best := 0.0
		for _, step := range []float64{500, 1000, 1500, 2000, 3000, 4000, 6000, 8000} {
			res := openLoop(step, 5*time.Second, inline)
			ok := res.errors == 0 && res.throughput() >= 0.95*step && res.pct(0.99) < 50e3
			b.Logf("ramp %5.0f req/s: %s -> %v", step, res, map[bool]string{true: "sustained", false: "not sustained"}[ok])
			if !ok {
				break
			}
			best = step
		}
		b.ReportMetric(best, "max-sustained-req/s")
	}
}

// loadResult is one open-loop run.
type loadResult struct {
	rate     float64
	lat      []time.Duration // sorted
	sent     int
	errors   int
	firstErr error
	elapsed  time.Duration // first scheduled start to last answer
}

// pct returns the p-quantile latency in microseconds.
func (r loadResult) pct(p float64) float64 { return quantileUs(r.lat, p) }

// quantileUs is the p-quantile of the sorted durations d in microseconds
// (0 for none).
func quantileUs(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	return float64(d[int(p*float64(len(d)-1))]) / 1e3
}

func (r loadResult) throughput() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

func (r loadResult) String() string {
	return fmt.Sprintf("%5.0f req/s offered, %5.0f answered/s, %d sent, %d errors, p50 %.0f us, p99 %.0f us",
		r.rate, r.throughput(), r.sent, r.errors, r.pct(0.50), r.pct(0.99))
}

// openLoop starts call at rate per second for d, each on its own
// goroutine (at most 2,000 at once; a start that finds none free counts as
// an error), and times each from its scheduled start.
func openLoop(rate float64, d time.Duration, call func() error) loadResult {
	const maxInFlight = 2000
	res := loadResult{rate: rate}
	interval := time.Duration(float64(time.Second) / rate)
	slots := make(chan struct{}, maxInFlight)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= d {
			break
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		res.sent++
		select {
		case slots <- struct{}{}:
		default:
			mu.Lock()
			res.errors++
			if res.firstErr == nil {
				res.firstErr = fmt.Errorf("%d requests in flight", maxInFlight)
			}
			mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := call()
			took := time.Since(at)
			<-slots
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.errors++
				if res.firstErr == nil {
					res.firstErr = err
				}
				return
			}
			res.lat = append(res.lat, took)
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.lat)
	return res
}

func envFloat(b *testing.B, name string, def float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return f
}
