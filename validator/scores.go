package validator

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Score is the validator's view of one UID.
type Score struct {
	// UID and Hotkey name the neuron the score belongs to; a new hotkey at
	// the UID starts from zero.
	UID    uint32 `json:"uid"`
	Hotkey string `json:"hotkey"`
	// EMA is the exponential moving average of the UID's step scores, in [0, 1].
	EMA float64 `json:"ema"`
	// LastScored is when the UID was last queried; zero if never.
	LastScored time.Time `json:"last_scored,omitzero"`
	// Queries counts the queries scored since the hotkey took the UID.
	Queries uint64 `json:"queries"`
	// FlaggedUntil is the last subnet epoch in which the UID scores 0 after
	// its answers failed verification; 0 when it never did.
	FlaggedUntil uint64 `json:"flagged_until_epoch,omitempty"`
	// FlagReason says why it was flagged.
	FlagReason string `json:"flag_reason,omitempty"`
}

// Flagged reports whether s scores 0 in epoch.
func (s Score) Flagged(epoch uint64) bool { return s.FlaggedUntil != 0 && epoch <= s.FlaggedUntil }

// scoreTable holds a Score per UID. It is safe for concurrent use.
type scoreTable struct {
	mu      sync.Mutex
	alpha   float64
	entries map[uint32]*Score
}

func newScoreTable(alpha float64, saved []Score) *scoreTable {
	t := &scoreTable{alpha: alpha, entries: make(map[uint32]*Score, len(saved))}
	for _, s := range saved {
		t.entries[s.UID] = &s
	}
	return t
}

// reconcile makes the table follow the metagraph: a UID whose hotkey
// changed (or that is new) starts from zero, a UID that is gone is dropped.
// It returns the UIDs that were reset.
func (t *scoreTable) reconcile(neurons []neuronView) (reset []uint32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	live := make(map[uint32]bool, len(neurons))
	for _, n := range neurons {
		live[n.UID] = true
		if e, ok := t.entries[n.UID]; ok && e.Hotkey == n.Hotkey {
			continue
		}
		if _, ok := t.entries[n.UID]; ok {
			reset = append(reset, n.UID)
		}
		t.entries[n.UID] = &Score{UID: n.UID, Hotkey: n.Hotkey}
	}
	for uid := range t.entries {
		if !live[uid] {
			delete(t.entries, uid)
		}
	}
	return reset
}

// update folds one step score into the UID's EMA, unless the UID now holds
// another hotkey (the score was for its predecessor). A flagged UID scores
// 0 whatever it answered. It returns the new EMA.
func (t *scoreTable) update(uid uint32, hotkey string, score float64, at time.Time, epoch uint64) (float64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[uid]
	if !ok || e.Hotkey != hotkey {
		return 0, false
	}
	if e.Flagged(epoch) {
		score = 0
	}
	e.EMA = t.alpha*score + (1-t.alpha)*e.EMA
	e.LastScored = at
	e.Queries++
	return e.EMA, true
}

// flag zeroes the UID's EMA and makes it score 0 until the end of epoch
// until. It reports whether the UID was not already flagged for epoch.
func (t *scoreTable) flag(uid uint32, hotkey string, epoch, until uint64, reason string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[uid]
	if !ok || e.Hotkey != hotkey {
		return false
	}
	fresh := !e.Flagged(epoch)
	e.EMA = 0
	e.FlaggedUntil = max(e.FlaggedUntil, until)
	e.FlagReason = reason
	return fresh
}

// pick returns the miners to query: all of them when k is 0 or at least
// their number, else the k least recently scored (never scored first), ties
// broken at random.
func (t *scoreTable) pick(miners []neuronView, k int, rng *rand.Rand) []neuronView {
	if k == 0 || k >= len(miners) {
		return miners
	}
	t.mu.Lock()
	last := make(map[uint32]time.Time, len(miners))
	for _, m := range miners {
		if e, ok := t.entries[m.UID]; ok && e.Hotkey == m.Hotkey {
			last[m.UID] = e.LastScored
		}
	}
	t.mu.Unlock()
	out := slices.Clone(miners)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	slices.SortStableFunc(out, func(a, b neuronView) int { return last[a.UID].Compare(last[b.UID]) })
	return out[:k]
}

// snapshot returns a copy of every score, by UID.
func (t *scoreTable) snapshot() []Score {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Score, 0, len(t.entries))
	for _, e := range t.entries {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b Score) int { return cmp.Compare(a.UID, b.UID) })
	return out
}
