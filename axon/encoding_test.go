package axon

import (
	"bytes"
	"crypto/ecdh"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// vectorHandshake is the handshake of the README's test vector: fixed keys,
// nonce, clock and X25519 keys.
func vectorHandshake(t *testing.T) (*axonpb.HandshakeRequest, *ecdh.PrivateKey, *ecdh.PrivateKey, *KeySigner, *KeySigner) {
	t.Helper()
	caller, miner := testSigner(t, "caller"), testSigner(t, "miner")
	callerEph, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		t.Fatal(err)
	}
	minerEph, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x22}, 32))
	if err != nil {
		t.Fatal(err)
	}
	req := &axonpb.HandshakeRequest{
		CallerHotkey: caller.Address(), CallerPubkey: caller.PubKey(),
		TargetHotkey: miner.Address(), Netuid: 7, ChainId: "tensorcosm-test-1",
		Nonce: bytes.Repeat([]byte{0x33}, 32), TimestampMs: 1_793_534_400_000,
		EphemeralPubkey: callerEph.PublicKey().Bytes(), ExpiryMs: 1_793_535_000_000,
	}
	return req, callerEph, minerEph, caller, miner
}

// TestLayouts pins the offsets axon/README.md documents.
func TestLayouts(t *testing.T) {
	req, _, _, _, _ := vectorHandshake(t)
	hs := HandshakeSignBytes(req, nil)
	field := func(b []byte, off int) []byte {
		n := binary.BigEndian.Uint64(b[off:])
		return b[off+8 : off+8+int(n)]
	}
	checks := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"tag", field(hs, 0), []byte(domainHandshake)},
		{"caller_hotkey at 36", field(hs, 36), []byte(req.CallerHotkey)},
		{"caller_pubkey at 89", field(hs, 89), req.CallerPubkey},
		{"target_hotkey at 130", field(hs, 130), []byte(req.TargetHotkey)},
		{"netuid at 183", hs[183:187], []byte{0, 0, 0, 7}},
		{"chain_id at 187", field(hs, 187), []byte(req.ChainId)},
		{"nonce at 212", field(hs, 212), req.Nonce},
		{"ephemeral at 260", field(hs, 260), req.EphemeralPubkey},
		{"empty binding at 308", field(hs, 308), nil},
	}
	for _, c := range checks {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: %x, want %x", c.name, c.got, c.want)
		}
	}
	if binary.BigEndian.Uint64(hs[252:]) != uint64(req.TimestampMs) || binary.BigEndian.Uint64(hs[300:]) != uint64(req.ExpiryMs) || len(hs) != 316 {
		t.Errorf("timestamp, expiry or length (%d, want 316) off", len(hs))
	}
	if n := len(HandshakeSignBytes(req, make([]byte, 32))); n != 348 {
		t.Errorf("with a TLS binding: %d bytes, want 348", n)
	}
	h := &axonpb.RequestHeader{SessionId: make([]byte, 16), Sequence: 5, BodySha256: make([]byte, 32)}
	mb := RequestMACBytes(MethodInfer, h)
	if len(mb) != 8+26+8+30+8+16+8+8+32 || binary.BigEndian.Uint64(mb[96:]) != 5 {
		t.Errorf("request MAC bytes %d long, sequence at 96 %d", len(mb), binary.BigEndian.Uint64(mb[96:]))
	}
	if n := len(ResponseMACBytes(make([]byte, 16), 5, make([]byte, 32))); n != 8+27+8+16+8+8+32 {
		t.Errorf("response MAC bytes %d long", n)
	}
}

// TestBodyHashGolden pins the body hash of Info, ModelDownload and Receipts.
func TestBodyHashGolden(t *testing.T) {
	const want = "0d759572923661a1096e28409b4e2a8e525e2e1e4dd20d6a09ade09e4e4be020"
	if got := hex.EncodeToString(BodyHash(nil)); got != want {
		t.Fatalf("BodyHash(nil) = %s, want %s", got, want)
	}
}

// TestSessionKeyVector derives the README's test vector on both sides.
func TestSessionKeyVector(t *testing.T) {
	req, callerEph, minerEph, caller, miner := vectorHandshake(t)
	signed := HandshakeSignBytes(req, nil)
	var err error
	if req.Signature, err = caller.Sign(signed); err != nil {
		t.Fatal(err)
	}
	resp := &axonpb.HandshakeResponse{SessionId: bytes.Repeat([]byte{0x44}, 16), MinerHotkey: miner.Address(),
		MinerPubkey: miner.PubKey(), EphemeralPubkey: minerEph.PublicKey().Bytes(), ExpiryMs: req.ExpiryMs}
	respSigned := HandshakeResponseSignBytes(signed, req.Signature, resp)
	if resp.Signature, err = miner.Sign(respSigned); err != nil {
		t.Fatal(err)
	}
	minerKeys, err := deriveKeys(minerEph, req.EphemeralPubkey, respSigned, resp.Signature)
	if err != nil {
		t.Fatal(err)
	}
	callerKeys, err := openSession(resp, req, signed, callerEph, miner.Address(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if minerKeys != callerKeys {
		t.Fatal("the two sides derived different keys")
	}
	// secp256k1 signatures here are deterministic (RFC 6979), so the
	// transcript and the keys are too
	got := hex.EncodeToString(callerKeys.callerToMiner[:]) + " " + hex.EncodeToString(callerKeys.minerToCaller[:])
	const want = "8dd4a71b38dcc6de383700d824a946f3d7c6c5ad1f6f851c9cd7c78cb1e124c5 fca31ce930ca2ec8e767e0029719ba61c7de2a4a2751eb5e22a5a3b18f67e323"
	if got != want {
		t.Fatalf("session keys %s, want %s", got, want)
	}
}

// TestMACCoversEveryField changes each MACed field: the MAC bytes change.
func TestMACCoversEveryField(t *testing.T) {
	base := &axonpb.RequestHeader{SessionId: make([]byte, 16), Sequence: 1, BodySha256: make([]byte, 32)}
	ref := RequestMACBytes(MethodInfer, base)
	for name, mutate := range map[string]func(h *axonpb.RequestHeader) string{
		"method":     func(*axonpb.RequestHeader) string { return MethodInfo },
		"session_id": func(h *axonpb.RequestHeader) string { h.SessionId[0] = 1; return MethodInfer },
		"sequence":   func(h *axonpb.RequestHeader) string { h.Sequence = 2; return MethodInfer },
		"body":       func(h *axonpb.RequestHeader) string { h.BodySha256[0] = 1; return MethodInfer },
	} {
		h := &axonpb.RequestHeader{SessionId: make([]byte, 16), Sequence: 1, BodySha256: make([]byte, 32)}
		if bytes.Equal(RequestMACBytes(mutate(h), h), ref) {
			t.Errorf("%s is not covered by the request MAC", name)
		}
	}
}
