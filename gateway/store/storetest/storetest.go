// Package storetest is the conformance suite every store.Store passes: the
// same behaviour on SQLite and PostgreSQL, so the gateway may run on either.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway/store"
)

// Opener returns an open function for Run: the first call for a test makes a
// fresh database with newDSN, later calls for the same test open further
// stores (replicas) on that database. Stores are closed when the test ends.
func Opener(driver string, newDSN func(t *testing.T) string) func(t *testing.T) store.Store {
	var (
		mu   sync.Mutex
		dsns = map[*testing.T]string{}
	)
	return func(t *testing.T) store.Store {
		t.Helper()
		mu.Lock()
		dsn, ok := dsns[t]
		if !ok {
			dsn = newDSN(t)
			dsns[t] = dsn
		}
		mu.Unlock()
		s, err := store.Open(context.Background(), driver, dsn)
		if err != nil {
			t.Fatalf("open %s store: %v", driver, err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close %s store: %v", driver, err)
			}
		})
		return s
	}
}

// Run runs the suite. open(t) must return a store on an empty database of
// t's own; a second call with the same t must return another store on that
// same database, as a second gateway replica would have (see Opener).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Store)
	}{
		{"CreateAndList", testCreateAndList},
		{"CreateInvalid", testCreateInvalid},
		{"DuplicateName", testDuplicateName},
		{"ConcurrentDuplicateName", testConcurrentDuplicateName},
		{"Lookup", testLookup},
		{"LookupBadToken", testLookupBadToken},
		{"LookupTampered", testLookupTampered},
		{"Revoke", testRevoke},
		{"UsageTotals", testUsageTotals},
		{"UsageOf", testUsageOf},
		{"UsageInvalid", testUsageInvalid},
		{"SharedDatabase", testSharedDatabase},
		{"ConcurrentUsage", testConcurrentUsage},
		{"EpochRoundTrip", testEpochRoundTrip},
		{"EpochPutTwice", testEpochPutTwice},
		{"EpochWindows", testEpochWindows},
		{"EpochSubnets", testEpochSubnets},
		{"EpochInvalid", testEpochInvalid},
		{"LastEpochNotFound", testLastEpochNotFound},
		{"ConcurrentEpochs", testConcurrentEpochs},
		{"LargeEpochBody", testLargeEpochBody},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// ctx bounds every call, so a deadlock fails the test instead of hanging it.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustCreate(t *testing.T, s store.Store, spec store.KeySpec) (store.Key, string) {
	t.Helper()
	k, token, err := s.CreateKey(ctx(t), spec)
	if err != nil {
		t.Fatalf("CreateKey(%+v): %v", spec, err)
	}
	return k, token
}

func mustAdd(t *testing.T, s store.Store, u store.Usage) int64 {
	t.Helper()
	total, err := s.AddUsage(ctx(t), u)
	if err != nil {
		t.Fatalf("AddUsage(%+v): %v", u, err)
	}
	return total
}

// sameKey compares keys field by field (times with Equal).
func sameKey(t *testing.T, what string, got, want store.Key) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.RatePerSec != want.RatePerSec ||
		got.Burst != want.Burst || got.DailyQuota != want.DailyQuota ||
		!slices.Equal(got.Subnets, want.Subnets) || (got.Subnets == nil) != (want.Subnets == nil) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.RevokedAt.Equal(want.RevokedAt) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func testCreateAndList(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	keys, err := s.ListKeys(ctx(t))
	if err != nil || len(keys) != 0 {
		t.Fatalf("ListKeys on an empty store = %v, %v; want none", keys, err)
	}
	before := time.Now()
	specs := []store.KeySpec{
		{Name: "alpha", RatePerSec: 2.5, Burst: 5, DailyQuota: 1000, Subnets: []uint32{7, 1, 7, 3}},
		{Name: "beta", RatePerSec: 0, Burst: 0},
		{Name: "gamma with spaces ✓", RatePerSec: 1e6, Burst: 1 << 30, DailyQuota: 1 << 40, Subnets: []uint32{}},
	}
	var created []store.Key
	tokens := map[string]bool{}
	for _, spec := range specs {
		k, token := mustCreate(t, s, spec)
		id, secret, err := store.ParseToken(token)
		if err != nil {
			t.Fatalf("token %q of key %q does not parse: %v", token, spec.Name, err)
		}
		if id != k.ID || len(k.ID) < 8 || !strings.HasPrefix(token, "tcg_"+k.ID+"_") || len(secret) < 64 {
			t.Errorf("token %q does not carry key ID %q and a 32-byte secret", token, k.ID)
		}
		if tokens[token] {
			t.Errorf("token %q returned twice", token)
		}
		tokens[token] = true
		if k.CreatedAt.Before(before.Add(-time.Second)) || k.CreatedAt.After(time.Now().Add(time.Second)) || k.CreatedAt.Location() != time.UTC {
			t.Errorf("key %q CreatedAt %v is not a UTC time of now", k.Name, k.CreatedAt)
		}
		if !k.RevokedAt.IsZero() || !k.Active() {
			t.Errorf("new key %q is revoked at %v", k.Name, k.RevokedAt)
		}
		created = append(created, k)
	}
	// Subnets come back sorted without duplicates, and empty as nil.
	if want := []uint32{1, 3, 7}; !slices.Equal(created[0].Subnets, want) {
		t.Errorf("subnets %v stored as %v, want %v", specs[0].Subnets, created[0].Subnets, want)
	}
	if created[2].Subnets != nil {
		t.Errorf("empty subnets came back as %#v, want nil", created[2].Subnets)
	}
	keys, err = s.ListKeys(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(created) {
		t.Fatalf("ListKeys returned %d keys, want %d", len(keys), len(created))
	}
	for i := range keys {
		sameKey(t, "ListKeys in creation order", keys[i], created[i])
	}
}

func testCreateInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	for name, spec := range map[string]store.KeySpec{
		"empty name":     {Name: ""},
		"long name":      {Name: strings.Repeat("n", 129)},
		"negative rate":  {Name: "a", RatePerSec: -1},
		"NaN rate":       {Name: "a", RatePerSec: nan()},
		"negative burst": {Name: "a", Burst: -1},
		"negative quota": {Name: "a", DailyQuota: -1},
	} {
		_, token, err := s.CreateKey(ctx(t), spec)
		wantErr(t, name, err, store.ErrInvalid)
		if token != "" {
			t.Errorf("%s: a token was returned with the error", name)
		}
	}
	if keys, _ := s.ListKeys(ctx(t)); len(keys) != 0 {
		t.Errorf("invalid specs created keys: %+v", keys)
	}
}

