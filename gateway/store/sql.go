package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sqlStore implements Store over database/sql for both dialects.
type sqlStore struct {
	db *sql.DB
	d  dialect

	// mu and lastCreated keep CreatedAt strictly increasing within this
	// store, so ListKeys' order is creation order even on a coarse clock.
	mu          sync.Mutex
	lastCreated int64
}

const keyColumns = "id, name, rate_per_sec, burst, daily_quota, subnets, created_at, revoked_at"

// zeroDigest is compared against when a token names no key, so that an
// unknown ID and a wrong secret take the same path.
var zeroDigest = strings.Repeat("0", 64)

func (s *sqlStore) createdAt() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UnixNano()
	if now <= s.lastCreated {
		now = s.lastCreated + 1
	}
	s.lastCreated = now
	return now
}

// CreateKey implements Store.
func (s *sqlStore) CreateKey(ctx context.Context, spec KeySpec) (Key, string, error) {
	if err := spec.Validate(); err != nil {
		return Key{}, "", err
	}
	spec.Subnets = normalizeSubnets(spec.Subnets)
	id, token, digest, err := newToken()
	if err != nil {
		return Key{}, "", err
	}
	created := s.createdAt()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM api_keys WHERE name = $1 AND revoked_at = 0", spec.Name).Scan(&one)
		if err == nil {
			return fmt.Errorf("%w: an active key is named %q", ErrExists, spec.Name)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO api_keys ("+
			"id, name, secret_sha256, rate_per_sec, burst, daily_quota, subnets, created_at, revoked_at"+
			") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
			id, spec.Name, hex.EncodeToString(digest[:]), spec.RatePerSec, int64(spec.Burst),
			spec.DailyQuota, formatSubnets(spec.Subnets), created)
		if s.d.isUnique(err) {
			// Another replica created the name between our check and insert.
			return fmt.Errorf("%w: an active key is named %q", ErrExists, spec.Name)
		}
		return err
	})
	if err != nil {
		return Key{}, "", fmt.Errorf("store: create key: %w", err)
	}
	return Key{ID: id, KeySpec: spec, CreatedAt: time.Unix(0, created).UTC()}, token, nil
}

// ListKeys implements Store.
func (s *sqlStore) ListKeys(ctx context.Context) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+keyColumns+" FROM api_keys ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	var keys []Key
	for rows.Next() {
		k, _, err := scanKey(rows, false)
		if err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return keys, nil
}

// RevokeKey implements Store. An ID match wins over a name match: IDs are
// unique over all keys, names only over active ones.
func (s *sqlStore) RevokeKey(ctx context.Context, nameOrID string) error {
	now := time.Now().UnixNano()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, col := range []string{"id", "name"} {
			// col is one of the two constants above; the values are bound
			res, err := tx.ExecContext(ctx,
				"UPDATE api_keys SET revoked_at = $1 WHERE "+col+" = $2 AND revoked_at = 0", now, nameOrID) //nolint:gosec // see above
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n > 0 {
				return err
			}
		}
		var revoked int64
		err := tx.QueryRowContext(ctx, "SELECT revoked_at FROM api_keys WHERE id = $1", nameOrID).Scan(&revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%w: no key with ID or active name %q", ErrNotFound, nameOrID)
		case err != nil:
			return err
		}
		return fmt.Errorf("%w: key %s was revoked at %s", ErrRevoked, nameOrID, time.Unix(0, revoked).UTC().Format(time.RFC3339))
	})
	if err != nil {
		return fmt.Errorf("store: revoke key: %w", err)
	}
	return nil
}

// LookupKey implements Store. Whether a key is revoked is told only to a
// caller who holds its secret.
func (s *sqlStore) LookupKey(ctx context.Context, token string) (Key, error) {
	id, secret, err := ParseToken(token)
	if err != nil {
		return Key{}, err
	}
	row := s.db.QueryRowContext(ctx, "SELECT "+keyColumns+", secret_sha256 FROM api_keys WHERE id = $1", id)
	k, digest, err := scanKey(row, true)
	if errors.Is(err, sql.ErrNoRows) {
		_ = digestMatches(secret, zeroDigest)
		return Key{}, fmt.Errorf("store: %w: no key %s", ErrNotFound, id)
	}
	if err != nil {
		return Key{}, fmt.Errorf("store: look up key %s: %w", id, err)
	}
	if !digestMatches(secret, digest) {
		return Key{}, fmt.Errorf("store: %w: no key %s with that secret", ErrNotFound, id)
	}
	if !k.Active() {
		return Key{}, fmt.Errorf("store: %w: key %s", ErrRevoked, id)
	}
	return k, nil
}

