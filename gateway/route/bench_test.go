package route

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkDo measures the router's own cost per request (pick, book,
// goroutine, hedge timer) with a call that answers at once.
func BenchmarkDo(b *testing.B) {
	for _, n := range []int{3, 64} {
		b.Run(fmt.Sprintf("candidates=%d", n), func(b *testing.B) {
			r := New(DefaultConfig(), nil)
			r.Seed(1)
			r.SetCandidates(miners(n))
			call := ok(1)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Do(ctx, call); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("candidates=%d/parallel", n), func(b *testing.B) {
			r := New(DefaultConfig(), nil)
			r.Seed(1)
			r.SetCandidates(miners(n))
			call := ok(1)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Do(context.Background(), call); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkPick measures one weighted power-of-two choice under the lock.
func BenchmarkPick(b *testing.B) {
	for _, n := range []int{3, 64} {
		b.Run(fmt.Sprintf("candidates=%d", n), func(b *testing.B) {
			r := New(DefaultConfig(), nil)
			r.Seed(1)
			r.SetCandidates(miners(n))
			now := r.now()
			for b.Loop() {
				r.mu.Lock()
				if r.pickLocked(now, nil) == nil {
					b.Fatal("no pick")
				}
				r.mu.Unlock()
			}
		})
	}
}

// BenchmarkDoRedundant measures a 3-way redundant request with agreement.
func BenchmarkDoRedundant(b *testing.B) {
	r := New(DefaultConfig(), nil)
	r.Seed(1)
	r.SetCandidates(miners(8))
	call := ok("label")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, agree, _, err := r.DoRedundant(ctx, 3, call, keyOf); err != nil || agree != 3 {
			b.Fatal(agree, err)
		}
	}
}
