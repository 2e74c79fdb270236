package axon

import (
	"container/heap"
	"context"
	"sync"
)

// scheduler runs work on a fixed pool of workers, highest caller stake
// first (oldest first among equals), with a bounded wait queue. When the
// queue is full the lowest-priority waiting job is shed, which may be the
// newcomer or a job already waiting: a high-stake caller is never turned
// away because low-stake callers filled the queue first. Two heaps over the
// same jobs give O(log n) access to both ends.
type scheduler struct {
	mu       sync.Mutex
	cond     *sync.Cond
	capacity int
	seq      uint64
	closed   bool
	next     jobHeap // dispatch order: most important on top
	shed     jobHeap // shedding order: least important on top
	wg       sync.WaitGroup
	onDepth  func(int)
	onShed   func()
}

type jobState int

const (
	jobQueued jobState = iota
	jobRunning
	jobDone
)

type job struct {
	ctx     context.Context
	stake   uint64
	seq     uint64
	fn      func(context.Context)
	state   jobState
	err     error
	done    chan struct{}
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

func newScheduler(workers, capacity int, onDepth func(int), onShed func()) *scheduler {
	q := &scheduler{capacity: capacity, onDepth: onDepth, onShed: onShed}
	q.cond = sync.NewCond(&q.mu)
	q.next = jobHeap{less: before, idx: func(j *job) *int { return &j.nextIdx }}
	q.shed = jobHeap{less: func(a, b *job) bool { return before(b, a) }, idx: func(j *job) *int { return &j.shedIdx }}
	q.wg.Add(workers)
	for range workers {
		go q.work()
	}
	return q
}

// do runs fn on a worker and waits for it. It returns errShed when the job
// was shed, errClosed after close, or ctx's error when ctx ended while the
// job was still waiting. Once started, fn runs to completion and is expected
// to respect ctx itself.
func (q *scheduler) do(ctx context.Context, stake uint64, fn func(context.Context)) error {
	j := &job{ctx: ctx, stake: stake, fn: fn, done: make(chan struct{})}
	if err := q.enqueue(j); err != nil {
		return err
	}
	select {
	case <-j.done:
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
	<-j.done
	return j.err
}

func (q *scheduler) enqueue(j *job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errClosed
	}
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
		close(victim.done)
		q.onShed()
	}
	heap.Push(&q.next, j)
	heap.Push(&q.shed, j)
	q.onDepth(q.next.Len())
	q.cond.Signal()
	return nil
}

// remove takes a queued job out of both heaps; q.mu must be held.
func (q *scheduler) remove(j *job) {
	heap.Remove(&q.next, j.nextIdx)
	heap.Remove(&q.shed, j.shedIdx)
	q.onDepth(q.next.Len())
}

func (q *scheduler) work() {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		for q.next.Len() == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.next.Len() == 0 {
			q.mu.Unlock()
			return
		}
		j := q.next.jobs[0]
		q.remove(j)
		j.state = jobRunning
		q.mu.Unlock()

		j.fn(j.ctx)

		q.mu.Lock()
		j.state = jobDone
		q.mu.Unlock()
		close(j.done)
	}
}

// depth returns the number of waiting jobs.
func (q *scheduler) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.next.Len()
}

// close refuses new jobs, lets the workers finish the queued ones, and waits
// for them.
func (q *scheduler) close() {
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
	q.wg.Wait()
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
