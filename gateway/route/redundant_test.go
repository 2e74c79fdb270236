package route

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func keyOf(v any) string { return fmt.Sprint(v) }

// answers returns a call that answers by miner key; a missing key fails.
func answers(m map[string]any) CallFunc {
	return func(_ context.Context, c Candidate) (any, error) {
		if v, ok := m[c.Key]; ok {
			return v, nil
		}
		return nil, errTest
	}
}

func TestDoRedundantLyingMinerLoses(t *testing.T) {
	cands := []Candidate{{Key: "liar", UID: 0, Weight: 100}, {Key: "h1", UID: 1, Weight: 1}, {Key: "h2", UID: 2, Weight: 1}}
	r, _ := newTestRouter(t, noHedge(), cands...)
	best, agree, all, err := r.DoRedundant(context.Background(), 3,
		answers(map[string]any{"liar": "cat", "h1": "dog", "h2": "dog"}), keyOf)
	if err != nil {
		t.Fatal(err)
	}
	if best.Value != "dog" || agree != 2 || best.Candidate.Key == "liar" || len(all) != 3 {
		t.Fatalf("best %+v agree %d (%d results), want dog agreed by 2 of 3", best, agree, len(all))
	}
	seen := map[string]bool{}
	for _, res := range all {
		seen[res.Candidate.Key] = true
	}
	if len(seen) != 3 {
		t.Fatalf("results from %v, want 3 distinct miners", seen)
	}
}

func TestDoRedundantTies(t *testing.T) {
	tests := []struct {
		name      string
		weights   [4]float64 // miners a, b answer "x"; c, d answer "y"
		want      string
		wantAgree int
	}{
		{"heavier group y", [4]float64{1, 1, 3, 3}, "y", 2},
		{"heavier group x", [4]float64{3, 3, 1, 1}, "x", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cands []Candidate
			for i, k := range []string{"a", "b", "c", "d"} {
				cands = append(cands, Candidate{Key: k, UID: uint32(i), Weight: tc.weights[i]})
			}
			r, _ := newTestRouter(t, noHedge(), cands...)
			best, agree, _, err := r.DoRedundant(context.Background(), 4,
				answers(map[string]any{"a": "x", "b": "x", "c": "y", "d": "y"}), keyOf)
			if err != nil || best.Value != tc.want || agree != tc.wantAgree {
				t.Fatalf("best %v agree %d err %v, want %s agreed by %d", best.Value, agree, err, tc.want, tc.wantAgree)
			}
		})
	}
}

func TestDoRedundantNoAgreement(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), Candidate{Key: "a", Weight: 1}, Candidate{Key: "b", UID: 1, Weight: 2})
	best, agree, all, err := r.DoRedundant(context.Background(), 2, answers(map[string]any{"a": 1, "b": 2}), keyOf)
	if !errors.Is(err, ErrNoAgreement) || agree != 1 || len(all) != 2 || best.Value != 2 {
		t.Fatalf("best %v agree %d err %v, want ErrNoAgreement with the heavier answer", best.Value, agree, err)
	}
}

func TestDoRedundantRetriesFailedSlot(t *testing.T) {
	cands := miners(4)
	cands[0].Weight = 1e6 // m0 is (all but) surely among the first three
	r, _ := newTestRouter(t, noHedge(), cands...)
	best, agree, all, err := r.DoRedundant(context.Background(), 3,
		answers(map[string]any{"m1": "ok", "m2": "ok", "m3": "ok"}), keyOf)
	if err != nil || agree != 3 || best.Value != "ok" {
		t.Fatalf("best %+v agree %d err %v, want 3 agreeing after a retry", best, agree, err)
	}
	seen, failures := map[string]bool{}, 0
	for _, res := range all {
		seen[res.Candidate.Key] = true
		if res.Err != nil {
			failures++
			if res.Candidate.Key != "m0" {
				t.Fatalf("unexpected failure %+v", res)
			}
		}
	}
	if len(all) != 4 || failures != 1 || len(seen) != 4 {
		t.Fatalf("all = %+v, want 4 attempts on 4 distinct miners with m0's failure", all)
	}
}

func TestDoRedundantErrors(t *testing.T) {
	errBad := errors.New("bad input")
	tests := []struct {
		name  string
		cands []Candidate
		k     int
		call  CallFunc
		want  []error
		calls int // -1: any
	}{
		{"no candidates", nil, 3, ok(1), []error{ErrNoCandidates}, 0},
		{"all fail", miners(3), 2, answers(nil), []error{ErrAllFailed, errTest}, 3},
		{"permanent not retried", miners(3), 1, func(context.Context, Candidate) (any, error) { return nil, Permanent(errBad) }, []error{ErrAllFailed, errBad}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := newTestRouter(t, noHedge(), tc.cands...)
			_, agree, all, err := r.DoRedundant(context.Background(), tc.k, tc.call, keyOf)
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Fatalf("err %v, want it to wrap %v", err, w)
				}
			}
			if agree != 0 || len(all) != tc.calls {
				t.Fatalf("agree %d, %d results; want 0 and %d", agree, len(all), tc.calls)
			}
		})
	}
}

func TestDoRedundantMoreThanAvailable(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), miners(3)...)
	_, agree, all, err := r.DoRedundant(context.Background(), 5, ok("same"), keyOf)
	if err != nil || agree != 3 || len(all) != 3 {
		t.Fatalf("agree %d, %d results, err %v; want all 3 miners once", agree, len(all), err)
	}
	_, agree, _, err = r.DoRedundant(context.Background(), 0, ok("same"), keyOf)
	if err != nil || agree != 1 {
		t.Fatalf("k=0: agree %d err %v, want one answer", agree, err)
	}
}

func TestDoRedundantCancelled(t *testing.T) {
	r, _ := newTestRouter(t, noHedge(), miners(3)...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, all, err := r.DoRedundant(ctx, 3, ok(1), keyOf)
	if !errors.Is(err, context.Canceled) || len(all) != 0 {
		t.Fatalf("err %v with %d results, want Canceled and no call", err, len(all))
	}
}
