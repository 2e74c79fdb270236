package route

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestPickFollowsWeights checks, with a chi-square bound, that with equal
// latencies and no load the picks follow the weights, and that a miner
// without a valid weight is (almost) never picked.
func TestPickFollowsWeights(t *testing.T) {
	cands := []Candidate{
		{Key: "a", UID: 0, Weight: 1}, {Key: "b", UID: 1, Weight: 2},
		{Key: "c", UID: 2, Weight: 3}, {Key: "d", UID: 3, Weight: 4},
		{Key: "zero", UID: 4, Weight: 0}, {Key: "nan", UID: 5, Weight: math.NaN()},
		{Key: "inf", UID: 6, Weight: math.Inf(1)},
	}
	r, _ := newTestRouter(t, noHedge(), cands...)
	const n = 10000
	counts := map[string]int{}
	for range n {
		res, err := r.Do(context.Background(), ok(1))
		if err != nil {
			t.Fatal(err)
		}
		counts[res.Candidate.Key]++
	}
	chi2 := 0.0
	for _, c := range cands[:4] {
		want := n * c.Weight / 10
		d := float64(counts[c.Key]) - want
		chi2 += d * d / want
	}
	// 3 degrees of freedom: P(chi2 > 16.27) = 0.001.
	if chi2 > 16.27 {
		t.Fatalf("chi-square %.2f > 16.27; counts %v", chi2, counts)
	}
	if bad := counts["zero"] + counts["nan"] + counts["inf"]; bad > 1 {
		t.Fatalf("miners without a valid weight got %d picks; counts %v", bad, counts)
	}
}

func TestPickUniformWithoutWeights(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), Candidate{Key: "a"}, Candidate{Key: "b", UID: 1})
	counts := map[string]int{}
	for range 2000 {
		res, err := r.Do(context.Background(), ok(1))
		if err != nil {
			t.Fatal(err)
		}
		counts[res.Candidate.Key]++
	}
	if counts["a"] < 800 || counts["b"] < 800 {
		t.Fatalf("zero weights should pick uniformly, got %v", counts)
	}
}

// TestPickPrefersFastMiners checks power of two choices: of three equally
// weighted miners the fastest serves most and the slowest least.
func TestPickPrefersFastMiners(t *testing.T) {
	r, clk := newTestRouter(t, noHedge(), miners(3)...)
	lat := map[string]time.Duration{"m0": 20 * time.Millisecond, "m1": 5 * time.Millisecond, "m2": time.Millisecond}
	counts := map[string]int{}
	for range 1000 {
		res, err := r.Do(context.Background(), func(_ context.Context, c Candidate) (any, error) {
			clk.Advance(lat[c.Key])
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		counts[res.Candidate.Key]++
	}
	if !(counts["m2"] > counts["m1"] && counts["m1"] > counts["m0"]) || counts["m2"] < 500 {
		t.Fatalf("want m2 > m1 > m0 and m2 >= 500, got %v", counts)
	}
	if got := statsOf(t, r, "m0").EWMA; got != 20*time.Millisecond {
		t.Fatalf("m0 EWMA = %s, want 20ms", got)
	}
}

// TestPickAvoidsLoadedMiner checks the (1+inflight) factor: with equal
// latencies a miner with a request in flight loses to an idle one.
func TestPickAvoidsLoadedMiner(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), miners(2)...)
	started, release := make(chan string, 1), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.Do(context.Background(), func(_ context.Context, c Candidate) (any, error) {
			started <- c.Key
			<-release
			return nil, nil
		})
	}()
	busy := <-started
	for range 50 {
		res, err := r.Do(context.Background(), ok(nil))
		if err != nil {
			t.Fatal(err)
		}
		if res.Candidate.Key == busy {
			t.Fatalf("picked %s, which has a request in flight", busy)
		}
	}
	if s := statsOf(t, r, busy); s.Inflight != 1 {
		t.Fatalf("busy miner inflight = %d, want 1", s.Inflight)
	}
	close(release)
	<-done
}

func TestSetCandidatesKeepsKnownStats(t *testing.T) {
	cfg := noHedge()
	cfg.MaxAttempts = 1
	r, _ := newTestRouter(t, cfg, miners(2)...)
	failM1 := func(_ context.Context, c Candidate) (any, error) {
		if c.Key == "m1" {
			return nil, errTest
		}
		return nil, nil
	}
	for range 10 {
		_, _ = r.Do(context.Background(), failM1)
	}
	before := map[string]MinerStats{}
	for _, s := range r.Stats() {
		before[s.Key] = s
	}
	r.SetCandidates([]Candidate{{Key: "m1", UID: 7, Weight: 3}, {Key: "new", UID: 2, Weight: 1}, {Key: "m1", UID: 9}})
	got := r.Stats()
	if len(got) != 2 || got[0].Key != "new" || got[1].Key != "m1" {
		t.Fatalf("Stats after SetCandidates = %+v, want [new, m1] by UID", got)
	}
	m1 := got[1]
	if m1.UID != 7 || m1.Requests != before["m1"].Requests || m1.Failures != before["m1"].Failures ||
		m1.Breaker != before["m1"].Breaker || m1.ConsecutiveFailures != before["m1"].ConsecutiveFailures {
		t.Fatalf("m1 stats %+v, want the old counters %+v with UID 7", m1, before["m1"])
	}
	if before["m1"].Requests == 0 {
		t.Fatal("test setup: m1 was never called")
	}
	if got[0].Requests != 0 || got[0].Breaker != StateClosed {
		t.Fatalf("new miner stats %+v, want fresh", got[0])
	}
}
