package axon

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// HotkeyPrefix is the bech32 prefix of tensorcosm account addresses. The
// axon encodes with it explicitly instead of reading the SDK's global
// config, which a library must not depend on being set.
const HotkeyPrefix = "tensor"

// SignatureSize is the length of a secp256k1 signature as Cosmos keys make
// it: r || s, 32 bytes each, s in the lower half of the order.
const SignatureSize = 64

// Signer signs axon messages with a hotkey. Sign must behave like
// secp256k1.PrivKey.Sign: SHA-256 of msg, then a 64-byte low-S r || s.
type Signer interface {
	// Address is the bech32 hotkey ("tensor1...") derived from PubKey.
	Address() string
	// PubKey is the 33-byte compressed secp256k1 public key.
	PubKey() []byte
	// Sign signs msg.
	Sign(msg []byte) ([]byte, error)
}

// AddressFromPubKey derives the bech32 hotkey of a compressed secp256k1
// public key the way the chain does: RIPEMD-160(SHA-256(pubkey)) with the
// "tensor" prefix.
func AddressFromPubKey(pubkey []byte) (string, error) {
	if len(pubkey) != secp256k1.PubKeySize {
		return "", fmt.Errorf("public key is %d bytes, want %d", len(pubkey), secp256k1.PubKeySize)
	}
	pk := &secp256k1.PubKey{Key: pubkey}
	addr, err := bech32.ConvertAndEncode(HotkeyPrefix, pk.Address())
	if err != nil {
		return "", fmt.Errorf("encode address: %w", err)
	}
	return addr, nil
}

// hotkeyCacheSize bounds the public keys whose hotkeys are remembered: a
// miner sees a few hundred callers, a client a few hundred miners.
const hotkeyCacheSize = 4096

// hotkeys memoizes AddressFromPubKey, which the server runs on every
// request's caller key and the client on every receipt's miner key.
var hotkeys = hotkeyCache{m: make(map[[secp256k1.PubKeySize]byte]string)}

// hotkeyCache maps compressed public keys to their hotkeys. The derivation
// is a pure function of the key bytes, so a cached answer is exactly what
// AddressFromPubKey would return; the bound keeps a flood of made-up keys
// from growing it (when full it starts over).
type hotkeyCache struct {
	mu sync.RWMutex
	m  map[[secp256k1.PubKeySize]byte]string
}

// address is AddressFromPubKey, cached.
func (c *hotkeyCache) address(pubkey []byte) (string, error) {
	if len(pubkey) != secp256k1.PubKeySize {
		return AddressFromPubKey(pubkey)
	}
	key := [secp256k1.PubKeySize]byte(pubkey)
	c.mu.RLock()
	addr, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return addr, nil
	}
	addr, err := AddressFromPubKey(pubkey)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if len(c.m) >= hotkeyCacheSize {
		clear(c.m)
	}
	c.m[key] = addr
	c.mu.Unlock()
	return addr, nil
}

// verifySignature checks sig over msg against a compressed public key.
func verifySignature(pubkey, msg, sig []byte) bool {
	if len(pubkey) != secp256k1.PubKeySize || len(sig) != SignatureSize {
		return false
	}
	pk := &secp256k1.PubKey{Key: pubkey}
	return pk.VerifySignature(msg, sig)
}

// KeySigner signs with an in-memory secp256k1 private key. Tests use it
// directly; KeyringSigner uses it once it has the key of a local record.
type KeySigner struct {
	priv    *secp256k1.PrivKey
	pubkey  []byte
	address string
}

var _ Signer = (*KeySigner)(nil)

// NewKeySigner wraps a secp256k1 private key.
func NewKeySigner(priv *secp256k1.PrivKey) (*KeySigner, error) {
	if priv == nil || len(priv.Key) != secp256k1.PrivKeySize {
		return nil, errors.New("axon: secp256k1 private key must be 32 bytes")
	}
	pub := priv.PubKey().Bytes()
	addr, err := AddressFromPubKey(pub)
	if err != nil {
		return nil, fmt.Errorf("axon: derive signer address: %w", err)
	}
	return &KeySigner{priv: priv, pubkey: pub, address: addr}, nil
}

