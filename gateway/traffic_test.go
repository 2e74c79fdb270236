package gateway

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/axon/receiptcheck"
	"github.com/tensorcosm/tensorcosm/gateway/dashboard"
)

func TestTrafficWindow(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	tr := newTraffic(func() time.Time { return now })
	if s := tr.snapshot(); s.Requests != 0 || s.P50MS != 0 || s.WindowS != trafficWindow {
		t.Fatalf("empty window: %+v", s)
	}
	// 100 requests: 98 at 10 ms, 2 at 2 s, 5 of them failed
	for i := range 100 {
		d, failed := 10*time.Millisecond, i < 5
		if i >= 98 {
			d = 2 * time.Second
		}
		tr.observe(d, failed)
	}
	s := tr.snapshot()
	if s.Requests != 100 || s.ErrorRate != 0.05 || s.RequestsPerS != 100.0/trafficWindow {
		t.Fatalf("counts: %+v", s)
	}
	// quantiles are bucket upper bounds within 2^(1/4) of the truth
	if s.P50MS < 10 || s.P50MS > 10*1.19 || s.P99MS < 2000 || s.P99MS > 2000*1.19 {
		t.Fatalf("p50 %v ms, p99 %v ms", s.P50MS, s.P99MS)
	}
	// a minute later the old second has left the window
	now = now.Add(trafficWindow * time.Second)
	tr.observe(time.Millisecond, false)
	if s := tr.snapshot(); s.Requests != 1 || s.ErrorRate != 0 || s.P99MS != 1 {
		t.Fatalf("after the window moved: %+v", s)
	}
}

func TestTTLCache(t *testing.T) {
	now := time.Unix(0, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newTTLCache(time.Second, 3, clock)
	var reads atomic.Int32
	release := make(chan struct{})
	read := func(context.Context) (any, error) {
		reads.Add(1)
		<-release
		return "v", nil
	}
	// concurrent misses share one read
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := c.get(context.Background(), "k", read); v != "v" || err != nil {
				t.Errorf("get: %v %v", v, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads for 8 concurrent gets", n)
	}
	// fresh: no read; stale: a read
	_, _ = c.get(context.Background(), "k", read)
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	_, _ = c.get(context.Background(), "k", read)
	if n := reads.Load(); n != 2 {
		t.Fatalf("%d reads, want 2", n)
	}
	// failures are not kept; errNotFinal returns the value uncached
	boom := errors.New("boom")
	if _, err := c.get(context.Background(), "bad", func(context.Context) (any, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	for range 2 {
		v, err := c.get(context.Background(), "nf", func(context.Context) (any, error) { reads.Add(1); return "x", errNotFinal })
		if v != "x" || err != nil {
			t.Fatalf("not final: %v %v", v, err)
		}
	}
	if n := reads.Load(); n != 4 {
		t.Fatalf("%d reads, want 4 (a not-final value is read again)", n)
	}
	// bounded: keys from URLs cannot grow it
	for i := range 100 {
		_, _ = c.get(context.Background(), fmt.Sprint("key", i), func(context.Context) (any, error) { return i, nil })
	}
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	if n > 3 {
		t.Fatalf("%d entries, want at most 3", n)
	}
}

// TestVerificationMirrorsReport holds the dashboard's Verification type to
// the JSON of the report the gateway sends.
func TestVerificationMirrorsReport(t *testing.T) {
	tags := func(v any) []string {
		var out []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			out = append(out, rt.Field(i).Name+" "+rt.Field(i).Type.String()+" "+rt.Field(i).Tag.Get("json"))
		}
		return out
	}
	if a, b := tags(dashboard.Verification{}), tags(receiptcheck.Report{}); !slices.Equal(a, b) {
		t.Fatalf("dashboard.Verification\n%v\nreceiptcheck.Report\n%v", a, b)
	}
}
