package axon

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// Sizes of the handshake's and the headers' fixed-size fields.
const (
	NonceSize     = 32
	SessionIDSize = 16
	X25519KeySize = 32
	MACSize       = sha256.Size
	// TLSBindingSize is the length of the exported keying material that
	// binds a session to its TLS connection.
	TLSBindingSize = 32
	// TLSExporterLabel is the RFC 5705 exporter label of the TLS binding;
	// the context is empty (nil).
	TLSExporterLabel = "EXPORTER-tensorcosm-axon-v2"
)

// sessionKeys are a session's two MAC keys, one per direction.
type sessionKeys struct {
	callerToMiner [32]byte
	minerToCaller [32]byte
}

// NewHandshake builds and signs a HandshakeRequest from signer to target,
// with a fresh nonce and ephemeral X25519 key; it returns the request, the
// ephemeral private key and the signed bytes, which the caller needs to
// check the answer (OpenSession).
func NewHandshake(signer Signer, target AxonTarget, chainID string, now time.Time, expiry time.Time, tlsBinding []byte) (*axonpb.HandshakeRequest, *ecdh.PrivateKey, []byte, error) {
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("axon: ephemeral key: %w", err)
	}
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, nil, fmt.Errorf("axon: nonce: %w", err)
	}
	req := &axonpb.HandshakeRequest{
		CallerHotkey:    signer.Address(),
		CallerPubkey:    signer.PubKey(),
		TargetHotkey:    target.Hotkey,
		Netuid:          target.Netuid,
		ChainId:         chainID,
		Nonce:           nonce,
		TimestampMs:     now.UnixMilli(),
		EphemeralPubkey: eph.PublicKey().Bytes(),
		ExpiryMs:        expiry.UnixMilli(),
	}
	signed := HandshakeSignBytes(req, tlsBinding)
	if req.Signature, err = signer.Sign(signed); err != nil {
		return nil, nil, nil, fmt.Errorf("axon: sign handshake: %w", err)
	}
	return req, eph, signed, nil
}

// checkHandshakeFields checks presence and sizes, the cheapest checks.
func checkHandshakeFields(r *axonpb.HandshakeRequest) error {
	switch {
	case r == nil:
		return errors.New("missing handshake")
	case r.GetCallerHotkey() == "":
		return errors.New("missing caller_hotkey")
	case len(r.GetCallerPubkey()) != 33:
		return fmt.Errorf("caller_pubkey is %d bytes, want 33", len(r.GetCallerPubkey()))
	case len(r.GetNonce()) != NonceSize:
		return fmt.Errorf("nonce is %d bytes, want %d", len(r.GetNonce()), NonceSize)
	case len(r.GetEphemeralPubkey()) != X25519KeySize:
		return fmt.Errorf("ephemeral_pubkey is %d bytes, want %d", len(r.GetEphemeralPubkey()), X25519KeySize)
	case len(r.GetSignature()) != SignatureSize:
		return fmt.Errorf("signature is %d bytes, want %d", len(r.GetSignature()), SignatureSize)
	}
	return nil
}

// handshakeScope is what a handshake must be addressed to.
type handshakeScope struct {
	target  string
	netuid  uint32
	chainID string
}

// checkHandshakeStatic runs the checks that need neither the metagraph nor
// any state: fields, scope, clock, expiry and the caller's key. It is the
// decoder half of the handshake verifier the fuzz target drives.
func checkHandshakeStatic(r *axonpb.HandshakeRequest, scope handshakeScope, now time.Time, skew time.Duration) error {
	if err := checkHandshakeFields(r); err != nil {
		return err
	}
	switch {
	case r.GetTargetHotkey() != scope.target:
		return fmt.Errorf("handshake is for %s, this axon is %s", r.GetTargetHotkey(), scope.target)
	case r.GetNetuid() != scope.netuid:
		return fmt.Errorf("handshake is for netuid %d, this axon serves %d", r.GetNetuid(), scope.netuid)
	case r.GetChainId() != scope.chainID:
		return fmt.Errorf("handshake is for chain %q, this axon serves %q", r.GetChainId(), scope.chainID)
	}
	ts := time.UnixMilli(r.GetTimestampMs())
	if ts.Before(now.Add(-skew)) || ts.After(now.Add(skew)) {
		return fmt.Errorf("%w: timestamp is more than %s from the server clock", errStale, skew)
	}
	if r.GetExpiryMs() <= now.UnixMilli() {
		return errors.New("expiry_ms is not in the future")
	}
	addr, err := hotkeys.address(r.GetCallerPubkey())
	if err != nil {
		return fmt.Errorf("caller_pubkey: %w", err)
	}
	if addr != r.GetCallerHotkey() {
		return errors.New("caller_pubkey does not derive caller_hotkey")
	}
	return nil
}

