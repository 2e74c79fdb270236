package route

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

var errTest = errors.New("miner failed")

func TestDoNoCandidates(t *testing.T) {
	for _, cands := range [][]Candidate{nil, {}} {
		r, _ := newTestRouter(t, DefaultConfig(), cands...)
		calls := 0
		res, err := r.Do(context.Background(), func(context.Context, Candidate) (any, error) { calls++; return nil, nil })
		if !errors.Is(err, ErrNoCandidates) || !errors.Is(res.Err, ErrNoCandidates) {
			t.Fatalf("Do with %v candidates: err %v, want ErrNoCandidates", cands, err)
		}
		if calls != 0 || res.Attempts != 0 {
			t.Fatalf("calls %d, attempts %d, want 0", calls, res.Attempts)
		}
	}
}

func TestDoRetriesAnotherMiner(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), miners(3)...)
	var tried []string
	res, err := r.Do(context.Background(), func(_ context.Context, c Candidate) (any, error) {
		tried = append(tried, c.Key)
		if len(tried) == 1 {
			return nil, errTest
		}
		return c.Key, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tried) != 2 || tried[0] == tried[1] {
		t.Fatalf("tried %v, want two distinct miners", tried)
	}
	if res.Attempts != 2 || res.Value != tried[1] || res.Candidate.Key != tried[1] || res.Err != nil {
		t.Fatalf("result %+v, want the second miner's answer after 2 attempts", res)
	}
	if s := statsOf(t, r, tried[0]); s.Failures != 1 || s.ConsecutiveFailures != 1 {
		t.Fatalf("first miner stats %+v, want one failure", s)
	}
}

func TestDoRecoversFromPanickingCall(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), miners(2)...)
	n := 0
	res, err := r.Do(context.Background(), func(context.Context, Candidate) (any, error) {
		if n++; n == 1 {
			panic("codec bug")
		}
		return "ok", nil
	})
	if err != nil || res.Value != "ok" || res.Attempts != 2 {
		t.Fatalf("Do = %+v, %v; want a retry after the panic", res, err)
	}
}

func TestDoStopsAtMaxAttempts(t *testing.T) {
	cfg := noHedge()
	cfg.MaxAttempts = 3
	r, _ := newTestRouter(t, cfg, miners(5)...)
	var tried []string
	res, err := r.Do(context.Background(), func(_ context.Context, c Candidate) (any, error) {
		tried = append(tried, c.Key)
		return nil, errTest
	})
	if !errors.Is(err, ErrAllFailed) || !errors.Is(err, errTest) {
		t.Fatalf("err %v, want ErrAllFailed wrapping the miner's error", err)
	}
	slices.Sort(tried)
	if len(tried) != 3 || len(slices.Compact(tried)) != 3 || res.Attempts != 3 {
		t.Fatalf("tried %v (attempts %d), want 3 distinct miners", tried, res.Attempts)
	}
}

func TestDoRunsOutOfMiners(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), miners(2)...)
	calls := 0
	_, err := r.Do(context.Background(), func(context.Context, Candidate) (any, error) { calls++; return nil, errTest })
	if !errors.Is(err, ErrAllFailed) || calls != 2 {
		t.Fatalf("err %v after %d calls, want ErrAllFailed after 2 (never the same miner twice)", err, calls)
	}
}

func TestDoPermanentErrorNotRetried(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), miners(3)...)
	errBad := errors.New("bad input shape")
	var calls int
	var key string
	res, err := r.Do(context.Background(), func(_ context.Context, c Candidate) (any, error) {
		calls++
		key = c.Key
		return nil, Permanent(errBad)
	})
	if calls != 1 || res.Attempts != 1 {
		t.Fatalf("calls %d, want 1", calls)
	}
	if !errors.Is(err, errBad) || !IsPermanent(err) || err.Error() != errBad.Error() {
		t.Fatalf("err %v, want the permanent error itself", err)
	}
	if s := statsOf(t, r, key); s.Failures != 0 || s.ConsecutiveFailures != 0 || s.Breaker != StateClosed || s.Requests != 1 {
		t.Fatalf("stats %+v, want no failure booked", s)
	}
	if Permanent(nil) != nil || IsPermanent(errTest) || IsPermanent(nil) {
		t.Fatal("Permanent(nil) or IsPermanent misbehaves")
	}
}

