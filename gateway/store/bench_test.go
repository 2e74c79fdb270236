package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tensorcosm/tensorcosm/gateway/store"
	"github.com/tensorcosm/tensorcosm/testutil/pgtest"
)

// benchStores opens one store per driver; PostgreSQL is a fresh server.
func benchStores(b *testing.B) map[string]store.Store {
	b.Helper()
	dsns := map[string]string{
		store.DriverSQLite:   filepath.Join(b.TempDir(), "gateway.db"),
		store.DriverPostgres: pgtest.Start(b),
	}
	out := map[string]store.Store{}
	for driver, dsn := range dsns {
		s, err := store.Open(context.Background(), driver, dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		out[driver] = s
	}
	return out
}

// BenchmarkLookupKey is the per-request authentication (before the
// gateway's cache).
func BenchmarkLookupKey(b *testing.B) {
	for driver, s := range benchStores(b) {
		// Outside b.Run, which calls its function once per b.N it tries.
		_, token, err := s.CreateKey(context.Background(), store.KeySpec{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(driver, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.LookupKey(context.Background(), token); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAddUsage is the per-request quota count, all goroutines on one
// key: the contended case, serialized by the key's row lock.
func BenchmarkAddUsage(b *testing.B) {
	for driver, s := range benchStores(b) {
		k, _, err := s.CreateKey(context.Background(), store.KeySpec{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		u := store.Usage{KeyID: k.ID, Netuid: 1, Day: "2026-12-04", Requests: 1}
		b.Run(driver, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.AddUsage(context.Background(), u); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
