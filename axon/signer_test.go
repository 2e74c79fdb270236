package axon

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

func newTestKeyring(t *testing.T) keyring.Keyring {
	t.Helper()
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	return keyring.NewInMemory(codec.NewProtoCodec(reg))
}

func TestAddressFromPubKey(t *testing.T) {
	priv := secp256k1.GenPrivKeyFromSecret([]byte("addr"))
	want, err := sdk.Bech32ifyAddressBytes("tensor", sdk.AccAddress(priv.PubKey().Address()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pubkey  []byte
		want    string
		wantErr bool
	}{
		{"compressed key", priv.PubKey().Bytes(), want, false},
		{"empty", nil, "", true},
		{"uncompressed length", make([]byte, 65), "", true},
		{"one byte short", priv.PubKey().Bytes()[:32], "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AddressFromPubKey(tc.pubkey)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("AddressFromPubKey = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestHotkeyCache: the cache answers exactly what AddressFromPubKey does,
// before and after it fills up and starts over, and refuses bad lengths.
func TestHotkeyCache(t *testing.T) {
	c := hotkeyCache{m: make(map[[secp256k1.PubKeySize]byte]string)}
	check := func(pub []byte) {
		t.Helper()
		want, wantErr := AddressFromPubKey(pub)
		for range 2 { // computed, then cached
			got, err := c.address(pub)
			if got != want || (err != nil) != (wantErr != nil) {
				t.Fatalf("address(%x) = %q, %v; want %q, %v", pub, got, err, want, wantErr)
			}
		}
	}
	first := testSigner(t, "first").PubKey()
	check(first)
	check(nil)
	check(first[:32])
	for i := range hotkeyCacheSize + 10 {
		pub := bytes.Clone(first)
		pub[1], pub[2] = byte(i), byte(i>>8)
		check(pub)
	}
	if len(c.m) > hotkeyCacheSize {
		t.Fatalf("cache holds %d keys, the bound is %d", len(c.m), hotkeyCacheSize)
	}
	check(first)
}

func TestKeySigner(t *testing.T) {
	s := testSigner(t, "signer")
	if !strings.HasPrefix(s.Address(), "tensor1") {
		t.Fatalf("address %q lacks the tensor prefix", s.Address())
	}
	msg := []byte("message")
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	pk := &secp256k1.PubKey{Key: s.PubKey()}
	if len(sig) != SignatureSize || !pk.VerifySignature(msg, sig) {
		t.Fatalf("signature of %d bytes does not verify with PubKey.VerifySignature", len(sig))
	}
	if _, err := NewKeySigner(&secp256k1.PrivKey{Key: []byte{1, 2}}); err == nil {
		t.Fatal("NewKeySigner accepted a 2-byte key")
	}
}

func TestKeyringSigner(t *testing.T) {
	kr := newTestKeyring(t)
	rec, _, err := kr.NewMnemonic("hot", keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.SaveOfflineKey("offline", pub); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.SaveOfflineKey("ed", ed25519.GenPrivKey().PubKey()); err != nil {
		t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	wantAddr, err := sdk.Bech32ifyAddressBytes("tensor", addr)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		uid        string
		wantNewErr bool
		wantSigErr error
	}{
		{"local key signs with the cached private key", "hot", false, nil},
		{"offline key signs through the keyring and fails", "offline", false, keyring.ErrOfflineSign},
		{"unknown key", "missing", true, nil},
		{"ed25519 key", "ed", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewKeyringSigner(kr, tc.uid)
			if tc.wantNewErr {
				if err == nil {
					t.Fatal("NewKeyringSigner accepted the key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Address() != wantAddr || !bytes.Equal(s.PubKey(), pub.Bytes()) {
				t.Fatalf("signer is %s, want %s", s.Address(), wantAddr)
			}
			msg := []byte("receipt")
			sig, err := s.Sign(msg)
			if tc.wantSigErr != nil {
				if !errors.Is(err, tc.wantSigErr) {
					t.Fatalf("Sign error = %v, want %v", err, tc.wantSigErr)
				}
				return
			}
			if err != nil || !verifySignature(s.PubKey(), msg, sig) {
				t.Fatalf("signature does not verify (err %v)", err)
			}
		})
	}
}

// TestSignersKeepKeysOutOfLogs logs signers through slog and checks that no
// key material appears.
func TestSignersKeepKeysOutOfLogs(t *testing.T) {
	priv := secp256k1.GenPrivKeyFromSecret([]byte("secret"))
	s, err := NewKeySigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("signer", "signer", s)
	out := buf.String()
	for _, leak := range []string{hex.EncodeToString(priv.Key), base64.StdEncoding.EncodeToString(priv.Key), string(priv.Key)} {
		if strings.Contains(strings.ToLower(out), strings.ToLower(leak)) {
			t.Fatalf("log leaks the private key: %s", out)
		}
	}
	if !strings.Contains(out, `"signer":"`+s.Address()+`"`) {
		t.Fatalf("log does not name the signer by address: %s", out)
	}
}
