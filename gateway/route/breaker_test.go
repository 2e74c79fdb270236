package route

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// breakerRecorder collects OnBreaker transitions.
type breakerRecorder struct {
	mu     sync.Mutex
	states []string
}

func (b *breakerRecorder) hook(key, state string) {
	b.mu.Lock()
	b.states = append(b.states, key+":"+state)
	b.mu.Unlock()
}

func (b *breakerRecorder) get() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.states...)
}

func TestBreakerTransitions(t *testing.T) {
	cfg := noHedge()
	cfg.MaxAttempts = 1
	r, clk := newTestRouter(t, cfg, Candidate{Key: "a", Weight: 1})
	var rec breakerRecorder
	r.OnBreaker = rec.hook
	calls := 0
	do := func(fail bool) error {
		_, err := r.Do(context.Background(), func(context.Context, Candidate) (any, error) {
			calls++
			if fail {
				return nil, errTest
			}
			return "ok", nil
		})
		return err
	}
	expect := func(step, state string, failures int) {
		t.Helper()
		if s := statsOf(t, r, "a"); s.Breaker != state || s.ConsecutiveFailures != failures {
			t.Fatalf("%s: breaker %s with %d failures, want %s with %d", step, s.Breaker, s.ConsecutiveFailures, state, failures)
		}
	}

	for i := range 2 {
		_ = do(true)
		expect("failure below the threshold", StateClosed, i+1)
	}
	_ = do(false) // a success resets the count
	expect("success", StateClosed, 0)
	for range 3 {
		_ = do(true)
	}
	expect("third consecutive failure", StateOpen, 3)

	before := calls
	if err := do(false); !errors.Is(err, ErrNoCandidates) || calls != before {
		t.Fatalf("open breaker: err %v, %d calls; want ErrNoCandidates and no call", err, calls-before)
	}
	clk.Advance(5*time.Second - time.Nanosecond)
	if err := do(false); !errors.Is(err, ErrNoCandidates) {
		t.Fatalf("still open just before BreakerOpen: err %v", err)
	}
	clk.Advance(time.Nanosecond)
	expect("after BreakerOpen", StateHalfOpen, 3)

	// Failed probes re-open for twice as long each time, up to a minute.
	for i, open := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute} {
		before = calls
		_ = do(true)
		if calls != before+1 {
			t.Fatal("half-open breaker did not let the probe through")
		}
		expect("failed probe", StateOpen, 4+i)
		clk.Advance(open - time.Nanosecond)
		if err := do(false); !errors.Is(err, ErrNoCandidates) {
			t.Fatalf("breaker should stay open for %s after a failed probe: err %v", open, err)
		}
		clk.Advance(time.Nanosecond)
		expect("open period over", StateHalfOpen, 4+i)
	}

	if err := do(false); err != nil {
		t.Fatalf("successful probe: %v", err)
	}
	expect("successful probe", StateClosed, 0)
	// After closing, the open period is back to BreakerOpen.
	for range 3 {
		_ = do(true)
	}
	clk.Advance(5 * time.Second)
	expect("re-opened with the base period", StateHalfOpen, 3)

	want := []string{"a:open", "a:half-open"}
	for range 5 {
		want = append(want, "a:open", "a:half-open")
	}
	want = append(want, "a:closed", "a:open")
	if got := rec.get(); !equalStrings(got, want) {
		t.Fatalf("OnBreaker calls\n got %v\nwant %v", got, want)
	}
}

func TestBreakerOneProbeAtATime(t *testing.T) {
	cfg := noHedge()
	cfg.MaxAttempts = 1
	r, clk := newTestRouter(t, cfg, Candidate{Key: "a", Weight: 1})
	for range 3 {
		_, _ = r.Do(context.Background(), func(context.Context, Candidate) (any, error) { return nil, errTest })
	}
	clk.Advance(5 * time.Second)

	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := r.Do(context.Background(), func(context.Context, Candidate) (any, error) {
			close(started)
			<-release
			return "ok", nil
		})
		done <- err
	}()
	<-started
	calls := 0
	if _, err := r.Do(context.Background(), func(context.Context, Candidate) (any, error) { calls++; return nil, nil }); !errors.Is(err, ErrNoCandidates) || calls != 0 {
		t.Fatalf("second request during the probe: err %v, %d calls; want ErrNoCandidates", err, calls)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s := statsOf(t, r, "a"); s.Breaker != StateClosed {
		t.Fatalf("breaker %s after a successful probe, want closed", s.Breaker)
	}
}

// TestBreakerShiftsTraffic: while a miner is down the others take all the
// traffic with no failed request, and once it recovers its half-open probe
// brings traffic back, although it lost every latency comparison before
// (the test stays well inside staleAfter, so only the probe can do that).
func TestBreakerShiftsTraffic(t *testing.T) {
	cfg := noHedge()
	cfg.BreakerFailures = 1
	r, clk := newTestRouter(t, cfg, miners(3)...)
	down := true
	call := func(_ context.Context, c Candidate) (any, error) {
		if c.Key == "m0" && down {
			clk.Advance(5 * time.Millisecond) // fails slowly, like a timeout
			return nil, errTest
		}
		clk.Advance(time.Millisecond)
		return c.Key, nil
	}
	for range 100 {
		if _, err := r.Do(context.Background(), call); err != nil {
			t.Fatalf("request failed while one miner of three is down: %v", err)
		}
	}
	if s := statsOf(t, r, "m0"); s.Breaker != StateOpen || s.Failures != 1 {
		t.Fatalf("m0 stats %+v, want open after its one failure", s)
	}
	down = false
	clk.Advance(5 * time.Second)
	served := 0
	for range 300 {
		res, err := r.Do(context.Background(), call)
		if err != nil {
			t.Fatal(err)
		}
		if res.Candidate.Key == "m0" {
			served++
		}
	}
	if s := statsOf(t, r, "m0"); s.Breaker != StateClosed || served < 50 {
		t.Fatalf("recovered m0: stats %+v, served %d of 300; want closed and a fair share", s, served)
	}
}

// TestFailingMinerLosesTraffic: a failing miner's latency average is
// penalised, so power of two choices stops sending it requests even
// before its breaker opens.
func TestFailingMinerLosesTraffic(t *testing.T) {
	r, clk := newTestRouter(t, noHedge(), miners(3)...)
	call := func(_ context.Context, c Candidate) (any, error) {
		clk.Advance(time.Millisecond)
		if c.Key == "m0" {
			return nil, errTest
		}
		return c.Key, nil
	}
	for range 200 {
		if _, err := r.Do(context.Background(), call); err != nil {
			t.Fatalf("request failed while one miner of three fails: %v", err)
		}
	}
	if s := statsOf(t, r, "m0"); s.Requests == 0 || s.Requests > 3 {
		t.Fatalf("m0 stats %+v, want between 1 and 3 attempts", s)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