// AddUsage implements Store.
func (s *sqlStore) AddUsage(ctx context.Context, u Usage) (int64, error) {
	if err := validUsage(u); err != nil {
		return 0, fmt.Errorf("store: add usage: %w", err)
	}
	var total int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, s.d.lockKey, u.KeyID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: no key %s", ErrNotFound, u.KeyID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage_daily (key_id, day, netuid, requests, errors)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (key_id, day, netuid) DO UPDATE SET
    requests = usage_daily.requests + excluded.requests,
    errors = usage_daily.errors + excluded.errors`,
			u.KeyID, u.Day, int64(u.Netuid), u.Requests, u.Errors); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx,
			"SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) FROM usage_daily WHERE key_id = $1 AND day = $2",
			u.KeyID, u.Day).Scan(&total)
	})
	if err != nil {
		return 0, fmt.Errorf("store: add usage: %w", err)
	}
	return total, nil
}

// UsageOf implements Store.
func (s *sqlStore) UsageOf(ctx context.Context, keyID, fromDay, toDay string) ([]Usage, error) {
	for _, d := range []string{fromDay, toDay} {
		if d != "" {
			if err := validDay(d); err != nil {
				return nil, fmt.Errorf("store: usage: %w", err)
			}
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, netuid, day, requests, errors FROM usage_daily
WHERE ($1 = '' OR key_id = $1) AND ($2 = '' OR day >= $2) AND ($3 = '' OR day <= $3)
ORDER BY day, key_id, netuid`, keyID, fromDay, toDay)
	if err != nil {
		return nil, fmt.Errorf("store: usage: %w", err)
	}
	defer rows.Close()
	var out []Usage
	for rows.Next() {
		var u Usage
		var netuid int64
		if err := rows.Scan(&u.KeyID, &netuid, &u.Day, &u.Requests, &u.Errors); err != nil {
			return nil, fmt.Errorf("store: usage: %w", err)
		}
		u.Netuid = uint32(netuid)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: usage: %w", err)
	}
	return out, nil
}

