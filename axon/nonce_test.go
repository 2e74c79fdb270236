package axon

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestNonceTrackerSequences(t *testing.T) {
	base := nonceAt(0)
	tests := []struct {
		name   string
		window int
		nonces []uint64
		want   []error // per nonce: nil accepted, errReplay refused
	}{
		{"strict: increasing", 0, []uint64{base, base + 1, base + 5}, []error{nil, nil, nil}},
		{"strict: repeat", 0, []uint64{base, base}, []error{nil, errReplay}},
		{"strict: out of order", 0, []uint64{base + 2, base + 1}, []error{nil, errReplay}},
		{"window: out of order accepted once", 2, []uint64{base + 2, base + 1, base + 1}, []error{nil, nil, errReplay}},
		{"window: repeat of the latest", 2, []uint64{base + 1, base + 2, base + 2}, []error{nil, nil, errReplay}},
		{"window: older than the window", 2, []uint64{base + 3, base + 4, base + 5, base + 1}, []error{nil, nil, nil, errReplay}},
		{"window: forgotten one refused by the floor", 2, []uint64{base + 1, base + 2, base + 3, base + 1}, []error{nil, nil, nil, errReplay}},
		{"window: gap filled later", 2, []uint64{base + 1, base + 3, base + 2, base + 4}, []error{nil, nil, nil, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newNonceTracker(tc.window, 10, time.Minute)
			for i, n := range tc.nonces {
				err := tr.accept("caller", n, testNow)
				if (tc.want[i] == nil) != (err == nil) || (err != nil && !errors.Is(err, tc.want[i])) {
					t.Fatalf("nonce #%d (+%d): error %v, want %v", i, n-base, err, tc.want[i])
				}
			}
		})
	}
}

func TestNonceTrackerCallersAreSeparate(t *testing.T) {
	tr := newNonceTracker(0, 10, time.Minute)
	n := nonceAt(0)
	for _, caller := range []string{"a", "b"} {
		if err := tr.accept(caller, n, testNow); err != nil {
			t.Fatalf("caller %s: %v", caller, err)
		}
	}
}

// TestNonceTrackerBounded checks that a full table forgets only callers
// whose nonces have gone stale, and refuses newcomers otherwise.
func TestNonceTrackerBounded(t *testing.T) {
	skew := time.Minute
	tr := newNonceTracker(0, 2, skew)
	for _, c := range []string{"a", "b"} {
		if err := tr.accept(c, nonceAt(0), testNow); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.accept("c", nonceAt(0), testNow); !errors.Is(err, errBusy) {
		t.Fatalf("third live caller: error %v, want errBusy", err)
	}
	later := testNow.Add(skew + time.Second)
	if err := tr.accept("c", uint64(later.UnixNano()), later); err != nil {
		t.Fatalf("third caller once the first went stale: %v", err)
	}
	if got := tr.len(); got != 2 {
		t.Fatalf("table holds %d callers, want 2", got)
	}
	// "a" was forgotten; an old nonce of it is refused by the clock check
	if err := checkNonceTime(nonceAt(0), later, skew); !errors.Is(err, errStale) {
		t.Fatalf("forgotten caller's old nonce: %v, want errStale", err)
	}
}

func TestCheckNonceTime(t *testing.T) {
	skew := 30 * time.Second
	tests := []struct {
		name  string
		nonce uint64
		stale bool
	}{
		{"now", nonceAt(0), false},
		{"at the past edge", nonceAt(-skew), false},
		{"at the future edge", nonceAt(skew), false},
		{"just too old", nonceAt(-skew - 1), true},
		{"just too new", nonceAt(skew + 1), true},
		{"far past", 1, true},
		{"above int64", math.MaxUint64, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkNonceTime(tc.nonce, testNow, skew)
			if tc.stale != errors.Is(err, errStale) {
				t.Fatalf("error %v, stale %v", err, tc.stale)
			}
		})
	}
}
