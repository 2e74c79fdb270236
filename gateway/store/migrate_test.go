package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tensorcosm/tensorcosm/testutil/pgtest"
)

// TestOpen checks migrating on both databases, sharing one PostgreSQL
// server between its subtests (a database each).
func TestOpen(t *testing.T) {
	server := pgtest.Start(t)
	backends := map[string]func(t *testing.T) string{
		DriverSQLite:   func(t *testing.T) string { return filepath.Join(t.TempDir(), "gateway.db") },
		DriverPostgres: func(t *testing.T) string { return pgtest.NewDatabase(t, server) },
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, driver string, newDSN func(t *testing.T) string)
	}{
		{"Idempotent", testOpenIdempotent},
		{"Concurrent", testOpenConcurrent},
		{"NewerSchema", testOpenNewerSchema},
	} {
		for driver, newDSN := range backends {
			t.Run(tc.name+"/"+driver, func(t *testing.T) { tc.fn(t, driver, newDSN) })
		}
	}
}

func TestMigrations(t *testing.T) {
	steps, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range steps {
		if m.version != int64(i+1) {
			t.Errorf("migration %s has version %d, want %d: versions run 1, 2, 3... without gaps", m.name, m.version, i+1)
		}
	}
}

func openT(t *testing.T, driver, dsn string) *sqlStore {
	t.Helper()
	s, err := Open(context.Background(), driver, dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", driver, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.(*sqlStore)
}

// recorded returns schema_migrations as version → name.
func recorded(t *testing.T, s *sqlStore) map[int64]string {
	t.Helper()
	rows, err := s.db.Query("SELECT version, name FROM schema_migrations")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var v int64
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		out[v] = name
	}
	return out
}

func wantAllRecorded(t *testing.T, s *sqlStore) {
	t.Helper()
	steps, _ := migrations()
	got := recorded(t, s)
	if len(got) != len(steps) {
		t.Errorf("schema_migrations has %d rows, want %d: %v", len(got), len(steps), got)
	}
	for _, m := range steps {
		if got[m.version] != m.name {
			t.Errorf("schema_migrations[%d] = %q, want %q", m.version, got[m.version], m.name)
		}
	}
}

// testOpenIdempotent opens a database twice: the second Open applies nothing
// and the data the first wrote is still there.
func testOpenIdempotent(t *testing.T, driver string, newDSN func(t *testing.T) string) {
	ctx := context.Background()
	dsn := newDSN(t)
	first := openT(t, driver, dsn)
	wantAllRecorded(t, first)
	k, token, err := first.CreateKey(ctx, KeySpec{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.AddUsage(ctx, Usage{KeyID: k.ID, Day: "2026-12-04", Requests: 2}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second := openT(t, driver, dsn)
	wantAllRecorded(t, second)
	if _, err := second.LookupKey(ctx, token); err != nil {
		t.Errorf("key lost on reopening: %v", err)
	}
	if total, err := second.AddUsage(ctx, Usage{KeyID: k.ID, Day: "2026-12-04", Requests: 1}); err != nil || total != 3 {
		t.Errorf("usage after reopening: total %d, %v; want 3", total, err)
	}
}

// testOpenConcurrent starts several replicas at once on a fresh database:
// all open, and each migration is applied and recorded once.
func testOpenConcurrent(t *testing.T, driver string, newDSN func(t *testing.T) string) {
	dsn := newDSN(t)
	const n = 6
	stores := make([]Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(context.Background(), driver, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if errs[0] == nil {
		wantAllRecorded(t, stores[0].(*sqlStore))
	}
}

// testOpenNewerSchema refuses a database migrated by a newer binary.
func testOpenNewerSchema(t *testing.T, driver string, newDSN func(t *testing.T) string) {
	dsn := newDSN(t)
	s := openT(t, driver, dsn)
	if _, err := s.db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), driver, dsn)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open on a newer schema: %v, want an error about a newer gateway", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "mysql", "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown driver: %v, want ErrInvalid", err)
	}
	for _, driver := range []string{DriverSQLite, DriverPostgres} {
		if _, err := Open(ctx, driver, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s with an empty DSN: %v, want ErrInvalid", driver, err)
		}
	}
	for _, dsn := range []string{":memory:", "file:x?mode=memory&cache=shared"} {
		if _, err := Open(ctx, DriverSQLite, dsn); !errors.Is(err, ErrInvalid) {
			t.Errorf("SQLite DSN %q: %v, want ErrInvalid", dsn, err)
		}
	}
	// Port 1 on loopback refuses at once: the error comes back, not a hang.
	if _, err := Open(ctx, DriverPostgres, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5"); err == nil {
		t.Error("Open on a closed port succeeded")
	}
	if _, err := Open(ctx, DriverSQLite, filepath.Join(t.TempDir(), "missing-dir", "gateway.db")); err == nil {
		t.Error("SQLite in a missing directory opened")
	}
}
