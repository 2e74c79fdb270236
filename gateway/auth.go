package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tensorcosm/tensorcosm/gateway/store"
)

// apiError is an error with its HTTP status, sent as {"error": msg}.
type apiError struct {
	status     int
	msg        string
	retryAfter int // seconds, for 429 and 503
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// principal is who a request acts for: an API key, or nobody when
// anonymous access is on.
type principal struct {
	key       store.Key
	anonymous bool
}

// keyCacheMax bounds the looked-up keys kept; past it the cache starts over.
const keyCacheMax = 10000

type cachedKey struct {
	key     store.Key
	err     error
	expires time.Time
}

// authenticator checks API keys and applies their limits.
type authenticator struct {
	store     store.Store
	usage     *usageBuffer // nil: every count written at once
	anonymous bool
	ttl       time.Duration
	now       func() time.Time

	mu       sync.Mutex
	cache    map[[32]byte]cachedKey
	limiters map[string]*rate.Limiter // by key ID
}

func newAuthenticator(s store.Store, anonymous bool, ttl time.Duration, now func() time.Time) *authenticator {
	return &authenticator{store: s, anonymous: anonymous, ttl: ttl, now: now,
		cache: map[[32]byte]cachedKey{}, limiters: map[string]*rate.Limiter{}}
}

// token is the API key of r: Authorization: Bearer <key>, or X-API-Key.
func token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// authenticate finds the request's key: 401 without one (unless anonymous
// access is on) or with an unknown one, 403 for a revoked one.
func (a *authenticator) authenticate(ctx context.Context, r *http.Request) (principal, *apiError) {
	tok := token(r)
	if tok == "" {
		if r.Header.Get("Authorization") != "" {
			return principal{}, errorf(http.StatusUnauthorized, "Authorization header: want \"Bearer <API key>\"")
		}
		if a.anonymous {
			return principal{anonymous: true}, nil
		}
		return principal{}, errorf(http.StatusUnauthorized, "API key required: send Authorization: Bearer <key> or X-API-Key")
	}
	k, err := a.lookup(ctx, tok)
	switch {
	case err == nil:
		return principal{key: k}, nil
	case errors.Is(err, store.ErrRevoked):
		return principal{}, errorf(http.StatusForbidden, "API key revoked")
	case errors.Is(err, store.ErrBadToken), errors.Is(err, store.ErrNotFound):
		return principal{}, errorf(http.StatusUnauthorized, "invalid API key")
	default:
		return principal{}, &apiError{status: http.StatusServiceUnavailable, msg: "key store unavailable", retryAfter: 1}
	}
}

// lookup asks the store, caching answers (good and bad) for ttl; the cache
// is keyed by the token's hash, so it holds no token.
func (a *authenticator) lookup(ctx context.Context, tok string) (store.Key, error) {
	h := sha256.Sum256([]byte(tok))
	now := a.now()
	a.mu.Lock()
	c, ok := a.cache[h]
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.key, c.err
	}
	k, err := a.store.LookupKey(ctx, tok)
	if err != nil && !errors.Is(err, store.ErrRevoked) && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrBadToken) {
		return k, err // the store failed: do not cache
	}
	a.mu.Lock()
	if len(a.cache) >= keyCacheMax {
		a.cache = map[[32]byte]cachedKey{}
	}
	a.cache[h] = cachedKey{key: k, err: err, expires: now.Add(a.ttl)}
	a.mu.Unlock()
	return k, err
}

// admit applies the key's subnet list, rate and daily quota to one request
// on netuid, counting it in the usage table.
func (a *authenticator) admit(ctx context.Context, p principal, netuid uint32) *apiError {
	if p.anonymous {
		return nil
	}
	k := p.key
	if len(k.Subnets) > 0 && !slices.Contains(k.Subnets, netuid) {
		return errorf(http.StatusForbidden, "API key %s is not allowed on subnet %d", k.ID, netuid)
	}
	if k.RatePerSec > 0 {
		lim := a.limiter(k)
		res := lim.ReserveN(a.now(), 1)
		if d := res.DelayFrom(a.now()); !res.OK() || d > 0 {
			res.CancelAt(a.now())
			secs := int(math.Ceil(d.Seconds()))
			if !res.OK() || secs < 1 {
				secs = 1
			}
			return &apiError{status: http.StatusTooManyRequests, retryAfter: secs,
				msg: fmt.Sprintf("rate limit of API key %s: %g requests/s, burst %d", k.ID, k.RatePerSec, k.Burst)}
		}
	}
	now := a.now().UTC()
	u := store.Usage{KeyID: k.ID, Netuid: netuid, Day: now.Format(time.DateOnly), Requests: 1}
	if k.DailyQuota <= 0 && a.usage != nil {
		a.usage.add(u) // decides nothing: written with the next flush
		return nil
	}
	total, err := a.store.AddUsage(ctx, u)
	if err != nil {
		return &apiError{status: http.StatusServiceUnavailable, msg: "usage store unavailable", retryAfter: 1}
	}
	if k.DailyQuota > 0 && total > k.DailyQuota {
		midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
		return &apiError{status: http.StatusTooManyRequests, retryAfter: max(1, int(math.Ceil(midnight.Sub(now).Seconds()))),
			msg: fmt.Sprintf("daily quota of API key %s used: %d requests per UTC day", k.ID, k.DailyQuota)}
	}
	return nil
}

// limiter is the key's token bucket, rebuilt when its limits change.
func (a *authenticator) limiter(k store.Key) *rate.Limiter {
	a.mu.Lock()
	defer a.mu.Unlock()
	burst := max(k.Burst, 1)
	l, ok := a.limiters[k.ID]
	if !ok || l.Limit() != rate.Limit(k.RatePerSec) || l.Burst() != burst {
		l = rate.NewLimiter(rate.Limit(k.RatePerSec), burst)
		if len(a.limiters) >= keyCacheMax {
			a.limiters = map[string]*rate.Limiter{}
		}
		a.limiters[k.ID] = l
	}
	return l
}

// failed records a request that was admitted but failed on the network's
// side (5xx), so usage shows errors.
func (a *authenticator) failed(ctx context.Context, p principal, netuid uint32) {
	if p.anonymous {
		return
	}
	u := store.Usage{KeyID: p.key.ID, Netuid: netuid, Day: a.now().UTC().Format(time.DateOnly), Errors: 1}
	if a.usage != nil {
		a.usage.add(u)
		return
	}
	_, _ = a.store.AddUsage(ctx, u)
}
