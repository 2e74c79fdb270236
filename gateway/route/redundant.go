package route

import (
	"cmp"
	"context"
	"fmt"
	"time"
)

// DoRedundant queries k distinct miners at once (each slot retried on
// failure with yet another miner, up to MaxAttempts per slot, never
// hedged), groups the successes by key(value) and returns the largest
// group's first Result, the group's size and every attempt's Result in the
// order they finished. Groups of equal size are ranked by their miners'
// total Weight, then by which answered first. err is ErrNoAgreement (best
// is still set) when two or more miners answered and no two agree; when
// none answered it wraps ErrNoCandidates, ErrAllFailed or the context's
// error. k < 1 counts as 1. Result.Latency is measured from the start of
// DoRedundant. When ctx ends first, DoRedundant votes on the answers it
// has; attempts still running are booked but not returned.
func (r *Router) DoRedundant(ctx context.Context, k int, call func(context.Context, Candidate) (any, error), key func(any) string) (best Result, agree int, all []Result, err error) {
	k = max(k, 1)
	start := r.now()
	// Room for every attempt and every slot's end marker: no slot ever
	// blocks, even after DoRedundant stopped reading.
	results := make(chan Result, k*(r.cfg.MaxAttempts+1))
	var tried []*miner // guarded by r.mu, like everything acquire touches
	left := k
	for range k {
		go func() {
			r.slot(ctx, &tried, call, start, results)
			results <- Result{Attempts: -1} // this slot is done
		}()
	}
	for left > 0 {
		select {
		case res := <-results:
			if res.Attempts < 0 {
				left--
				continue
			}
			all = append(all, res)
		case <-ctx.Done():
			left = 0 // slots still running finish into the buffer
		}
	}
	best, agree, err = vote(all, key)
	if agree > 0 {
		return best, agree, all, err
	}
	r.mu.Lock()
	none := len(tried) == 0
	r.mu.Unlock()
	switch {
	case ctx.Err() != nil && err != nil:
		err = fmt.Errorf("route: %w (last attempt: %w)", ctx.Err(), err)
	case ctx.Err() != nil:
		err = fmt.Errorf("route: %w", ctx.Err())
	case none:
		err = fmt.Errorf("route: %w", ErrNoCandidates)
	}
	return best, agree, all, err
}

// slot runs one of DoRedundant's k queries on a miner no other slot used,
// retried on another such miner until one answers, an error is permanent,
// attempts run out or ctx ends.
func (r *Router) slot(ctx context.Context, tried *[]*miner, call CallFunc, start time.Time, out chan<- Result) {
	for attempt := 1; attempt <= r.cfg.MaxAttempts && ctx.Err() == nil; attempt++ {
		t, _, ok := r.acquire(tried)
		if !ok {
			return
		}
		v, _, err := r.call(ctx, t, call)
		out <- Result{Value: v, Candidate: t.cand, Attempts: attempt, Latency: r.now().Sub(start), Err: err}
		if err == nil || IsPermanent(err) {
			return
		}
	}
}

// group is one distinct answer in a vote.
type group struct {
	first  int // index in all of its first Result
	count  int
	weight float64
}

// vote picks the answer most miners gave. With no success it returns the
// last failure wrapped in ErrAllFailed (or nil error when all is empty).
func vote(all []Result, key func(any) string) (Result, int, error) {
	groups := map[string]*group{}
	var order []*group
	var lastErr error
	for i, res := range all {
		if res.Err != nil {
			lastErr = res.Err
			continue
		}
		k := key(res.Value)
		g := groups[k]
		if g == nil {
			g = &group{first: i}
			groups[k] = g
			order = append(order, g)
		}
		g.count++
		if validWeight(res.Candidate.Weight) {
			g.weight += res.Candidate.Weight
		}
	}
	if len(order) == 0 {
		if lastErr == nil {
			return Result{}, 0, nil
		}
		return Result{Err: lastErr, Candidate: all[len(all)-1].Candidate}, 0, fmt.Errorf("route: %w: %w", ErrAllFailed, lastErr)
	}
	best := order[0]
	for _, g := range order[1:] {
		if c := cmp.Compare(g.count, best.count); c > 0 || (c == 0 && g.weight > best.weight) {
			best = g
		}
	}
	if best.count == 1 && len(order) > 1 {
		return all[best.first], 1, fmt.Errorf("route: %w (%d answers)", ErrNoAgreement, len(order))
	}
	return all[best.first], best.count, nil
}
