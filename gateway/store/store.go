package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors returned by a Store; callers test them with errors.Is.
var (
	// ErrNotFound means no key matches: unknown ID or name, or a token whose
	// secret does not match. LastEpoch returns it when no epoch is stored.
	ErrNotFound = errors.New("not found")
	// ErrRevoked means the key exists but was revoked.
	ErrRevoked = errors.New("key revoked")
	// ErrExists means an active key already has the requested name.
	ErrExists = errors.New("already exists")
	// ErrBadToken means a token is not of the form "tcg_<id>_<secret>".
	ErrBadToken = errors.New("malformed API key")
	// ErrInvalid means an argument is out of range: an empty key name, a
	// negative limit or count, a day that is not YYYY-MM-DD, an epoch with a
	// height <= 0 or an empty or oversized body.
	ErrInvalid = errors.New("invalid argument")
)

// DayLayout is the time layout of Usage.Day: a UTC calendar day.
const DayLayout = "2006-01-02"

// maxNameLen bounds a key's name, which operators type and logs show.
const maxNameLen = 128

// KeySpec is what an operator chooses for a key.
type KeySpec struct {
	// Name identifies the key to operators; unique among active keys.
	Name string
	// RatePerSec is the sustained request rate the gateway allows.
	RatePerSec float64
	// Burst is the token bucket's size.
	Burst int
	// DailyQuota caps the requests per UTC day over all subnets; 0 = unlimited.
	DailyQuota int64
	// Subnets lists the netuids the key may call; empty = all. Stored sorted
	// and without duplicates.
	Subnets []uint32
}

// Validate reports an out-of-range field, wrapping ErrInvalid.
func (s KeySpec) Validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("%w: key name is empty", ErrInvalid)
	case len(s.Name) > maxNameLen:
		return fmt.Errorf("%w: key name is longer than %d bytes", ErrInvalid, maxNameLen)
	case s.RatePerSec < 0 || math.IsNaN(s.RatePerSec) || math.IsInf(s.RatePerSec, 0):
		return fmt.Errorf("%w: rate per second %v is not a finite number >= 0", ErrInvalid, s.RatePerSec)
	case s.Burst < 0:
		return fmt.Errorf("%w: burst %d is negative", ErrInvalid, s.Burst)
	case s.DailyQuota < 0:
		return fmt.Errorf("%w: daily quota %d is negative", ErrInvalid, s.DailyQuota)
	}
	return nil
}

// Key is a stored key, without its secret.
type Key struct {
	// ID is the key's public identifier, also the middle part of its token.
	ID string
	KeySpec
	// CreatedAt is when the key was made (UTC).
	CreatedAt time.Time
	// RevokedAt is when the key was revoked (UTC); zero while it is active.
	RevokedAt time.Time
}

// Active reports whether the key has not been revoked.
func (k Key) Active() bool { return k.RevokedAt.IsZero() }

// Usage is one key's counts on one subnet for one UTC day.
type Usage struct {
	KeyID  string
	Netuid uint32
	// Day is the UTC day, formatted with DayLayout (YYYY-MM-DD).
	Day string
	// Requests and Errors are counts; AddUsage adds them to the stored ones.
	Requests, Errors int64
}

// Day returns t's UTC day in the form Usage.Day uses.
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// MaxEpochBody bounds EpochRecord.Body, in bytes.
const MaxEpochBody = 8 << 20

// MaxEpochsLimit is the largest limit Epochs accepts.
const MaxEpochsLimit = 10000

// EpochRecord is one subnet epoch as the gateway recorded it.
type EpochRecord struct {
	Netuid uint32
	// Height is the block the epoch ran in; with Netuid it is the key.
	Height int64
	// Epoch is the epoch's index.
	Epoch uint64
	// RecordedAt is when it was stored (UTC); set by PutEpoch.
	RecordedAt time.Time
	// Body is the gateway's JSON document of the epoch (at most MaxEpochBody
	// bytes of UTF-8 text without NUL bytes, which PostgreSQL's TEXT refuses).
	Body []byte
}