func nan() float64 { var z float64; return z / z }

func testDuplicateName(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	first, _ := mustCreate(t, s, store.KeySpec{Name: "dup"})
	_, token, err := s.CreateKey(ctx(t), store.KeySpec{Name: "dup", Burst: 3})
	wantErr(t, "second active key named dup", err, store.ErrExists)
	if token != "" {
		t.Error("a token was returned with ErrExists")
	}
	if err := s.RevokeKey(ctx(t), "dup"); err != nil {
		t.Fatal(err)
	}
	second, _ := mustCreate(t, s, store.KeySpec{Name: "dup"})
	if second.ID == first.ID {
		t.Fatal("the new key reused the revoked key's ID")
	}
	_, _, err = s.CreateKey(ctx(t), store.KeySpec{Name: "dup"})
	wantErr(t, "third key named dup while the second is active", err, store.ErrExists)
	keys, _ := s.ListKeys(ctx(t))
	if len(keys) != 2 || keys[0].ID != first.ID || keys[0].Active() || keys[1].ID != second.ID || !keys[1].Active() {
		t.Errorf("ListKeys = %+v, want the revoked first key then the active second", keys)
	}
}

// testConcurrentDuplicateName races creations of one name on two stores of
// one database: exactly one wins.
func testConcurrentDuplicateName(t *testing.T, open func(t *testing.T) store.Store) {
	stores := []store.Store{open(t), open(t)}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = stores[i%2].CreateKey(ctx(t), store.KeySpec{Name: "race"})
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrExists):
			t.Errorf("creation %d: %v, want nil or ErrExists", i, err)
		}
	}
	if keys, _ := stores[0].ListKeys(ctx(t)); ok != 1 || len(keys) != 1 {
		t.Errorf("%d creations succeeded and %d keys exist, want exactly 1", ok, len(keys))
	}
}

func testLookup(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, tokenA := mustCreate(t, s, store.KeySpec{Name: "a", RatePerSec: 3, Burst: 4, DailyQuota: 5, Subnets: []uint32{2}})
	b, tokenB := mustCreate(t, s, store.KeySpec{Name: "b"})
	for _, c := range []struct {
		token string
		want  store.Key
	}{{tokenA, a}, {tokenB, b}} {
		got, err := s.LookupKey(ctx(t), c.token)
		if err != nil {
			t.Fatalf("LookupKey(token of %q): %v", c.want.Name, err)
		}
		sameKey(t, "LookupKey", got, c.want)
	}
	// A's ID with B's secret: both parts exist, but not together.
	_, secretB, _ := store.ParseToken(tokenB)
	_, err := s.LookupKey(ctx(t), "tcg_"+a.ID+"_"+secretB)
	wantErr(t, "A's ID with B's secret", err, store.ErrNotFound)
	_, err = s.LookupKey(ctx(t), "tcg_0123456789abcdef_"+secretB)
	wantErr(t, "unknown ID", err, store.ErrNotFound)
}