// Address implements Signer.
func (s *KeySigner) Address() string { return s.address }

// PubKey implements Signer.
func (s *KeySigner) PubKey() []byte { return s.pubkey }

// Sign implements Signer.
func (s *KeySigner) Sign(msg []byte) ([]byte, error) {
	sig, err := s.priv.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("axon: sign: %w", err)
	}
	return sig, nil
}

// LogValue keeps the private key out of logs: only the address is shown.
func (s *KeySigner) LogValue() slog.Value { return slog.StringValue(s.address) }

// String returns the address, never the key.
func (s *KeySigner) String() string { return s.address }

// KeyringSigner signs with a key held in a Cosmos SDK keyring, the way the
// daemons hold their hotkeys. For a local record the private key is read
// once at construction, because the file backend decrypts on every access
// and the axon signs every response; other records (Ledger) sign through
// the keyring each time.
type KeyringSigner struct {
	kr      keyring.Keyring
	uid     string
	local   *KeySigner
	pubkey  []byte
	address string
}

var _ Signer = (*KeyringSigner)(nil)

// NewKeyringSigner looks up uid in kr; the key must be secp256k1.
func NewKeyringSigner(kr keyring.Keyring, uid string) (*KeyringSigner, error) {
	rec, err := kr.Key(uid)
	if err != nil {
		return nil, fmt.Errorf("axon: keyring key %q: %w", uid, err)
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		return nil, fmt.Errorf("axon: keyring key %q public key: %w", uid, err)
	}
	if _, ok := pub.(*secp256k1.PubKey); !ok {
		return nil, fmt.Errorf("axon: keyring key %q is %s, want secp256k1", uid, pub.Type())
	}
	addr, err := AddressFromPubKey(pub.Bytes())
	if err != nil {
		return nil, fmt.Errorf("axon: keyring key %q: %w", uid, err)
	}
	s := &KeyringSigner{kr: kr, uid: uid, pubkey: pub.Bytes(), address: addr}
	if local := rec.GetLocal(); local != nil && local.PrivKey != nil {
		priv, ok := local.PrivKey.GetCachedValue().(*secp256k1.PrivKey)
		if !ok {
			return nil, fmt.Errorf("axon: keyring key %q: local private key is not secp256k1", uid)
		}
		if s.local, err = NewKeySigner(priv); err != nil {
			return nil, fmt.Errorf("axon: keyring key %q: %w", uid, err)
		}
		if !bytes.Equal(s.local.PubKey(), s.pubkey) {
			return nil, fmt.Errorf("axon: keyring key %q: private key does not match its public key", uid)
		}
	}
	return s, nil
}

// Address implements Signer.
func (s *KeyringSigner) Address() string { return s.address }

// PubKey implements Signer.
func (s *KeyringSigner) PubKey() []byte { return s.pubkey }

// Sign implements Signer.
func (s *KeyringSigner) Sign(msg []byte) ([]byte, error) {
	if s.local != nil {
		return s.local.Sign(msg)
	}
	sig, pub, err := s.kr.Sign(s.uid, msg, signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, fmt.Errorf("axon: keyring sign with %q: %w", s.uid, err)
	}
	if pub == nil || !bytes.Equal(pub.Bytes(), s.pubkey) {
		return nil, fmt.Errorf("axon: keyring key %q changed since the signer was made", s.uid)
	}
	if len(sig) != SignatureSize {
		return nil, fmt.Errorf("axon: keyring key %q made a %d-byte signature, want %d", s.uid, len(sig), SignatureSize)
	}
	return sig, nil
}

// LogValue keeps key material out of logs: only the address is shown.
func (s *KeyringSigner) LogValue() slog.Value { return slog.StringValue(s.address) }

// String returns the address.
func (s *KeyringSigner) String() string { return s.address }