// PutEpoch implements Store. ON CONFLICT DO NOTHING makes the check and the
// insert one statement, so replicas recording the same epoch at once store
// it once and exactly one of them is told it inserted.
func (s *sqlStore) PutEpoch(ctx context.Context, rec EpochRecord) (bool, error) {
	if err := rec.Validate(); err != nil {
		return false, fmt.Errorf("store: put epoch: %w", err)
	}
	// The body is bound as a string: SQLite would store []byte as a BLOB in
	// the TEXT column.
	res, err := s.db.ExecContext(ctx, `INSERT INTO epochs (netuid, height, epoch, recorded_at, body)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (netuid, height) DO NOTHING`,
		int64(rec.Netuid), rec.Height, int64(rec.Epoch), time.Now().UnixNano(), string(rec.Body))
	if err != nil {
		return false, fmt.Errorf("store: put epoch %d at height %d of subnet %d: %w", rec.Epoch, rec.Height, rec.Netuid, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: put epoch %d at height %d of subnet %d: %w", rec.Epoch, rec.Height, rec.Netuid, err)
	}
	return n > 0, nil
}

// Epochs implements Store. It reads the newest rows first, which the
// primary key's index serves, and reverses them.
func (s *sqlStore) Epochs(ctx context.Context, netuid uint32, before int64, limit int) ([]EpochRecord, error) {
	if limit <= 0 || limit > MaxEpochsLimit {
		return nil, fmt.Errorf("store: epochs: %w: limit %d is not in 1..%d", ErrInvalid, limit, MaxEpochsLimit)
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.db.QueryContext(ctx, `SELECT height, epoch, recorded_at, body FROM epochs
WHERE netuid = $1 AND height < $2
ORDER BY height DESC LIMIT $3`, int64(netuid), before, int64(limit))
	if err != nil {
		return nil, fmt.Errorf("store: epochs of subnet %d: %w", netuid, err)
	}
	defer rows.Close()
	var out []EpochRecord
	for rows.Next() {
		rec := EpochRecord{Netuid: netuid}
		var epoch, recorded int64
		if err := rows.Scan(&rec.Height, &epoch, &recorded, &rec.Body); err != nil {
			return nil, fmt.Errorf("store: epochs of subnet %d: %w", netuid, err)
		}
		rec.Epoch = uint64(epoch)
		rec.RecordedAt = time.Unix(0, recorded).UTC()
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: epochs of subnet %d: %w", netuid, err)
	}
	slices.Reverse(out)
	return out, nil
}

// LastEpoch implements Store.
func (s *sqlStore) LastEpoch(ctx context.Context, netuid uint32) (int64, uint64, error) {
	var height, epoch int64
	err := s.db.QueryRowContext(ctx,
		"SELECT height, epoch FROM epochs WHERE netuid = $1 ORDER BY height DESC LIMIT 1",
		int64(netuid)).Scan(&height, &epoch)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, 0, fmt.Errorf("store: last epoch: %w: no epoch of subnet %d", ErrNotFound, netuid)
	case err != nil:
		return 0, 0, fmt.Errorf("store: last epoch of subnet %d: %w", netuid, err)
	}
	return height, uint64(epoch), nil
}

// Close implements Store.
func (s *sqlStore) Close() error { return s.db.Close() }

// inTx runs fn in a transaction, committing when it returns nil.
func (s *sqlStore) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// scanner is the part of *sql.Row and *sql.Rows that scanKey uses.
type scanner interface{ Scan(dest ...any) error }

// scanKey reads keyColumns, and secret_sha256 after them when withDigest.
func scanKey(r scanner, withDigest bool) (Key, string, error) {
	var (
		k                Key
		burst            int64
		subnets, digest  string
		created, revoked int64
	)
	dest := []any{&k.ID, &k.Name, &k.RatePerSec, &burst, &k.DailyQuota, &subnets, &created, &revoked}
	if withDigest {
		dest = append(dest, &digest)
	}
	if err := r.Scan(dest...); err != nil {
		return Key{}, "", err
	}
	k.Burst = int(burst)
	sn, err := parseSubnets(subnets)
	if err != nil {
		return Key{}, "", fmt.Errorf("key %s: %w", k.ID, err)
	}
	k.Subnets = sn
	k.CreatedAt = time.Unix(0, created).UTC()
	if revoked != 0 {
		k.RevokedAt = time.Unix(0, revoked).UTC()
	}
	return k, digest, nil
}

func validUsage(u Usage) error {
	switch {
	case u.KeyID == "":
		return fmt.Errorf("%w: empty key ID", ErrInvalid)
	case u.Requests < 0 || u.Errors < 0:
		return fmt.Errorf("%w: negative counts (requests %d, errors %d)", ErrInvalid, u.Requests, u.Errors)
	}
	return validDay(u.Day)
}

// validDay accepts exactly the strings DayLayout formats, so that days
// compare correctly as text.
func validDay(day string) error {
	t, err := time.Parse(DayLayout, day)
	if err != nil || t.Format(DayLayout) != day {
		return fmt.Errorf("%w: day %q is not YYYY-MM-DD", ErrInvalid, day)
	}
	return nil
}

// normalizeSubnets sorts and deduplicates; nil for none, so that "all
// subnets" has one representation.
func normalizeSubnets(in []uint32) []uint32 {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

func formatSubnets(sn []uint32) string {
	parts := make([]string, len(sn))
	for i, n := range sn {
		parts[i] = strconv.FormatUint(uint64(n), 10)
	}
	return strings.Join(parts, ",")
}

func parseSubnets(s string) ([]uint32, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]uint32, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("stored subnets %q: %w", s, err)
		}
		out[i] = uint32(n)
	}
	return out, nil
}
