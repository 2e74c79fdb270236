package receiptcheck_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/receiptcheck"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
)

// TestGRPCOnChain runs NewGRPC's Querier against an in-process chain over
// the gRPC connection a gateway would hold.
func TestGRPCOnChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain")
	}
	c := neurontest.StartChain(t, 200*time.Millisecond)
	q := receiptcheck.NewGRPC(c.Client.Conn())

	latest, err := q.LatestHeight(c.Ctx)
	if err != nil || latest < 2 {
		t.Fatalf("latest height %d, %v; want at least 2", latest, err)
	}
	if ok, err := q.HasState(c.Ctx, latest); err != nil || !ok {
		t.Errorf("HasState(%d) = %v, %v; want true", latest, ok, err)
	}
	stranger, err := axon.NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("not-a-neuron")))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := q.ModelAt(c.Ctx, latest, 1, stranger.Address()); !errors.Is(err, receiptcheck.ErrNotNeuron) {
		t.Errorf("ModelAt(unknown hotkey) = %q, %v; want %v", m, err, receiptcheck.ErrNotNeuron)
	}
	future := latest + 1_000_000
	if m, err := q.ModelAt(c.Ctx, future, 1, stranger.Address()); !errors.Is(err, receiptcheck.ErrHeightFuture) {
		t.Errorf("ModelAt(height %d) = %q, %v; want %v", future, m, err, receiptcheck.ErrHeightFuture)
	}
	if ok, err := q.HasState(c.Ctx, future); err == nil || ok {
		t.Errorf("HasState(%d) = %v, %v; want an error", future, ok, err)
	}
}
