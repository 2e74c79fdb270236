package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway/store"
	"github.com/tensorcosm/tensorcosm/gateway/store/storetest"
	"github.com/tensorcosm/tensorcosm/testutil/pgtest"
)

// TestSQLite runs the conformance suite on a database file per subtest.
func TestSQLite(t *testing.T) {
	storetest.Run(t, storetest.Opener(store.DriverSQLite, func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "gateway.db")
	}))
}

// TestPostgres runs the conformance suite on a real PostgreSQL server, one
// database per subtest.
func TestPostgres(t *testing.T) {
	server := pgtest.Start(t)
	storetest.Run(t, storetest.Opener(store.DriverPostgres, func(t *testing.T) string {
		return pgtest.NewDatabase(t, server)
	}))
}

func TestKeyIDOf(t *testing.T) {
	id := "0123456789abcdef"
	secret := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	if got := store.KeyIDOf("tcg_" + id + "_" + secret); got != id {
		t.Errorf("KeyIDOf(valid) = %q, want %q", got, id)
	}
	if got := store.KeyIDOf("tcg_" + id + "_short"); got != "" {
		t.Errorf("KeyIDOf(malformed) = %q, want empty", got)
	}
}

func TestDay(t *testing.T) {
	// 23:30 at UTC-5 is the next day in UTC.
	tm := time.Date(2026, 12, 4, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	if got := store.Day(tm); got != "2026-12-05" {
		t.Errorf("Day(%v) = %q, want the UTC day 2026-12-05", tm, got)
	}
}
