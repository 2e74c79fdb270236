package validator

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func neurons(hotkeys ...string) []neuronView {
	out := make([]neuronView, len(hotkeys))
	for i, h := range hotkeys {
		out[i] = neuronView{UID: uint32(i), Hotkey: h}
	}
	return out
}

func scoreOf(t *testing.T, tab *scoreTable, uid uint32) Score {
	t.Helper()
	for _, s := range tab.snapshot() {
		if s.UID == uid {
			return s
		}
	}
	t.Fatalf("no score for uid %d", uid)
	return Score{}
}

func TestEMA(t *testing.T) {
	tab := newScoreTable(0.5, nil)
	tab.reconcile(neurons("a", "b"))
	at := time.Unix(100, 0)
	steps := []struct {
		score, want float64
	}{{1, 0.5}, {1, 0.75}, {0, 0.375}, {0.5, 0.4375}}
	for i, s := range steps {
		ema, ok := tab.update(0, "a", s.score, at.Add(time.Duration(i)*time.Second), 1)
		if !ok || math.Abs(ema-s.want) > 1e-12 {
			t.Fatalf("step %d: ema = %v (%v), want %v", i, ema, ok, s.want)
		}
	}
	got := scoreOf(t, tab, 0)
	if got.Queries != 4 || !got.LastScored.Equal(at.Add(3*time.Second)) {
		t.Fatalf("score = %+v", got)
	}
	if _, ok := tab.update(0, "someone-else", 1, at, 1); ok {
		t.Fatal("a score for a hotkey that no longer holds the UID was applied")
	}
	if b := scoreOf(t, tab, 1); b.EMA != 0 || !b.LastScored.IsZero() {
		t.Fatalf("untouched uid 1 = %+v", b)
	}
}

func TestEMAResetOnHotkeyChange(t *testing.T) {
	tab := newScoreTable(0.5, nil)
	tab.reconcile(neurons("a", "b", "c"))
	for uid, h := range []string{"a", "b", "c"} {
		tab.update(uint32(uid), h, 1, time.Unix(1, 0), 1)
	}
	reset := tab.reconcile(neurons("a", "B2", "c")[:2]) // uid 1 re-registered, uid 2 gone
	if len(reset) != 1 || reset[0] != 1 {
		t.Fatalf("reset = %v, want [1]", reset)
	}
	snap := tab.snapshot()
	if len(snap) != 2 {
		t.Fatalf("scores = %+v, want uids 0 and 1", snap)
	}
	if a := snap[0]; a.Hotkey != "a" || a.EMA != 0.5 {
		t.Errorf("uid 0 = %+v, want its EMA kept", a)
	}
	if b := snap[1]; b.Hotkey != "B2" || b.EMA != 0 || b.Queries != 0 || !b.LastScored.IsZero() {
		t.Errorf("uid 1 = %+v, want a fresh score for the new hotkey", b)
	}
}

func TestFlagScoresZero(t *testing.T) {
	tab := newScoreTable(0.5, nil)
	tab.reconcile(neurons("a"))
	tab.update(0, "a", 1, time.Unix(1, 0), 5)
	if !tab.flag(0, "a", 5, 6, reasonMismatch) {
		t.Fatal("first flag not reported as fresh")
	}
	if tab.flag(0, "a", 5, 6, reasonMismatch) {
		t.Fatal("second flag in the same epoch reported as fresh")
	}
	for epoch := uint64(5); epoch <= 6; epoch++ {
		if ema, _ := tab.update(0, "a", 1, time.Unix(2, 0), epoch); ema != 0 {
			t.Fatalf("epoch %d: a flagged miner's EMA rose to %v", epoch, ema)
		}
	}
	s := scoreOf(t, tab, 0)
	if !s.Flagged(6) || s.Flagged(7) || s.FlagReason != reasonMismatch {
		t.Fatalf("score = %+v, want flagged through epoch 6", s)
	}
	if ema, _ := tab.update(0, "a", 1, time.Unix(3, 0), 7); ema != 0.5 {
		t.Fatalf("after the flag: ema = %v, want 0.5", ema)
	}
}

func TestPickPriority(t *testing.T) {
	tab := newScoreTable(0.5, nil)
	miners := neurons("a", "b", "c", "d", "e")
	tab.reconcile(miners)
	// scored at: a 3s, b never, c 1s, d never, e 2s
	for uid, at := range map[uint32]int64{0: 3, 2: 1, 4: 2} {
		tab.update(uid, miners[uid].Hotkey, 1, time.Unix(at, 0), 1)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	tests := []struct {
		name string
		k    int
		want []map[uint32]bool // allowed UIDs at each position
	}{
		{name: "all", k: 0},
		{name: "k above the miners", k: 9},
		{name: "never scored first", k: 2, want: []map[uint32]bool{{1: true, 3: true}, {1: true, 3: true}}},
		{name: "then the least recently scored", k: 4, want: []map[uint32]bool{{1: true, 3: true}, {1: true, 3: true}, {2: true}, {4: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 { // ties are broken at random: every draw must hold
				got := tab.pick(miners, tc.k, rng)
				if tc.want == nil {
					if len(got) != len(miners) {
						t.Fatalf("picked %d, want all %d", len(got), len(miners))
					}
					continue
				}
				if len(got) != tc.k {
					t.Fatalf("picked %d, want %d", len(got), tc.k)
				}
				for i, m := range got {
					if !tc.want[i][m.UID] {
						t.Fatalf("position %d is uid %d, want one of %v (picked %v)", i, m.UID, tc.want[i], got)
					}
				}
			}
		})
	}
	t.Run("a sample rotates through every miner", func(t *testing.T) {
		seen := map[uint32]bool{}
		at := time.Unix(10, 0)
		for step := range 3 {
			for _, m := range tab.pick(miners, 2, rng) {
				seen[m.UID] = true
				tab.update(m.UID, m.Hotkey, 1, at.Add(time.Duration(step)*time.Second), 1)
			}
		}
		if len(seen) != len(miners) {
			t.Fatalf("three steps of 2 saw %v, want all 5 miners", seen)
		}
	})
}
