package miner_test

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/model"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// trainModel trains a small digits MLP, writes it as ONNX and returns its
// path and the held-out set; it also loads the ONNX Runtime library.
func trainModel(t *testing.T) (string, *model.Dataset) {
	t.Helper()
	if err := model.InitRuntime(ortlib.LibraryPath(t)); err != nil {
		t.Fatal(err)
	}
	train, held, err := model.LoadDigitsSplit(ortlib.DigitsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := model.DefaultTrainOptions()
	opts.Epochs, opts.Hidden = 3, 16
	m, err := model.Train(train, held, opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "digits.onnx")
	if err := m.WriteONNX(path); err != nil {
		t.Fatal(err)
	}
	return path, held
}

// newKeyring opens a test-backend keyring in dir with a fresh key for each
// name, and returns the keys' addresses.
func newKeyring(t *testing.T, dir string, names ...string) (keyring.Keyring, []string) {
	t.Helper()
	enc, err := chainclient.NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, dir, nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	addrs := make([]string, len(names))
	for i, name := range names {
		addrs[i] = newKey(t, kr, name)
	}
	return kr, addrs
}

func newKey(t *testing.T, kr keyring.Keyring, name string) string {
	t.Helper()
	rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		t.Fatal(err)
	}
	return sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
}

// testLogger sends the miner's JSON logs to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
