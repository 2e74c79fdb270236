package miner_test

import (
	"log/slog"
	"testing"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
)

// trainModel trains a small digits MLP, writes it as ONNX and returns its
// path and the held-out set; it also loads the ONNX Runtime library.
func trainModel(t *testing.T) (string, *digits.Dataset) {
	t.Helper()
	opts := digits.DefaultTrainOptions()
	opts.Epochs, opts.Hidden = 3, 16
	return neurontest.TrainModel(t, opts)
}

// newKeyring opens a test-backend keyring in dir with a fresh key for each
// name, and returns the keys' addresses.
func newKeyring(t *testing.T, dir string, names ...string) (keyring.Keyring, []string) {
	t.Helper()
	return neurontest.NewKeyring(t, dir, names...)
}

// testLogger sends the miner's JSON logs to the test log.
func testLogger(t *testing.T) *slog.Logger { return neurontest.Logger(t) }
