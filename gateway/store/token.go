package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// Token format: "tcg_" + ID + "_" + secret, both lowercase hex. The ID is
// public (it names the key in lists and logs); the secret is 32 random bytes
// and only its SHA-256 is stored.
const (
	tokenPrefix = "tcg_"
	idBytes     = 8  // 16 hex characters
	secretBytes = 32 // 64 hex characters
)

// TokenPrefix is how every token starts, for scanners that look for leaked
// keys.
const TokenPrefix = tokenPrefix

// newToken returns a fresh ID, its token and the digest to store.
func newToken() (id, token string, digest [sha256.Size]byte, err error) {
	raw := make([]byte, idBytes+secretBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", "", digest, fmt.Errorf("store: random key: %w", err)
	}
	id = hex.EncodeToString(raw[:idBytes])
	secret := hex.EncodeToString(raw[idBytes:])
	return id, tokenPrefix + id + "_" + secret, secretDigest(secret), nil
}

// ParseToken splits a token into its key ID and secret, wrapping ErrBadToken
// when it is not "tcg_<16 hex>_<64 hex>" (lowercase).
func ParseToken(token string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return "", "", fmt.Errorf("%w: no %q prefix", ErrBadToken, tokenPrefix)
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || !isLowerHex(id, 2*idBytes) || !isLowerHex(secret, 2*secretBytes) {
		return "", "", fmt.Errorf("%w: want %s<%d hex digits>_<%d hex digits>", ErrBadToken, tokenPrefix, 2*idBytes, 2*secretBytes)
	}
	return id, secret, nil
}

// KeyIDOf returns the public ID inside a token, for logging which key made a
// request without logging the token; "" when the token is malformed.
func KeyIDOf(token string) string {
	id, _, err := ParseToken(token)
	if err != nil {
		return ""
	}
	return id
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// secretDigest hashes the secret's text: with the format fixed to lowercase
// hex, every distinct accepted secret has a distinct digest.
func secretDigest(secret string) [sha256.Size]byte {
	return sha256.Sum256([]byte(secret))
}

// digestMatches compares a presented secret against the stored hex digest in
// constant time. A malformed stored digest never matches, but still costs a
// comparison, so timing does not tell the two cases apart.
func digestMatches(secret, storedHex string) bool {
	want, err := hex.DecodeString(storedHex)
	got := secretDigest(secret)
	eq := subtle.ConstantTimeCompare(got[:], want) // 0 when lengths differ
	return err == nil && eq == 1
}
