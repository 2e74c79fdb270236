package route

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// warm runs exactly hedgeMinSamples successful requests of latency lat, so
// the window has its p95 but no request so far could have armed a hedge.
func warm(t *testing.T, r *Router, clk *fakeClock, lat time.Duration) {
	t.Helper()
	for range hedgeMinSamples {
		_, err := r.Do(context.Background(), func(context.Context, Candidate) (any, error) {
			clk.Advance(lat)
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := clk.askedDurations(); len(got) != 0 {
		t.Fatalf("hedge timers armed before %d samples: %v", hedgeMinSamples, got)
	}
}

func TestHedgeFiresAfterP95AndCancelsLoser(t *testing.T) {
	r, clk := newTestRouter(t, DefaultConfig(), miners(2)...)
	var hedges atomic.Int32
	r.OnHedge = func() { hedges.Add(1) }
	warm(t, r, clk, 10*time.Millisecond)

	var calls atomic.Int32
	loserKey := make(chan string, 1)
	loserCause := make(chan error, 1)
	type ret struct {
		res Result
		err error
	}
	done := make(chan ret)
	go func() {
		res, err := r.Do(context.Background(), func(ctx context.Context, c Candidate) (any, error) {
			if calls.Add(1) == 1 {
				loserKey <- c.Key
				<-ctx.Done()
				loserCause <- context.Cause(ctx)
				return nil, ctx.Err()
			}
			return "fast-" + c.Key, nil
		})
		done <- ret{res, err}
	}()
	<-clk.added // the hedge timer is armed
	if got := clk.askedDurations(); len(got) != 1 || got[0] != 10*time.Millisecond {
		t.Fatalf("hedge delays %v, want [10ms] (the p95)", got)
	}
	clk.Advance(10 * time.Millisecond)
	got := <-done
	loser := <-loserKey
	if got.err != nil {
		t.Fatal(got.err)
	}
	if !got.res.Hedged || got.res.Attempts != 2 || got.res.Candidate.Key == loser || got.res.Value != "fast-"+got.res.Candidate.Key {
		t.Fatalf("result %+v, want the hedge's answer (loser %s)", got.res, loser)
	}
	if cause := <-loserCause; !errors.Is(cause, errAbandoned) {
		t.Fatalf("loser's context cause %v, want it cancelled as abandoned", cause)
	}
	if hedges.Load() != 1 {
		t.Fatalf("OnHedge called %d times, want 1", hedges.Load())
	}
	waitIdle(t, r)
	if s := statsOf(t, r, loser); s.Failures != 0 || s.Breaker != StateClosed {
		t.Fatalf("loser stats %+v: a cancelled loser must not count as a failure", s)
	}
}

func TestHedgeDelayHasLowerBound(t *testing.T) {
	r, clk := newTestRouter(t, DefaultConfig(), miners(2)...)
	var hedges atomic.Int32
	r.OnHedge = func() { hedges.Add(1) }
	warm(t, r, clk, time.Millisecond)
	res, err := r.Do(context.Background(), ok("quick"))
	if err != nil || res.Hedged || hedges.Load() != 0 {
		t.Fatalf("Do = %+v, %v, hedges %d; want no hedge for a quick answer", res, err, hedges.Load())
	}
	if got := clk.askedDurations(); len(got) != 1 || got[0] != 2*time.Millisecond {
		t.Fatalf("hedge delays %v, want [2ms] (HedgeMin above a 1ms p95)", got)
	}
}

// TestHedgeFailsOriginalWins: when the hedge fails, Do waits for the
// original attempt instead of starting a third one.
func TestHedgeFailsOriginalWins(t *testing.T) {
	r, clk := newTestRouter(t, DefaultConfig(), miners(3)...)
	warm(t, r, clk, 10*time.Millisecond)
	release := make(chan struct{})
	var calls atomic.Int32
	done := make(chan Result)
	go func() {
		res, _ := r.Do(context.Background(), func(context.Context, Candidate) (any, error) {
			if calls.Add(1) == 1 {
				<-release
				return "slow", nil
			}
			close(release)
			return nil, errTest
		})
		done <- res
	}()
	<-clk.added
	clk.Advance(10 * time.Millisecond)
	res := <-done
	if res.Value != "slow" || !res.Hedged || res.Attempts != 2 || calls.Load() != 2 {
		t.Fatalf("result %+v after %d calls, want the original's answer after 2", res, calls.Load())
	}
}

func TestHedgeDisabled(t *testing.T) {
	r, clk := newTestRouter(t, noHedge(), miners(2)...)
	for range 2 * hedgeMinSamples {
		_, _ = r.Do(context.Background(), func(context.Context, Candidate) (any, error) {
			clk.Advance(time.Millisecond)
			return nil, nil
		})
	}
	if got := clk.askedDurations(); len(got) != 0 {
		t.Fatalf("hedge timers armed with Hedge=false: %v", got)
	}
}

func TestWindowQuantile(t *testing.T) {
	var w latencyWindow
	for i := range hedgeMinSamples - 1 {
		w.add(time.Duration(i))
	}
	if _, ok := w.quantile95(); ok {
		t.Fatal("p95 before hedgeMinSamples")
	}
	w = latencyWindow{}
	for i := 1; i <= 100; i++ {
		w.add(time.Duration(i) * time.Millisecond)
	}
	if p, ok := w.quantile95(); !ok || p != 95*time.Millisecond {
		t.Fatalf("p95 of 1..100ms = %s, want 95ms", p)
	}
	// The window keeps only the last windowSize samples.
	for range windowSize {
		w.add(time.Second)
	}
	if p, _ := w.quantile95(); p != time.Second {
		t.Fatalf("p95 after the window rolled over = %s, want 1s", p)
	}
}