func testLookupBadToken(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	_, token := mustCreate(t, s, store.KeySpec{Name: "a"})
	id, secret, _ := store.ParseToken(token)
	for name, bad := range map[string]string{
		"empty":              "",
		"no prefix":          id + "_" + secret,
		"other prefix":       "tcx_" + id + "_" + secret,
		"no secret":          "tcg_" + id,
		"empty secret":       "tcg_" + id + "_",
		"empty ID":           "tcg__" + secret,
		"short secret":       "tcg_" + id + "_" + secret[:63],
		"long secret":        "tcg_" + id + "_" + secret + "0",
		"short ID":           "tcg_" + id[:15] + "_" + secret,
		"uppercase secret":   "tcg_" + id + "_" + strings.ToUpper(secret),
		"non-hex secret":     "tcg_" + id + "_" + "g" + secret[1:],
		"extra part":         token + "_00",
		"surrounding spaces": " " + token + " ",
		"bearer included":    "Bearer " + token,
	} {
		_, err := s.LookupKey(ctx(t), bad)
		wantErr(t, name, err, store.ErrBadToken)
	}
}

// testLookupTampered changes one character of the secret at several places,
// the last included: every change must fail.
func testLookupTampered(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	_, token := mustCreate(t, s, store.KeySpec{Name: "a"})
	for _, pos := range []int{len(token) - 64, len(token) - 33, len(token) - 1} {
		b := []byte(token)
		if b[pos] == '0' {
			b[pos] = '1'
		} else {
			b[pos] = '0'
		}
		_, err := s.LookupKey(ctx(t), string(b))
		wantErr(t, fmt.Sprintf("secret changed at byte %d", pos), err, store.ErrNotFound)
	}
	if _, err := s.LookupKey(ctx(t), token); err != nil {
		t.Errorf("the untouched token no longer works: %v", err)
	}
}

func testRevoke(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, tokenA := mustCreate(t, s, store.KeySpec{Name: "a"})
	b, tokenB := mustCreate(t, s, store.KeySpec{Name: "b"})
	before := time.Now()
	if err := s.RevokeKey(ctx(t), "a"); err != nil {
		t.Fatalf("revoke by name: %v", err)
	}
	if err := s.RevokeKey(ctx(t), b.ID); err != nil {
		t.Fatalf("revoke by ID: %v", err)
	}
	for _, c := range []struct{ token, name string }{{tokenA, "a"}, {tokenB, "b"}} {
		_, err := s.LookupKey(ctx(t), c.token)
		wantErr(t, "LookupKey of revoked "+c.name, err, store.ErrRevoked)
		// Without the secret, a revoked key is as unknown as any other.
		id, _, _ := store.ParseToken(c.token)
		_, err = s.LookupKey(ctx(t), "tcg_"+id+"_"+strings.Repeat("0", 64))
		wantErr(t, "wrong secret for revoked "+c.name, err, store.ErrNotFound)
	}
	keys, _ := s.ListKeys(ctx(t))
	if len(keys) != 2 {
		t.Fatalf("ListKeys returned %d keys, want the 2 revoked ones", len(keys))
	}
	for _, k := range keys {
		if k.Active() || k.RevokedAt.Before(before.Add(-time.Second)) || k.RevokedAt.Before(k.CreatedAt) || k.RevokedAt.Location() != time.UTC {
			t.Errorf("key %q RevokedAt = %v, want a UTC time after its creation", k.Name, k.RevokedAt)
		}
	}
	wantErr(t, "revoke a revoked key by ID", s.RevokeKey(ctx(t), a.ID), store.ErrRevoked)
	wantErr(t, "revoke a revoked key by name", s.RevokeKey(ctx(t), "a"), store.ErrNotFound)
	wantErr(t, "revoke an unknown key", s.RevokeKey(ctx(t), "nobody"), store.ErrNotFound)
	wantErr(t, "revoke the empty name", s.RevokeKey(ctx(t), ""), store.ErrNotFound)
}