// Validate reports an out-of-range field, wrapping ErrInvalid. RecordedAt is
// not checked: PutEpoch sets it.
func (r EpochRecord) Validate() error {
	switch {
	case r.Height <= 0:
		return fmt.Errorf("%w: epoch height %d is not positive", ErrInvalid, r.Height)
	case r.Epoch > math.MaxInt64:
		return fmt.Errorf("%w: epoch index %d is above %d", ErrInvalid, r.Epoch, int64(math.MaxInt64))
	case len(r.Body) == 0:
		return fmt.Errorf("%w: epoch body is empty", ErrInvalid)
	case len(r.Body) > MaxEpochBody:
		return fmt.Errorf("%w: epoch body is %d bytes, more than %d", ErrInvalid, len(r.Body), MaxEpochBody)
	case !utf8.Valid(r.Body) || bytes.IndexByte(r.Body, 0) >= 0:
		return fmt.Errorf("%w: epoch body is not UTF-8 text without NUL bytes", ErrInvalid)
	}
	return nil
}

// Store keeps API keys, their usage and the subnet epochs the gateway
// recorded. Implementations are safe for concurrent use, and several Stores
// may share one database.
type Store interface {
	// CreateKey makes a key; the token ("tcg_<id>_<secret>", secret >= 32
	// random bytes, base32/hex) is returned once and only sha256(secret) is
	// stored. Duplicate active name → ErrExists.
	CreateKey(ctx context.Context, spec KeySpec) (Key, string, error)
	// ListKeys returns every key, revoked ones included, by creation time.
	ListKeys(ctx context.Context) ([]Key, error)
	// RevokeKey revokes the key with that ID, or else the active key with that
	// name: ErrNotFound when neither exists, ErrRevoked when the ID names a
	// key already revoked.
	RevokeKey(ctx context.Context, nameOrID string) error
	// LookupKey parses the token (ErrBadToken), fetches by ID, compares
	// sha256(secret) in constant time (crypto/subtle); ErrNotFound on any
	// mismatch, ErrRevoked for revoked keys.
	LookupKey(ctx context.Context, token string) (Key, error)
	// AddUsage adds counts (upsert) and returns the key's total requests for
	// that day over all subnets (so several gateway replicas share quota
	// counts). ErrNotFound for an unknown key, ErrInvalid for a malformed day
	// or negative counts.
	AddUsage(ctx context.Context, u Usage) (dayTotal int64, err error)
	// UsageOf lists usage rows of keyID ("" = all keys) for days in
	// [fromDay, toDay] ("" = unbounded), sorted by day, key ID and netuid.
	UsageOf(ctx context.Context, keyID, fromDay, toDay string) ([]Usage, error)
	// PutEpoch stores rec unless an epoch with its netuid and height is
	// already stored (then it keeps the stored one and returns false):
	// several replicas may record the same epoch. ErrInvalid for height <= 0,
	// an epoch index above math.MaxInt64, an empty or oversized body, or one
	// that is not UTF-8 text without NUL bytes.
	PutEpoch(ctx context.Context, rec EpochRecord) (inserted bool, err error)
	// Epochs returns up to limit epochs of netuid with height < before
	// (before <= 0: no bound), the newest ones, in ascending height order.
	// ErrInvalid for limit <= 0 or limit > MaxEpochsLimit.
	Epochs(ctx context.Context, netuid uint32, before int64, limit int) ([]EpochRecord, error)
	// LastEpoch returns the height and index of netuid's newest stored
	// epoch; ErrNotFound when none is stored.
	LastEpoch(ctx context.Context, netuid uint32) (height int64, epoch uint64, err error)
	// Close releases the database handle.
	Close() error
}

// Open opens (creating and migrating) a store: driver "sqlite" (dsn = file
// path, WAL, busy timeout) or "postgres" (dsn = pgx connection string, URL or
// key=value). Migrations are numbered SQL files shared by both, recorded in
// a schema_migrations table, applied in a transaction, safe when two
// replicas start at once (postgres: advisory lock).
func Open(ctx context.Context, driver, dsn string) (Store, error) {
	d, err := dialectFor(driver)
	if err != nil {
		return nil, err
	}
	if dsn == "" {
		return nil, fmt.Errorf("store: %w: %s: empty DSN", ErrInvalid, driver)
	}
	if d.name == DriverSQLite && (dsn == ":memory:" || strings.Contains(dsn, "mode=memory")) {
		// Every pooled connection would get a database of its own.
		return nil, fmt.Errorf("store: %w: SQLite needs a file path, not an in-memory database", ErrInvalid)
	}
	db, err := d.open(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", driver, err)
	}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", driver, err)
	}
	if d.prepare != nil {
		if err := d.prepare(ctx, db); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("store: prepare %s: %w", driver, err)
		}
	}
	if err := migrate(ctx, db, d); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", driver, err)
	}
	return &sqlStore{db: db, d: d}, nil
}