// deriveKeys runs X25519 and HKDF-SHA256 over the transcript: salt is
// SHA-256(response sign bytes || bytes(miner signature)), info the
// session-keys tag, 64 bytes out (caller-to-miner key, miner-to-caller key).
func deriveKeys(priv *ecdh.PrivateKey, peerPub []byte, responseSignBytes, minerSignature []byte) (sessionKeys, error) {
	pub, err := ecdh.X25519().NewPublicKey(peerPub)
	if err != nil {
		return sessionKeys{}, fmt.Errorf("ephemeral key: %w", err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		return sessionKeys{}, fmt.Errorf("X25519: %w", err)
	}
	var zero [32]byte
	if hmac.Equal(shared, zero[:]) {
		return sessionKeys{}, errors.New("X25519: all-zero shared secret")
	}
	th := sha256.New()
	_, _ = th.Write(responseSignBytes)
	e := encoder{w: th}
	e.bytes(minerSignature)
	okm, err := hkdf.Key(sha256.New, shared, th.Sum(nil), domainSessionKeys, 64)
	if err != nil {
		return sessionKeys{}, fmt.Errorf("HKDF: %w", err)
	}
	var k sessionKeys
	copy(k.callerToMiner[:], okm[:32])
	copy(k.minerToCaller[:], okm[32:])
	return k, nil
}

// mac is HMAC-SHA256 of msg under key.
func mac(key *[32]byte, msg []byte) []byte {
	m := hmac.New(sha256.New, key[:])
	_, _ = m.Write(msg)
	return m.Sum(nil)
}

// macKey is one direction's key with a pool of keyed HMAC states:
// hmac.New hashes the key's pads on every call, Reset restores them.
type macKey struct{ pool sync.Pool }

func newMACKey(key [32]byte) *macKey {
	m := &macKey{}
	m.pool.New = func() any { return hmac.New(sha256.New, key[:]) }
	return m
}

// sum is HMAC-SHA256 of msg.
func (m *macKey) sum(msg []byte) []byte {
	h := m.pool.Get().(hash.Hash)
	h.Reset()
	_, _ = h.Write(msg)
	out := h.Sum(nil)
	m.pool.Put(h)
	return out
}

// check compares the MAC of msg with got in constant time.
func (m *macKey) check(msg, got []byte) bool {
	return len(got) == MACSize && hmac.Equal(m.sum(msg), got)
}

// macPair holds a session's two macKeys, made from its keys on first use.
type macPair struct {
	once     sync.Once
	c2m, m2c *macKey
}

func (p *macPair) get(k *sessionKeys) (c2m, m2c *macKey) {
	p.once.Do(func() { p.c2m, p.m2c = newMACKey(k.callerToMiner), newMACKey(k.minerToCaller) })
	return p.c2m, p.m2c
}

// OpenSession checks a miner's HandshakeResponse to req (signed bytes
// callerSigned, ephemeral key eph) from the miner expected at target and
// derives the session keys. It is the caller's half of the handshake.
func openSession(resp *axonpb.HandshakeResponse, req *axonpb.HandshakeRequest, callerSigned []byte, eph *ecdh.PrivateKey, target string, now time.Time) (sessionKeys, error) {
	switch {
	case len(resp.GetSessionId()) != SessionIDSize:
		return sessionKeys{}, fmt.Errorf("session_id is %d bytes, want %d", len(resp.GetSessionId()), SessionIDSize)
	case resp.GetMinerHotkey() != target:
		return sessionKeys{}, fmt.Errorf("answered by %s, not %s", resp.GetMinerHotkey(), target)
	case len(resp.GetEphemeralPubkey()) != X25519KeySize:
		return sessionKeys{}, fmt.Errorf("ephemeral_pubkey is %d bytes, want %d", len(resp.GetEphemeralPubkey()), X25519KeySize)
	case resp.GetExpiryMs() > req.GetExpiryMs():
		return sessionKeys{}, errors.New("session expiry is later than requested")
	case resp.GetExpiryMs() <= now.UnixMilli():
		return sessionKeys{}, errors.New("session already expired")
	}
	addr, err := hotkeys.address(resp.GetMinerPubkey())
	if err != nil {
		return sessionKeys{}, fmt.Errorf("miner_pubkey: %w", err)
	}
	if addr != resp.GetMinerHotkey() {
		return sessionKeys{}, errors.New("miner_pubkey does not derive miner_hotkey")
	}
	signed := HandshakeResponseSignBytes(callerSigned, req.GetSignature(), resp)
	if !verifySignature(resp.GetMinerPubkey(), signed, resp.GetSignature()) {
		return sessionKeys{}, errors.New("bad miner signature")
	}
	return deriveKeys(eph, resp.GetEphemeralPubkey(), signed, resp.GetSignature())
}