func TestDoRespectsDeadline(t *testing.T) {
	t.Run("done before start", func(t *testing.T) {
		r, _ := newTestRouter(t, noHedge(), miners(3)...)
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
		defer cancel()
		calls := 0
		_, err := r.Do(ctx, func(context.Context, Candidate) (any, error) { calls++; return nil, nil })
		if !errors.Is(err, context.DeadlineExceeded) || calls != 0 {
			t.Fatalf("err %v after %d calls, want DeadlineExceeded and no call", err, calls)
		}
	})
	t.Run("done during first attempt", func(t *testing.T) {
		r, _ := newTestRouter(t, noHedge(), miners(3)...)
		ctx, cancel := context.WithCancel(context.Background())
		var calls atomic.Int32
		res, err := r.Do(ctx, func(context.Context, Candidate) (any, error) {
			calls.Add(1)
			cancel() // the caller gives up while the miner fails
			return nil, errTest
		})
		if !errors.Is(err, context.Canceled) || calls.Load() != 1 || res.Attempts != 1 {
			t.Fatalf("err %v after %d calls, want Canceled and no call after the context ended", err, calls.Load())
		}
	})
	t.Run("caller cancels while the miner works", func(t *testing.T) {
		r, _ := newTestRouter(t, noHedge(), miners(3)...)
		ctx, cancel := context.WithCancel(context.Background())
		var key string
		_, err := r.Do(ctx, func(actx context.Context, c Candidate) (any, error) {
			key = c.Key
			cancel()
			<-actx.Done()
			return nil, actx.Err()
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want the context's error", err)
		}
		waitIdle(t, r)
		if s := statsOf(t, r, key); s.Failures != 0 || s.Requests != 1 {
			t.Fatalf("stats %+v: a caller's cancellation was booked as a failure", s)
		}
	})
	t.Run("deadline passes while the miner works", func(t *testing.T) {
		r, _ := newTestRouter(t, noHedge(), miners(3)...)
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		var calls atomic.Int32
		var key atomic.Value
		_, err := r.Do(ctx, func(actx context.Context, c Candidate) (any, error) {
			calls.Add(1)
			key.Store(c.Key)
			<-actx.Done()
			return nil, actx.Err()
		})
		if !errors.Is(err, context.DeadlineExceeded) || calls.Load() != 1 {
			t.Fatalf("err %v after %d calls, want DeadlineExceeded after 1", err, calls.Load())
		}
		waitIdle(t, r)
		if s := statsOf(t, r, key.Load().(string)); s.Failures != 1 {
			t.Fatalf("stats %+v: a timeout must count as the miner's failure", s)
		}
	})
}

// waitIdle waits until no attempt is in flight, i.e. until every attempt
// goroutine has booked its outcome. It does not depend on timing.
func waitIdle(t *testing.T, r *Router) {
	t.Helper()
	for {
		busy := false
		for _, s := range r.Stats() {
			busy = busy || s.Inflight > 0
		}
		if !busy {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestClassifyTimeoutIsFailure(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if got := classify(ctx, context.DeadlineExceeded); got != outFailure {
		t.Fatalf("deadline: classify = %d, want outFailure", got)
	}
	actx, acancel := context.WithCancelCause(context.Background())
	acancel(errAbandoned)
	if got := classify(actx, context.Canceled); got != outAbandoned {
		t.Fatalf("abandoned: classify = %d, want outAbandoned", got)
	}
	if got := classify(context.Background(), errTest); got != outFailure {
		t.Fatalf("error: classify = %d, want outFailure", got)
	}
}
