package axon

import (
	"container/heap"
	"context"
	"runtime"
	"sync"
)

// scheduler lets at most `slots` jobs run at once, highest caller stake
// first (oldest first among equals), with a bounded wait queue. A job runs
// on its caller's goroutine: when a slot is free (and so nobody is
// waiting) it starts at once, with no hand-off to another goroutine; a job
// that finds every slot taken waits in the queue until a finishing job hands
// its slot over. When the queue is full the lowest-priority waiting job is
// shed, which may be the newcomer or a job already waiting: a high-stake
// caller is never turned away because low-stake callers filled the queue
// first. Two heaps over the same jobs give O(log n) access to both ends.
//
// Invariant: jobs wait only while every slot is taken (len(next) > 0
// implies running == slots), because a finishing job hands its slot to the
// next waiting job instead of freeing it.
type scheduler struct {
	mu       sync.Mutex
	idle     *sync.Cond // signalled when running drops to 0, for close
	slots    int
	running  int
	capacity int
	seq      uint64
	closed   bool
	next     jobHeap // dispatch order: most important on top
	shed     jobHeap // shedding order: least important on top
	onDepth  func(int)
	onShed   func()
}

type jobState int

const (
	jobQueued jobState = iota
	jobRunning
	jobDone
)

// job is a waiting request. ready is closed when the job leaves the queue
// other than by its own cancellation: it was given a slot (state
// jobRunning) or shed (state jobDone, err errShed).
type job struct {
	stake   uint64
	seq     uint64
	state   jobState
	err     error
	ready   chan struct{}
	nextIdx int
	shedIdx int
}

// before reports whether a runs before b: more stake, then earlier arrival.
func before(a, b *job) bool {
	if a.stake != b.stake {
		return a.stake > b.stake
	}
	return a.seq < b.seq
}

// newScheduler returns a scheduler running at most workers jobs at once with
// up to capacity waiting. It starts no goroutines.
func newScheduler(workers, capacity int, onDepth func(int), onShed func()) *scheduler {
	q := &scheduler{slots: workers, capacity: capacity, onDepth: onDepth, onShed: onShed}
	q.idle = sync.NewCond(&q.mu)
	q.next = jobHeap{less: before, idx: func(j *job) *int { return &j.nextIdx }}
	q.shed = jobHeap{less: func(a, b *job) bool { return before(b, a) }, idx: func(j *job) *int { return &j.shedIdx }}
	return q
}

// do runs fn on the calling goroutine once a slot is free and returns after
// it. It returns errShed when the job was shed, errClosed after close, or
// ctx's error when ctx ended while the job was still waiting. Once started,
// fn runs to completion and is expected to respect ctx itself.
func (q *scheduler) do(ctx context.Context, stake uint64, fn func(context.Context)) error {
	if err := q.acquire(ctx, stake); err != nil {
		return err
	}
	defer q.release()
	fn(ctx)
	return nil
}

// acquire takes a slot, waiting in the queue when none is free.
func (q *scheduler) acquire(ctx context.Context, stake uint64) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return errClosed
	}
	if q.running < q.slots && q.next.Len() == 0 {
		q.running++
		q.mu.Unlock()
		// Yield once, as the hand-off to a worker goroutine used to: the
		// transport goroutines this request readied (its HTTP/2 writer,
		// flow-control updates) then run now instead of waiting on this P
		// behind the model run and the receipt signature, a long cgo call
		// during which the runtime may move the P and its waiting
		// goroutines to another thread. Without it the p50 round trip on 2
		// cores is about 95 us slower (axon/README.md, Performance).
		runtime.Gosched()
		return nil
	}
	j := &job{stake: stake, ready: make(chan struct{})}
	err := q.enqueue(j)
	q.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case <-j.ready:
		return j.err
	case <-ctx.Done():
	}
	q.mu.Lock()
	if j.state == jobQueued {
		q.remove(j)
		q.mu.Unlock()
		return ctx.Err()
	}
	q.mu.Unlock()
	// given a slot (or shed) just as ctx ended: the slot must be used and
	// released like any other, and fn sees the ended ctx
	<-j.ready
	return j.err
}

// enqueue adds j to the queue, shedding the least important waiting job
// when it is full; q.mu must be held.
func (q *scheduler) enqueue(j *job) error {
	q.seq++
	j.seq = q.seq
	if q.next.Len() >= q.capacity {
		if q.capacity == 0 || !before(j, q.shed.jobs[0]) {
			q.onShed()
			return errShed
		}
		victim := q.shed.jobs[0]
		q.remove(victim)
		victim.err = errShed
		victim.state = jobDone
		close(victim.ready)
		q.onShed()
	}
	heap.Push(&q.next, j)
	heap.Push(&q.shed, j)
	q.onDepth(q.next.Len())
	return nil
}

// remove takes a queued job out of both heaps; q.mu must be held.
func (q *scheduler) remove(j *job) {
	heap.Remove(&q.next, j.nextIdx)
	heap.Remove(&q.shed, j.shedIdx)
	q.onDepth(q.next.Len())
}

// release gives the caller's slot to the most important waiting job, or
// frees it when nobody waits.
func (q *scheduler) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.next.Len() > 0 {
		j := q.next.jobs[0]
		q.remove(j)
		j.state = jobRunning
		close(j.ready)
		return
	}
	q.running--
	if q.running == 0 {
		q.idle.Broadcast()
	}
}

// depth returns the number of waiting jobs.
func (q *scheduler) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.next.Len()
}

// close refuses new jobs, lets the running and already queued ones finish,
// and waits for them.
func (q *scheduler) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for q.running > 0 {
		q.idle.Wait()
	}
}

// jobHeap is a container/heap over jobs that keeps each job's index current
// so a job can be removed from the middle.
type jobHeap struct {
	jobs []*job
	less func(a, b *job) bool
	idx  func(j *job) *int
}

func (h *jobHeap) Len() int           { return len(h.jobs) }
func (h *jobHeap) Less(a, b int) bool { return h.less(h.jobs[a], h.jobs[b]) }

func (h *jobHeap) Swap(a, b int) {
	h.jobs[a], h.jobs[b] = h.jobs[b], h.jobs[a]
	*h.idx(h.jobs[a]) = a
	*h.idx(h.jobs[b]) = b
}

func (h *jobHeap) Push(x any) {
	j := x.(*job)
	*h.idx(j) = len(h.jobs)
	h.jobs = append(h.jobs, j)
}

func (h *jobHeap) Pop() any {
	last := len(h.jobs) - 1
	j := h.jobs[last]
	h.jobs[last] = nil
	h.jobs = h.jobs[:last]
	*h.idx(j) = -1
	return j
}
