package route

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentUse hammers one router from many goroutines (Do with real
// hedging, DoRedundant, SetCandidates, Stats) for the race detector, then
// checks the books balance: every attempt counted once, nothing in flight.
func TestConcurrentUse(t *testing.T) {
	cfg := DefaultConfig()
	cfg.BreakerOpen = time.Millisecond
	r := New(cfg, nil)
	r.Seed(7)
	var attempts, hedges atomic.Int64
	r.OnAttempt = func(string, error, time.Duration) { attempts.Add(1) }
	r.OnHedge = func() { hedges.Add(1) }
	r.OnBreaker = func(string, string) {}
	cands := miners(8)
	r.SetCandidates(cands)

	var seq atomic.Int64
	call := func(ctx context.Context, c Candidate) (any, error) {
		n := seq.Add(1)
		switch {
		case n%13 == 0:
			return nil, errTest
		case n%29 == 0:
			return nil, Permanent(errTest)
		case n%17 == 0: // slow enough to be hedged
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(3 * time.Millisecond):
			}
		}
		return c.UID % 2, nil
	}

	const workers, perWorker = 16, 150
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var churn sync.WaitGroup
	churn.Add(1)
	go func() { // reweights the same keys, so their stats must survive
		defer churn.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			next := append([]Candidate(nil), cands...)
			next[i%len(next)].Weight = float64(i % 5)
			r.SetCandidates(next)
			_ = r.Stats()
			time.Sleep(100 * time.Microsecond)
		}
	}()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				var err error
				if (w+i)%10 == 0 {
					_, _, _, err = r.DoRedundant(context.Background(), 3, call, keyOf)
					if errors.Is(err, ErrNoAgreement) {
						err = nil
					}
				} else {
					_, err = r.Do(context.Background(), call)
				}
				if err != nil && !IsPermanent(err) && !errors.Is(err, ErrAllFailed) && !errors.Is(err, ErrNoCandidates) {
					t.Errorf("unexpected error %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	churn.Wait()
	waitIdle(t, r)

	var requests uint64
	for _, s := range r.Stats() {
		requests += s.Requests
		if s.Inflight != 0 {
			t.Fatalf("miner %s has %d in flight after all requests returned", s.Key, s.Inflight)
		}
	}
	if int64(requests) != attempts.Load() {
		t.Fatalf("miners booked %d requests, OnAttempt saw %d", requests, attempts.Load())
	}
	t.Logf("%d attempts, %d hedges", attempts.Load(), hedges.Load())
}