func testUsageTotals(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, _ := mustCreate(t, s, store.KeySpec{Name: "a"})
	b, _ := mustCreate(t, s, store.KeySpec{Name: "b"})
	const d1, d2 = "2026-12-04", "2026-12-05"
	steps := []struct {
		u    store.Usage
		want int64
	}{
		{store.Usage{KeyID: a.ID, Netuid: 1, Day: d1, Requests: 3}, 3},
		{store.Usage{KeyID: a.ID, Netuid: 2, Day: d1, Requests: 4, Errors: 1}, 7},
		{store.Usage{KeyID: a.ID, Netuid: 1, Day: d1, Requests: 2, Errors: 2}, 9},
		{store.Usage{KeyID: a.ID, Netuid: 1, Day: d2, Requests: 5}, 5},     // a new day starts at 0
		{store.Usage{KeyID: b.ID, Netuid: 1, Day: d1, Requests: 100}, 100}, // other keys do not count
		{store.Usage{KeyID: a.ID, Netuid: 4294967295, Day: d1, Requests: 1}, 10},
		{store.Usage{KeyID: a.ID, Netuid: 2, Day: d1}, 10}, // adding nothing reads the total
		{store.Usage{KeyID: a.ID, Netuid: 2, Day: d1, Errors: 3}, 10},
	}
	for i, st := range steps {
		if got := mustAdd(t, s, st.u); got != st.want {
			t.Errorf("step %d AddUsage(%+v) day total = %d, want %d", i, st.u, got, st.want)
		}
	}
	got, err := s.UsageOf(ctx(t), a.ID, d1, d1)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Usage{
		{KeyID: a.ID, Netuid: 1, Day: d1, Requests: 5, Errors: 2},
		{KeyID: a.ID, Netuid: 2, Day: d1, Requests: 4, Errors: 4},
		{KeyID: a.ID, Netuid: 4294967295, Day: d1, Requests: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("UsageOf(a, %s) =\n %+v\nwant\n %+v", d1, got, want)
	}
}

func testUsageOf(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, _ := mustCreate(t, s, store.KeySpec{Name: "a"})
	b, _ := mustCreate(t, s, store.KeySpec{Name: "b"})
	// Added out of order; UsageOf sorts by day, key ID, netuid.
	rows := []store.Usage{
		{KeyID: b.ID, Netuid: 3, Day: "2026-01-02", Requests: 1},
		{KeyID: a.ID, Netuid: 9, Day: "2026-01-01", Requests: 2},
		{KeyID: a.ID, Netuid: 3, Day: "2026-01-01", Requests: 3, Errors: 1},
		{KeyID: b.ID, Netuid: 3, Day: "2025-12-31", Requests: 4},
		{KeyID: a.ID, Netuid: 3, Day: "2026-01-03", Requests: 5},
		{KeyID: b.ID, Netuid: 1, Day: "2026-01-01", Requests: 6},
	}
	for _, u := range rows {
		mustAdd(t, s, u)
	}
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(x, y store.Usage) int {
		if c := strings.Compare(x.Day, y.Day); c != 0 {
			return c
		}
		if c := strings.Compare(x.KeyID, y.KeyID); c != 0 {
			return c
		}
		return int(x.Netuid) - int(y.Netuid)
	})
	filter := func(key, from, to string) []store.Usage {
		var out []store.Usage
		for _, u := range sorted {
			if (key == "" || u.KeyID == key) && (from == "" || u.Day >= from) && (to == "" || u.Day <= to) {
				out = append(out, u)
			}
		}
		return out
	}
	for _, c := range []struct{ name, key, from, to string }{
		{"everything", "", "", ""},
		{"key a", a.ID, "", ""},
		{"key b, one day", b.ID, "2026-01-01", "2026-01-01"},
		{"all keys, inclusive range", "", "2026-01-01", "2026-01-02"},
		{"from only", "", "2026-01-02", ""},
		{"to only", a.ID, "", "2026-01-01"},
		{"empty range", "", "2026-01-03", "2026-01-01"},
		{"unknown key", "0123456789abcdef", "", ""},
		{"no days in range", "", "2030-01-01", "2030-12-31"},
	} {
		got, err := s.UsageOf(ctx(t), c.key, c.from, c.to)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if want := filter(c.key, c.from, c.to); !slices.Equal(got, want) {
			t.Errorf("%s: UsageOf(%q, %q, %q) =\n %+v\nwant\n %+v", c.name, c.key, c.from, c.to, got, want)
		}
	}
}

func testUsageInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	a, _ := mustCreate(t, s, store.KeySpec{Name: "a"})
	for name, c := range map[string]struct {
		u    store.Usage
		want error
	}{
		"unknown key":       {store.Usage{KeyID: "0123456789abcdef", Day: "2026-01-01", Requests: 1}, store.ErrNotFound},
		"empty key":         {store.Usage{Day: "2026-01-01", Requests: 1}, store.ErrInvalid},
		"empty day":         {store.Usage{KeyID: a.ID, Requests: 1}, store.ErrInvalid},
		"unpadded day":      {store.Usage{KeyID: a.ID, Day: "2026-1-1", Requests: 1}, store.ErrInvalid},
		"impossible day":    {store.Usage{KeyID: a.ID, Day: "2026-02-30", Requests: 1}, store.ErrInvalid},
		"timestamp":         {store.Usage{KeyID: a.ID, Day: "2026-01-01T00:00:00Z", Requests: 1}, store.ErrInvalid},
		"negative requests": {store.Usage{KeyID: a.ID, Day: "2026-01-01", Requests: -1}, store.ErrInvalid},
		"negative errors":   {store.Usage{KeyID: a.ID, Day: "2026-01-01", Errors: -1}, store.ErrInvalid},
	} {
		total, err := s.AddUsage(ctx(t), c.u)
		wantErr(t, name, err, c.want)
		if total != 0 {
			t.Errorf("%s: total %d returned with the error", name, total)
		}
	}
	if rows, _ := s.UsageOf(ctx(t), "", "", ""); len(rows) != 0 {
		t.Errorf("rejected usage was stored: %+v", rows)
	}
	for _, days := range [][2]string{{"2026-1-01", ""}, {"", "yesterday"}} {
		_, err := s.UsageOf(ctx(t), "", days[0], days[1])
		wantErr(t, "UsageOf with days "+days[0]+","+days[1], err, store.ErrInvalid)
	}
}

