package route

import (
	"context"
	"fmt"
	"time"
)

// CallFunc sends one request to miner c. It must honour ctx: the router
// cancels it when another attempt has won or the caller's context ends,
// and finishes with the value before returning (the winner's context is
// cancelled once Do returns). Wrap caller-caused errors with Permanent.
type CallFunc = func(ctx context.Context, c Candidate) (any, error)

// Result is the outcome of Do, or one attempt of DoRedundant.
type Result struct {
	Value     any
	Candidate Candidate // the miner that answered, or the last one tried
	Attempts  int       // calls started (Do) or this slot's attempt number (DoRedundant)
	Hedged    bool      // Do started a hedge
	Latency   time.Duration
	Err       error
}

// attemptDone carries a finished attempt back to Do's loop.
type attemptDone struct {
	cand  Candidate
	value any
	err   error
}

// request is the state of one Do call; only Do's goroutine touches it.
type request struct {
	r        *Router
	ctx      context.Context
	call     CallFunc
	done     chan attemptDone // buffered for every attempt, so none blocks
	cancels  []context.CancelCauseFunc
	tried    []*miner
	inflight int
	hedged   bool
	hedgeC   <-chan time.Time
	timer    *time.Timer // the real hedge timer, stopped when Do returns
	last     Candidate
	lastErr  error
}

// Do picks a miner (weighted by Weight, then power of two choices on EWMA
// latency × (1+inflight)), skipping open breakers (half-open lets one probe
// through), and calls it. On a non-permanent error or a timeout it retries
// another miner while ctx allows and attempts remain; after the observed
// p95 it hedges on a second miner. The first success wins and the others'
// contexts are cancelled. Every outcome feeds the latency averages and the
// breakers. No call starts once ctx is done.
func (r *Router) Do(ctx context.Context, call CallFunc) (Result, error) {
	start := r.now()
	q := &request{r: r, ctx: ctx, call: call, done: make(chan attemptDone, r.cfg.MaxAttempts)}
	defer q.cancelAll()
	res, err := q.run()
	res.Attempts, res.Hedged, res.Latency = len(q.tried), q.hedged, r.now().Sub(start)
	res.Err = err
	return res, err
}

func (q *request) run() (Result, error) {
	if err := q.launch(false); err != nil {
		return Result{Candidate: q.last}, err
	}
	for {
		select {
		case d := <-q.done:
			q.inflight--
			if d.err == nil {
				return Result{Value: d.value, Candidate: d.cand}, nil
			}
			q.last, q.lastErr = d.cand, d.err
			if IsPermanent(d.err) {
				return Result{Candidate: d.cand}, d.err
			}
			if q.inflight > 0 {
				continue // a hedge is still running
			}
			if err := q.launch(false); err != nil {
				return Result{Candidate: q.last}, err
			}
		case <-q.hedgeC:
			q.hedgeC = nil
			if q.inflight == 1 && q.launch(true) == nil {
				q.hedged = true
				if q.r.OnHedge != nil {
					q.r.OnHedge()
				}
			}
		case <-q.ctx.Done():
			return Result{Candidate: q.last}, q.ctxErr()
		}
	}
}

// launch starts the next attempt, or says why none can start.
func (q *request) launch(hedge bool) error {
	if len(q.tried) >= q.r.cfg.MaxAttempts {
		return fmt.Errorf("route: %w after %d attempts: %w", ErrAllFailed, len(q.tried), q.lastErr)
	}
	if q.ctx.Err() != nil {
		return q.ctxErr()
	}
	t, delay, ok := q.r.acquire(&q.tried)
	if !ok {
		if len(q.tried) == 0 {
			return fmt.Errorf("route: %w", ErrNoCandidates)
		}
		return fmt.Errorf("route: %w after %d attempts, no other miner: %w", ErrAllFailed, len(q.tried), q.lastErr)
	}
	q.last = t.cand
	actx, cancel := context.WithCancelCause(q.ctx)
	q.cancels = append(q.cancels, cancel)
	q.inflight++
	go func() {
		v, _, err := q.r.call(actx, t, q.call)
		q.done <- attemptDone{cand: t.cand, value: v, err: err}
	}()
	if !hedge {
		q.hedgeC = nil // a retry gets its own hedge timer
	}
	if !hedge && !q.hedged && delay > 0 && len(q.tried) < q.r.cfg.MaxAttempts {
		q.hedgeC = q.after(delay)
	}
	return nil
}

// ctxErr wraps the caller's context error with the last attempt's error.
func (q *request) ctxErr() error {
	if q.lastErr != nil {
		return fmt.Errorf("route: %w (last attempt: %w)", q.ctx.Err(), q.lastErr)
	}
	return fmt.Errorf("route: %w", q.ctx.Err())
}

func (q *request) cancelAll() {
	for _, c := range q.cancels {
		c(errAbandoned)
	}
	if q.timer != nil {
		q.timer.Stop()
	}
}

// after arms the hedge timer; a real one is reused across retries and
// stopped at the end, so quick requests leave no timers behind.
func (q *request) after(d time.Duration) <-chan time.Time {
	if q.r.After != nil {
		return q.r.After(d)
	}
	if q.timer == nil {
		q.timer = time.NewTimer(d)
	} else {
		q.timer.Reset(d)
	}
	return q.timer.C
}
