package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers database/sql driver "pgx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Driver names accepted by Open.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// migrationLockID is the PostgreSQL advisory lock key held while migrating:
// an arbitrary constant ("tcgw" in ASCII) that other users of the database
// are unlikely to pick.
const migrationLockID int64 = 0x74636777

// sqliteParams are appended to a SQLite DSN. Immediate transactions take the
// write lock at BEGIN, so a transaction that reads then writes never fails
// with SQLITE_BUSY when upgrading its lock: it waits up to the busy timeout.
// WAL is not set here but once, by prepareSQLite: it is a property of the
// file, and switching to it can fail with SQLITE_BUSY without waiting.
const sqliteParams = "_pragma=busy_timeout(10000)&_synchronous=NORMAL&_foreign_keys=1&_txlock=immediate"

// walAttempts and walBackoff bound prepareSQLite's retries (about 10s).
const (
	walAttempts = 200
	walBackoff  = 50 * time.Millisecond
)

// dialect holds what differs between the databases; the SQL text itself is
// shared ($n placeholders, which both accept).
type dialect struct {
	name string
	open func(dsn string) (*sql.DB, error)
	// lockMigrations runs first in the migration transaction.
	lockMigrations string
	// lockKey runs first in AddUsage's transaction and returns the key's ID,
	// serializing concurrent additions for one key so each sees a distinct
	// total. SQLite's immediate transactions already serialize writers.
	lockKey string
	// prepare runs once after connecting, before migrating; nil for none.
	prepare func(ctx context.Context, db *sql.DB) error
	// isUnique reports a unique-constraint violation.
	isUnique func(error) bool
}

var (
	sqliteDialect = dialect{
		name:           DriverSQLite,
		open:           openSQLite,
		prepare:        prepareSQLite,
		lockMigrations: "",
		lockKey:        "SELECT id FROM api_keys WHERE id = $1",
		isUnique: func(err error) bool {
			var e *sqlite.Error
			if !errors.As(err, &e) {
				return false
			}
			switch e.Code() {
			case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
				return true
			case sqlite3.SQLITE_CONSTRAINT: // without extended result codes
				return strings.Contains(e.Error(), "UNIQUE constraint failed")
			}
			return false
		},
	}
	postgresDialect = dialect{
		name: DriverPostgres,
		open: openPostgres,
		// Transaction-scoped: released at COMMIT or ROLLBACK, even when the
		// connection goes back to the pool after a failure.
		lockMigrations: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", migrationLockID),
		// NO KEY UPDATE: does not block the foreign-key checks of inserts
		// into usage_daily by other transactions.
		lockKey: "SELECT id FROM api_keys WHERE id = $1 FOR NO KEY UPDATE",
		isUnique: func(err error) bool {
			var e *pgconn.PgError
			return errors.As(err, &e) && e.Code == "23505"
		},
	}
)

func dialectFor(driver string) (dialect, error) {
	switch driver {
	case DriverSQLite:
		return sqliteDialect, nil
	case DriverPostgres, "pgx", "postgresql":
		return postgresDialect, nil
	}
	return dialect{}, fmt.Errorf("store: %w: unknown driver %q (want %q or %q)", ErrInvalid, driver, DriverSQLite, DriverPostgres)
}

// openSQLite opens the database file at path (a plain path, or a "file:" URI
// with parameters of its own) with WAL, a busy timeout and foreign keys.
func openSQLite(path string) (*sql.DB, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return sql.Open(DriverSQLite, path+sep+sqliteParams)
}

// prepareSQLite switches the file to WAL, so readers do not block the
// writer. When several processes open a new file at once, the switch can
// return SQLITE_BUSY at once instead of waiting for the busy timeout, so it
// is retried.
func prepareSQLite(ctx context.Context, db *sql.DB) error {
	for attempt := 1; ; attempt++ {
		var mode string
		err := db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("journal mode is %q after asking for WAL", mode)
		case !isBusy(err) || attempt == walAttempts:
			return fmt.Errorf("switch to WAL: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(walBackoff):
		}
	}
}

// isBusy reports SQLITE_BUSY or SQLITE_LOCKED, extended codes included.
func isBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	c := e.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// postgresIdleConns keeps connections open between bursts of requests, where
// database/sql's default of 2 would reconnect (a TLS handshake and auth) for
// most of them.
const postgresIdleConns = 8

func openPostgres(dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(postgresIdleConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}