// testSharedDatabase is two gateway replicas on one database: keys, revocations
// and quota counts made through one are seen by the other.
func testSharedDatabase(t *testing.T, open func(t *testing.T) store.Store) {
	s1, s2 := open(t), open(t)
	k, token := mustCreate(t, s1, store.KeySpec{Name: "shared", DailyQuota: 10})
	got, err := s2.LookupKey(ctx(t), token)
	if err != nil {
		t.Fatalf("the second replica cannot look up a key the first made: %v", err)
	}
	sameKey(t, "LookupKey on the second replica", got, k)
	_, _, err = s2.CreateKey(ctx(t), store.KeySpec{Name: "shared"})
	wantErr(t, "the second replica creates the same name", err, store.ErrExists)
	day := store.Day(time.Now())
	var want int64
	for i := range 6 {
		s := []store.Store{s1, s2}[i%2]
		want += int64(i + 1)
		if got := mustAdd(t, s, store.Usage{KeyID: k.ID, Netuid: uint32(i % 3), Day: day, Requests: int64(i + 1)}); got != want {
			t.Errorf("add %d on replica %d: day total %d, want %d", i, i%2+1, got, want)
		}
	}
	if err := s2.RevokeKey(ctx(t), "shared"); err != nil {
		t.Fatal(err)
	}
	_, err = s1.LookupKey(ctx(t), token)
	wantErr(t, "the first replica after the second revoked", err, store.ErrRevoked)
}

// testConcurrentUsage adds one request at a time from many goroutines over
// two replicas: the final total is exact and every call saw a distinct total,
// so no two requests can both pass the last unit of a quota.
func testConcurrentUsage(t *testing.T, open func(t *testing.T) store.Store) {
	stores := []store.Store{open(t), open(t)}
	k, _ := mustCreate(t, stores[0], store.KeySpec{Name: "busy"})
	const workers, each = 8, 25
	const day = "2026-12-04"
	totals := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			for i := range each {
				total, err := s.AddUsage(ctx(t), store.Usage{KeyID: k.ID, Netuid: uint32((w + i) % 4), Day: day, Requests: 1, Errors: int64(i % 2)})
				if err != nil {
					t.Errorf("worker %d add %d: %v", w, i, err)
					return
				}
				totals <- total
			}
		}()
	}
	wg.Wait()
	close(totals)
	var seen []int64
	for v := range totals {
		seen = append(seen, v)
	}
	slices.Sort(seen)
	for i, v := range seen {
		if v != int64(i+1) {
			t.Fatalf("sorted day totals seen by the callers: %v; want 1..%d, each once", seen, workers*each)
		}
	}
	rows, err := stores[1].UsageOf(ctx(t), k.ID, day, day)
	if err != nil {
		t.Fatal(err)
	}
	var requests, errs int64
	for _, u := range rows {
		requests += u.Requests
		errs += u.Errors
	}
	if requests != workers*each || errs != workers*(each/2) || len(rows) != 4 {
		t.Errorf("stored %d requests, %d errors in %d rows; want %d, %d in 4", requests, errs, len(rows), workers*each, workers*(each/2))
	}
}

