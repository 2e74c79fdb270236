package axon

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// queueHarness runs a one-worker scheduler whose first job blocks until
// released, so the queue's contents are fully under the test's control.
type queueHarness struct {
	q       *scheduler
	release chan struct{}
	// releaseOnce lets both finish and the cleanup of a failed test
	// release the blocking job.
	releaseOnce sync.Once
	mu          sync.Mutex
	ran         []string
	results     sync.Map // name -> error
	wg          sync.WaitGroup
	shed        int
}

func newQueueHarness(t *testing.T, capacity int) *queueHarness {
	h := &queueHarness{release: make(chan struct{})}
	h.q = newScheduler(1, capacity, func(int) {}, func() { h.mu.Lock(); h.shed++; h.mu.Unlock() })
	t.Cleanup(func() {
		h.releaseOnce.Do(func() { close(h.release) })
		h.q.close()
	})
	started := make(chan struct{})
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		_ = h.q.do(context.Background(), 0, func(context.Context) { close(started); <-h.release })
	}()
	recv(t, started)
	return h
}

// submit queues a named job and waits until the queue has depth jobs.
func (h *queueHarness) submit(t *testing.T, ctx context.Context, name string, stake uint64, depth int) {
	t.Helper()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		err := h.q.do(ctx, stake, func(context.Context) {
			h.mu.Lock()
			h.ran = append(h.ran, name)
			h.mu.Unlock()
		})
		h.results.Store(name, err)
	}()
	waitFor(t, func() bool { return h.q.depth() == depth })
}

func (h *queueHarness) finish() []string {
	h.releaseOnce.Do(func() { close(h.release) })
	h.wg.Wait()
	return h.ran
}

func (h *queueHarness) result(name string) error {
	v, _ := h.results.Load(name)
	err, _ := v.(error)
	return err
}

// waitFor polls cond; scheduling tests wait for states, not for time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSchedulerOrder(t *testing.T) {
	h := newQueueHarness(t, 10)
	ctx := context.Background()
	h.submit(t, ctx, "low", 1, 1)
	h.submit(t, ctx, "mid-first", 5, 2)
	h.submit(t, ctx, "high", 9, 3)
	h.submit(t, ctx, "mid-second", 5, 4)
	want := []string{"high", "mid-first", "mid-second", "low"}
	if got := h.finish(); !slices.Equal(got, want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
}

func TestSchedulerSheds(t *testing.T) {
	tests := []struct {
		name    string
		queued  map[string]uint64 // submitted in name order
		arrival uint64
		shed    string
	}{
		{"newcomer with more stake sheds the lowest waiting", map[string]uint64{"a": 3, "b": 1}, 5, "b"},
		{"newcomer with less stake is shed itself", map[string]uint64{"a": 3, "b": 2}, 1, "new"},
		{"newcomer with equal stake is shed itself", map[string]uint64{"a": 3, "b": 2}, 2, "new"},
		{"among equal lowest the newest is shed", map[string]uint64{"a": 2, "b": 2}, 9, "b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newQueueHarness(t, 2)
			ctx := context.Background()
			h.submit(t, ctx, "a", tc.queued["a"], 1)
			h.submit(t, ctx, "b", tc.queued["b"], 2)
			h.submit(t, ctx, "new", tc.arrival, 2)
			waitFor(t, func() bool { return h.result(tc.shed) != nil })
			ran := h.finish()
			if err := h.result(tc.shed); !errors.Is(err, errShed) {
				t.Fatalf("%s: error %v, want errShed", tc.shed, err)
			}
			if slices.Contains(ran, tc.shed) || len(ran) != 2 || h.shed != 1 {
				t.Fatalf("ran %v, shed count %d; %s should be the only one shed", ran, h.shed, tc.shed)
			}
		})
	}
}

func TestSchedulerCancelWhileQueued(t *testing.T) {
	h := newQueueHarness(t, 4)
	ctx, cancel := context.WithCancel(context.Background())
	h.submit(t, ctx, "cancelled", 1, 1)
	h.submit(t, context.Background(), "kept", 1, 2)
	cancel()
	waitFor(t, func() bool { return h.q.depth() == 1 })
	ran := h.finish()
	if err := h.result("cancelled"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled job: error %v", err)
	}
	if !slices.Equal(ran, []string{"kept"}) {
		t.Fatalf("ran %v, want [kept]", ran)
	}
}

func TestSchedulerCloseDrainsQueue(t *testing.T) {
	h := newQueueHarness(t, 4)
	h.submit(t, context.Background(), "queued", 1, 1)
	closed := make(chan struct{})
	go func() { h.q.close(); close(closed) }()
	waitFor(t, func() bool { h.q.mu.Lock(); defer h.q.mu.Unlock(); return h.q.closed })
	if err := h.q.do(context.Background(), 1, func(context.Context) {}); !errors.Is(err, errClosed) {
		t.Fatalf("job after close: %v, want errClosed", err)
	}
	if ran := h.finish(); !slices.Equal(ran, []string{"queued"}) {
		t.Fatalf("ran %v, want the queued job", ran)
	}
	recv(t, closed)
}

// TestSchedulerRunsAtOnceWhenFree: with a free slot a job runs on the
// caller's goroutine with nothing queued, and with no queue (QueueSize 0) a
// job that finds every slot taken is shed instead of waiting.
func TestSchedulerRunsAtOnceWhenFree(t *testing.T) {
	shed := 0
	q := newScheduler(1, 0, func(int) {}, func() { shed++ })
	t.Cleanup(q.close)
	ran := false
	if err := q.do(context.Background(), 1, func(context.Context) { ran = true }); err != nil || !ran {
		t.Fatalf("free slot: do = %v, ran %v", err, ran)
	}
	err := q.do(context.Background(), 1, func(context.Context) {
		if err := q.do(context.Background(), 9, func(context.Context) {}); !errors.Is(err, errShed) {
			t.Errorf("busy slot, no queue: do = %v, want errShed", err)
		}
	})
	if err != nil || shed != 1 {
		t.Fatalf("do = %v, shed %d; want nil, 1", err, shed)
	}
}

// TestSchedulerBoundsConcurrency: however many callers arrive at once, at
// most `workers` jobs run together and every job runs.
func TestSchedulerBoundsConcurrency(t *testing.T) {
	const workers, callers = 3, 40
	q := newScheduler(workers, callers, func(int) {}, func() {})
	t.Cleanup(q.close)
	var mu sync.Mutex
	running, peak, done := 0, 0, 0
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := q.do(context.Background(), 1, func(context.Context) {
				mu.Lock()
				running++
				peak = max(peak, running)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				running--
				done++
				mu.Unlock()
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak > workers || done != callers {
		t.Fatalf("peak %d running (limit %d), %d of %d done", peak, workers, done, callers)
	}
}
