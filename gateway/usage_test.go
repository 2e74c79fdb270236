package gateway

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway/store"
)

// flakyStore fails AddUsage while down is set.
type flakyStore struct {
	store.Store
	down atomic.Bool
}

func (s *flakyStore) AddUsage(ctx context.Context, u store.Usage) (int64, error) {
	if s.down.Load() {
		return 0, errors.New("connection refused")
	}
	return s.Store.AddUsage(ctx, u)
}

func openTestStore(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestUsageBufferSumsAndKeepsWhatFailed: counts added from many goroutines
// are written as one row per key, subnet and day; a flush the store
// refuses keeps them for the next; a key that no longer exists is dropped.
func TestUsageBufferSumsAndKeepsWhatFailed(t *testing.T) {
	ctx := context.Background()
	s := &flakyStore{Store: openTestStore(t)}
	a, _, err := s.CreateKey(ctx, store.KeySpec{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.CreateKey(ctx, store.KeySpec{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	var failures atomic.Int64
	buf := newUsageBuffer(s, time.Hour, slog.New(slog.DiscardHandler), func() { failures.Add(1) })
	const day = "2026-12-05"
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				buf.add(store.Usage{KeyID: a.ID, Netuid: uint32(w % 2), Day: day, Requests: 1, Errors: int64(i % 2)})
			}
		}()
	}
	wg.Wait()
	buf.add(store.Usage{KeyID: b.ID, Netuid: 1, Day: day, Requests: 3})
	buf.add(store.Usage{KeyID: "nokey", Netuid: 1, Day: day, Requests: 5}) // never existed

	s.down.Store(true)
	if err := buf.flush(ctx); err == nil {
		t.Fatal("flush to a store that is down reported no error")
	}
	if failures.Load() != 1 {
		t.Errorf("failure callback ran %d times, want 1", failures.Load())
	}
	if rows, err := s.UsageOf(ctx, "", day, day); err != nil || len(rows) != 0 {
		t.Fatalf("rows after a failed flush: %v, %v", rows, err)
	}
	s.down.Store(false)
	if err := buf.flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	rows, err := s.UsageOf(ctx, "", day, day)
	if err != nil {
		t.Fatal(err)
	}
	want := map[store.Usage]bool{
		{KeyID: a.ID, Netuid: 0, Day: day, Requests: 400, Errors: 200}: true,
		{KeyID: a.ID, Netuid: 1, Day: day, Requests: 400, Errors: 200}: true,
		{KeyID: b.ID, Netuid: 1, Day: day, Requests: 3}:                true,
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %v", rows, want)
	}
	for _, r := range rows {
		if !want[r] {
			t.Errorf("row %+v not among %v", r, want)
		}
	}
	// nothing left: the unknown key was dropped, not retried forever
	if err := buf.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.UsageOf(ctx, "", day, day); len(again) != len(rows) || again[0] != rows[0] {
		t.Errorf("a second flush changed the rows: %+v", again)
	}
}

// TestQuotaKeysAreCountedAtOnce: a key with a daily quota is counted in the
// store on every request (replicas share the count), so its quota holds
// with the buffer on; a key without one is counted at the flush.
func TestQuotaKeysAreCountedAtOnce(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	a := newAuthenticator(s, false, time.Minute, func() time.Time { return now })
	a.usage = newUsageBuffer(s, time.Hour, slog.New(slog.DiscardHandler), func() {})
	quota, _, err := s.CreateKey(ctx, store.KeySpec{Name: "quota", DailyQuota: 2})
	if err != nil {
		t.Fatal(err)
	}
	free, _, err := s.CreateKey(ctx, store.KeySpec{Name: "free"})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{0, 0, 429} {
		got := 0
		if e := a.admit(ctx, principal{key: quota}, 1); e != nil {
			got = e.status
		}
		if got != want {
			t.Errorf("quota key request %d: status %d, want %d", i+1, got, want)
		}
	}
	for range 5 {
		if e := a.admit(ctx, principal{key: free}, 1); e != nil {
			t.Fatalf("key without a quota refused: %v", e.msg)
		}
	}
	count := func(id string) int64 {
		rows, err := s.UsageOf(ctx, id, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, r := range rows {
			n += r.Requests
		}
		return n
	}
	if n := count(quota.ID); n != 3 {
		t.Errorf("quota key has %d requests stored, want 3 (counted at once)", n)
	}
	if n := count(free.ID); n != 0 {
		t.Errorf("key without a quota has %d requests stored before the flush, want 0", n)
	}
	if err := a.usage.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(free.ID); n != 5 {
		t.Errorf("key without a quota has %d requests stored after the flush, want 5", n)
	}
}