// testClosed checks that a closed store returns errors instead of panicking.
func testClosed(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	k, token := mustCreate(t, s, store.KeySpec{Name: "a"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListKeys(ctx(t)); err == nil {
		t.Error("ListKeys on a closed store succeeded")
	}
	if _, err := s.LookupKey(ctx(t), token); err == nil {
		t.Error("LookupKey on a closed store succeeded")
	}
	if _, err := s.AddUsage(ctx(t), store.Usage{KeyID: k.ID, Day: "2026-01-01", Requests: 1}); err == nil {
		t.Error("AddUsage on a closed store succeeded")
	}
	if _, err := s.PutEpoch(ctx(t), epochRec(1, 10, 1)); err == nil {
		t.Error("PutEpoch on a closed store succeeded")
	}
	if _, err := s.Epochs(ctx(t), 1, 0, 10); err == nil {
		t.Error("Epochs on a closed store succeeded")
	}
	if _, _, err := s.LastEpoch(ctx(t), 1); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("LastEpoch on a closed store: %v, want an error other than ErrNotFound", err)
	}
}

// epochRec is an epoch record whose body names its fields.
func epochRec(netuid uint32, height int64, epoch uint64) store.EpochRecord {
	return store.EpochRecord{Netuid: netuid, Height: height, Epoch: epoch,
		Body: []byte(fmt.Sprintf(`{"netuid":%d,"height":%d,"epoch":%d}`, netuid, height, epoch))}
}

func mustPutEpoch(t *testing.T, s store.Store, rec store.EpochRecord) bool {
	t.Helper()
	inserted, err := s.PutEpoch(ctx(t), rec)
	if err != nil {
		t.Fatalf("PutEpoch(netuid %d, height %d): %v", rec.Netuid, rec.Height, err)
	}
	return inserted
}

func mustEpochs(t *testing.T, s store.Store, netuid uint32, before int64, limit int) []store.EpochRecord {
	t.Helper()
	recs, err := s.Epochs(ctx(t), netuid, before, limit)
	if err != nil {
		t.Fatalf("Epochs(%d, %d, %d): %v", netuid, before, limit, err)
	}
	return recs
}

// heights lists the records' heights, for comparing windows.
func heights(recs []store.EpochRecord) []int64 {
	out := make([]int64, len(recs))
	for i, r := range recs {
		out[i] = r.Height
	}
	return out
}

// sameEpoch compares records field by field (RecordedAt with Equal).
func sameEpoch(t *testing.T, what string, got, want store.EpochRecord) {
	t.Helper()
	if got.Netuid != want.Netuid || got.Height != want.Height || got.Epoch != want.Epoch ||
		!got.RecordedAt.Equal(want.RecordedAt) || string(got.Body) != string(want.Body) {
		t.Errorf("%s:\n got {%d %d %d %v %.80q}\nwant {%d %d %d %v %.80q}", what,
			got.Netuid, got.Height, got.Epoch, got.RecordedAt, got.Body,
			want.Netuid, want.Height, want.Epoch, want.RecordedAt, want.Body)
	}
}

// testEpochRoundTrip stores epochs with extreme values and reads every field
// back, on the store that wrote them and on a second replica.
func testEpochRoundTrip(t *testing.T, open func(t *testing.T) store.Store) {
	s1, s2 := open(t), open(t)
	before := time.Now()
	recs := []store.EpochRecord{
		epochRec(4294967295, 1, 0),
		epochRec(4294967295, 1<<62, 1<<63-1),
		{Netuid: 4294967295, Height: 1<<63 - 2, Epoch: 7, Body: []byte(`{"text":"ünïcødé ✓ \u0000 \"quoted\"","n":[1,2,3]}`)},
	}
	for _, rec := range recs {
		rec.RecordedAt = time.Unix(1, 0) // PutEpoch sets its own
		if !mustPutEpoch(t, s1, rec) {
			t.Errorf("first PutEpoch(height %d) returned false", rec.Height)
		}
	}
	after := time.Now()
	for i, s := range []store.Store{s1, s2} {
		got := mustEpochs(t, s, 4294967295, 0, 10)
		if len(got) != len(recs) {
			t.Fatalf("replica %d: Epochs returned %d records, want %d", i+1, len(got), len(recs))
		}
		for j, want := range recs {
			r := got[j].RecordedAt
			if r.Before(before.Add(-time.Second)) || r.After(after.Add(time.Second)) || r.Location() != time.UTC {
				t.Errorf("replica %d: height %d RecordedAt %v is not a UTC time of the put (the caller's value is ignored)", i+1, want.Height, r)
			}
			want.RecordedAt = r
			sameEpoch(t, fmt.Sprintf("replica %d: Epochs[%d]", i+1, j), got[j], want)
		}
		h, e, err := s.LastEpoch(ctx(t), 4294967295)
		if err != nil || h != recs[2].Height || e != recs[2].Epoch {
			t.Errorf("replica %d: LastEpoch = %d, %d, %v; want %d, %d", i+1, h, e, err, recs[2].Height, recs[2].Epoch)
		}
	}
}

// testEpochPutTwice stores one key twice, from the same replica and from
// another: only the first put inserts, and its record is kept.
func testEpochPutTwice(t *testing.T, open func(t *testing.T) store.Store) {
	s1, s2 := open(t), open(t)
	first := epochRec(3, 100, 5)
	if !mustPutEpoch(t, s1, first) {
		t.Fatal("first PutEpoch returned false")
	}
	stored := mustEpochs(t, s1, 3, 0, 1)
	if len(stored) != 1 {
		t.Fatalf("Epochs after one put returned %d records", len(stored))
	}
	for i, s := range []store.Store{s1, s2} {
		again := store.EpochRecord{Netuid: 3, Height: 100, Epoch: 6, Body: []byte(`{"other":true}`)}
		if mustPutEpoch(t, s, again) {
			t.Errorf("second put on replica %d returned true", i+1)
		}
	}
	got := mustEpochs(t, s2, 3, 0, 10)
	if len(got) != 1 {
		t.Fatalf("Epochs after putting one key three times returned %d records, want 1", len(got))
	}
	sameEpoch(t, "the record after putting it again", got[0], stored[0])
	if h, e, err := s2.LastEpoch(ctx(t), 3); err != nil || h != 100 || e != 5 {
		t.Errorf("LastEpoch = %d, %d, %v; want the first put's 100, 5", h, e, err)
	}
}

// testEpochWindows pages through one subnet's epochs, put out of order, with
// before and limit.
func testEpochWindows(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	var all []int64 // heights 10, 20, ... 100
	for i := range 10 {
		all = append(all, int64(10*(i+1)))
	}
	for _, i := range []int{4, 9, 0, 7, 2, 5, 1, 8, 3, 6} {
		mustPutEpoch(t, s, epochRec(1, all[i], uint64(i)))
	}
	// window is the model: the newest limit heights below before, ascending.
	window := func(before int64, limit int) []int64 {
		var out []int64
		for _, h := range all {
			if before <= 0 || h < before {
				out = append(out, h)
			}
		}
		return out[max(0, len(out)-limit):]
	}
	for _, c := range []struct {
		before int64
		limit  int
	}{
		{0, 1}, {0, 3}, {0, 10}, {0, 11}, {0, store.MaxEpochsLimit}, {-5, 2},
		{100, 3}, {101, 3}, {55, 2}, {50, 2}, {51, 100}, {11, 5}, {10, 5}, {1, 5},
		{1 << 62, 4},
	} {
		got := mustEpochs(t, s, 1, c.before, c.limit)
		want := window(c.before, c.limit)
		if !slices.Equal(heights(got), want) {
			t.Errorf("Epochs(1, before %d, limit %d) heights = %v, want %v", c.before, c.limit, heights(got), want)
		}
		for _, rec := range got {
			if wantEpoch := uint64(rec.Height/10 - 1); rec.Netuid != 1 || rec.Epoch != wantEpoch || string(rec.Body) != string(epochRec(1, rec.Height, wantEpoch).Body) {
				t.Errorf("Epochs(1, %d, %d): record at height %d is %+v", c.before, c.limit, rec.Height, rec)
			}
		}
	}
	// Paging backwards from the newest covers every epoch once.
	var paged []int64
	for before := int64(0); ; {
		page := mustEpochs(t, s, 1, before, 3)
		if len(page) == 0 {
			break
		}
		paged = append(heights(page), paged...)
		before = page[0].Height
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paging by 3 read heights %v, want %v", paged, all)
	}
}

// testEpochSubnets keeps subnets apart: the same heights on several netuids
// are distinct epochs, and each subnet reads only its own.
func testEpochSubnets(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	for _, netuid := range []uint32{0, 1, 2} {
		for h := int64(1); h <= 3+int64(netuid); h++ {
			if !mustPutEpoch(t, s, epochRec(netuid, h*100, uint64(h)+10*uint64(netuid))) {
				t.Errorf("PutEpoch(netuid %d, height %d) returned false: another subnet's epoch counted", netuid, h*100)
			}
		}
	}
	for _, netuid := range []uint32{0, 1, 2} {
		got := mustEpochs(t, s, netuid, 0, 100)
		if len(got) != 3+int(netuid) {
			t.Errorf("Epochs(%d) returned %d records, want %d", netuid, len(got), 3+netuid)
		}
		for _, rec := range got {
			if rec.Netuid != netuid || rec.Epoch != uint64(rec.Height/100)+10*uint64(netuid) {
				t.Errorf("Epochs(%d) returned %+v", netuid, rec)
			}
		}
		wantH := int64(3+netuid) * 100
		if h, e, err := s.LastEpoch(ctx(t), netuid); err != nil || h != wantH || e != uint64(wantH/100)+10*uint64(netuid) {
			t.Errorf("LastEpoch(%d) = %d, %d, %v; want height %d", netuid, h, e, err, wantH)
		}
	}
	if got := mustEpochs(t, s, 3, 0, 100); len(got) != 0 {
		t.Errorf("Epochs of a subnet without epochs returned %+v", got)
	}
	_, _, err := s.LastEpoch(ctx(t), 3)
	wantErr(t, "LastEpoch of a subnet without epochs", err, store.ErrNotFound)
}

func testEpochInvalid(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	ok := epochRec(1, 10, 1)
	with := func(f func(*store.EpochRecord)) store.EpochRecord {
		r := ok
		f(&r)
		return r
	}
	for name, rec := range map[string]store.EpochRecord{
		"zero height":      with(func(r *store.EpochRecord) { r.Height = 0 }),
		"negative height":  with(func(r *store.EpochRecord) { r.Height = -10 }),
		"nil body":         with(func(r *store.EpochRecord) { r.Body = nil }),
		"empty body":       with(func(r *store.EpochRecord) { r.Body = []byte{} }),
		"oversized body":   with(func(r *store.EpochRecord) { r.Body = []byte(`"` + strings.Repeat("x", store.MaxEpochBody-1) + `"`) }),
		"invalid UTF-8":    with(func(r *store.EpochRecord) { r.Body = []byte("{\"a\":\"\xff\"}") }),
		"NUL byte":         with(func(r *store.EpochRecord) { r.Body = []byte("{\"a\":\"\x00\"}") }),
		"index over int64": with(func(r *store.EpochRecord) { r.Epoch = 1 << 63 }),
	} {
		inserted, err := s.PutEpoch(ctx(t), rec)
		wantErr(t, "PutEpoch with "+name, err, store.ErrInvalid)
		if inserted {
			t.Errorf("PutEpoch with %s: inserted along with the error", name)
		}
	}
	for _, limit := range []int{0, -1, store.MaxEpochsLimit + 1} {
		recs, err := s.Epochs(ctx(t), 1, 0, limit)
		wantErr(t, fmt.Sprintf("Epochs with limit %d", limit), err, store.ErrInvalid)
		if recs != nil {
			t.Errorf("Epochs with limit %d: records returned with the error", limit)
		}
	}
	if recs := mustEpochs(t, s, 1, 0, store.MaxEpochsLimit); len(recs) != 0 {
		t.Errorf("rejected epochs were stored: %d records", len(recs))
	}
	// The bounds themselves are accepted.
	if !mustPutEpoch(t, s, with(func(r *store.EpochRecord) { r.Height = 1; r.Epoch = 1<<63 - 1 })) {
		t.Error("PutEpoch at height 1 with the largest index returned false")
	}
}

func testLastEpochNotFound(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	h, e, err := s.LastEpoch(ctx(t), 1)
	wantErr(t, "LastEpoch on an empty store", err, store.ErrNotFound)
	if h != 0 || e != 0 {
		t.Errorf("LastEpoch on an empty store returned height %d, epoch %d with the error", h, e)
	}
	if recs := mustEpochs(t, s, 1, 0, 10); len(recs) != 0 {
		t.Errorf("Epochs on an empty store = %+v", recs)
	}
}

// testConcurrentEpochs has several recorders on two replicas put the same
// epochs at once, each with a body of its own: every epoch is inserted by
// exactly one of them, and the stored body is the inserter's.
func testConcurrentEpochs(t *testing.T, open func(t *testing.T) store.Store) {
	stores := []store.Store{open(t), open(t)}
	const workers, epochs = 8, 20
	// inserter[h] lists the workers whose put of height h inserted.
	var (
		mu       sync.Mutex
		inserter = map[int64][]int{}
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%2]
			for i := range epochs {
				h := int64(i + 1)
				rec := store.EpochRecord{Netuid: 5, Height: h, Epoch: uint64(h), Body: []byte(fmt.Sprintf(`{"worker":%d}`, w))}
				inserted, err := s.PutEpoch(ctx(t), rec)
				if err != nil {
					t.Errorf("worker %d put height %d: %v", w, h, err)
					return
				}
				if inserted {
					mu.Lock()
					inserter[h] = append(inserter[h], w)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	got := mustEpochs(t, stores[1], 5, 0, 100)
	if len(got) != epochs {
		t.Fatalf("%d epochs stored, want %d", len(got), epochs)
	}
	for _, rec := range got {
		ws := inserter[rec.Height]
		if len(ws) != 1 {
			t.Errorf("height %d: inserted by workers %v, want exactly one", rec.Height, ws)
			continue
		}
		if want := fmt.Sprintf(`{"worker":%d}`, ws[0]); string(rec.Body) != want {
			t.Errorf("height %d: body %s, want the inserting worker's %s", rec.Height, rec.Body, want)
		}
	}
}

// testLargeEpochBody round-trips a 1 MiB body, multi-byte characters
// included, through a second replica.
func testLargeEpochBody(t *testing.T, open func(t *testing.T) store.Store) {
	s1, s2 := open(t), open(t)
	var b strings.Builder
	b.WriteString(`{"uids":[`)
	for i := 0; b.Len() < 1<<20-64; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"uid":%d,"name":"neuron-%d ✓"}`, i, i)
	}
	b.WriteString(`]}`)
	body := []byte(b.String())
	if len(body) < 1<<20-64 || len(body) > store.MaxEpochBody {
		t.Fatalf("test body is %d bytes", len(body))
	}
	if !mustPutEpoch(t, s1, store.EpochRecord{Netuid: 9, Height: 1234, Epoch: 12, Body: body}) {
		t.Fatal("PutEpoch of a large body returned false")
	}
	got := mustEpochs(t, s2, 9, 0, 1)
	if len(got) != 1 || got[0].Height != 1234 || got[0].Epoch != 12 || !bytes.Equal(got[0].Body, body) {
		var n int
		if len(got) == 1 {
			n = len(got[0].Body)
		}
		t.Errorf("large body came back as %d records, first body %d bytes; want 1 record of %d bytes", len(got), n, len(body))
	}
	// The largest body allowed is stored too.
	largest := []byte(`"` + strings.Repeat("y", store.MaxEpochBody-2) + `"`)
	if !mustPutEpoch(t, s2, store.EpochRecord{Netuid: 9, Height: 1235, Epoch: 13, Body: largest}) {
		t.Fatal("PutEpoch of a MaxEpochBody body returned false")
	}
	if got := mustEpochs(t, s1, 9, 0, 1); len(got) != 1 || !bytes.Equal(got[0].Body, largest) {
		t.Errorf("MaxEpochBody body did not come back intact")
	}
}
