package axon

import (
	"container/list"
	"fmt"
	"slices"
	"sync"
	"time"
)

// nonceTracker refuses replayed nonces. Per caller it remembers the
// reorderWindow largest accepted nonces and a floor: every nonce it ever
// accepted is either remembered or at most the floor, so a nonce is fresh
// when it is above the floor and not remembered. With a window of 0 that is
// "strictly increasing"; a small window lets one client's concurrent
// requests, signed in order but raced to the server on separate streams,
// arrive out of order without being refused.
//
// Callers are kept in LRU order and bounded by maxCallers. The least recent
// caller is forgotten only once its largest nonce has left the clock-skew
// window, because from then on every nonce it could replay is refused as
// stale anyway; when that does not free a slot the request is refused
// rather than the table made unsafe.
type nonceTracker struct {
	// watermark, when set, carries the guarantee across restarts.
	watermark *replayWatermark

	mu            sync.Mutex
	reorderWindow int
	maxCallers    int
	skew          time.Duration
	callers       map[string]*list.Element
	lru           *list.List // of *callerNonces, most recent first
}

type callerNonces struct {
	hotkey string
	floor  uint64
	recent []uint64 // ascending, at most reorderWindow long
}

func (c *callerNonces) max() uint64 {
	if len(c.recent) == 0 {
		return c.floor
	}
	return c.recent[len(c.recent)-1]
}

func newNonceTracker(reorderWindow, maxCallers int, skew time.Duration) *nonceTracker {
	return &nonceTracker{
		reorderWindow: reorderWindow,
		maxCallers:    maxCallers,
		skew:          skew,
		callers:       make(map[string]*list.Element),
		lru:           list.New(),
	}
}

// accept records nonce for hotkey, or returns errReplay when it was (or may
// have been) used before, or errBusy when no caller slot can be freed. With
// a watermark, a nonce at or below the previous process's ceiling is a
// replay, and the ceiling is on disk above nonce before nonce is accepted.
func (t *nonceTracker) accept(hotkey string, nonce uint64, now time.Time) error {
	if w := t.watermark; w != nil {
		if nonce <= w.floor {
			return fmt.Errorf("%w: nonce %d is not above %d, the ceiling of the nonces accepted before the axon restarted",
				errReplay, nonce, w.floor)
		}
		// outside t.mu: a write holds up only the requests that need it
		if err := w.reserve(nonce); err != nil {
			return err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.callers[hotkey]
	if !ok {
		if err := t.makeRoom(now); err != nil {
			return err
		}
		el = t.lru.PushFront(&callerNonces{hotkey: hotkey})
		t.callers[hotkey] = el
	}
	c := el.Value.(*callerNonces)
	if nonce <= c.floor {
		return fmt.Errorf("%w: nonce %d is not above %d", errReplay, nonce, c.floor)
	}
	i, found := slices.BinarySearch(c.recent, nonce)
	if found {
		return fmt.Errorf("%w: nonce %d was used", errReplay, nonce)
	}
	c.recent = slices.Insert(c.recent, i, nonce)
	if len(c.recent) > t.reorderWindow {
		c.floor = c.recent[0]
		c.recent = slices.Delete(c.recent, 0, 1)
	}
	t.lru.MoveToFront(el)
	return nil
}

// makeRoom frees a slot for a new caller if the table is full.
func (t *nonceTracker) makeRoom(now time.Time) error {
	if t.lru.Len() < t.maxCallers {
		return nil
	}
	oldest := t.lru.Back()
	c := oldest.Value.(*callerNonces)
	if int64(c.max()) >= now.Add(-t.skew).UnixNano() {
		return fmt.Errorf("%w: nonce table holds %d live callers", errBusy, t.lru.Len())
	}
	t.lru.Remove(oldest)
	delete(t.callers, c.hotkey)
	return nil
}

// len returns the number of callers remembered.
func (t *nonceTracker) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.Len()
}

// checkNonceTime refuses nonces outside now +- skew: a stale nonce could be
// a replay of a request the tracker has forgotten, a future one would let a
// caller pre-sign requests for later.
func checkNonceTime(nonce uint64, now time.Time, skew time.Duration) error {
	n := int64(nonce)
	if nonce > uint64(1<<63-1) || n > now.Add(skew).UnixNano() {
		return fmt.Errorf("%w: nonce is more than %s ahead of the server clock", errStale, skew)
	}
	if n < now.Add(-skew).UnixNano() {
		return fmt.Errorf("%w: nonce is more than %s behind the server clock", errStale, skew)
	}
	return nil
}
