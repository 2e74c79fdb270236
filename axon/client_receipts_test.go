package axon

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// TestInferWithReceipt gets receipts on the Receipts stream: each verifies
// on its own (VerifyReceipt) and holds the answer's leaf.
func TestInferWithReceipt(t *testing.T) {
	f := newFixture(t, nil, func(c *ServerConfig) { c.Receipts.BatchSize, c.Receipts.BatchInterval = 4, 20*time.Millisecond })
	ctx := context.Background()
	var answers []*Answer
	for i := range 6 {
		a, err := f.client.InferWithReceipt(ctx, f.target, []*axonpb.Tensor{digitsInput(1, float32(i))})
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, a)
	}
	for i, a := range answers {
		r, err := a.Receipt(ctx)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		if err := VerifyReceipt(r); err != nil {
			t.Fatalf("answer %d: receipt does not verify: %v", i, err)
		}
		if r.Root.MinerHotkey != f.miner.Address() || r.Leaf.Sequence != a.Leaf.Sequence || !bytes.Equal(r.Leaf.RequestHash, a.Leaf.RequestHash) {
			t.Fatalf("answer %d: receipt %v for leaf %v", i, r, a.Leaf)
		}
	}
}

// TestReceiptsWithLaterResponse has no Receipts stream (plain Infer): a
// batch signed after an answer comes attached to a later response.
func TestReceiptsWithLaterResponse(t *testing.T) {
	f := newFixture(t, nil, func(c *ServerConfig) { c.Receipts.BatchSize = 1 })
	ctx := context.Background()
	first, err := f.client.Infer(ctx, f.target, []*axonpb.Tensor{digitsInput(1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := f.client.Infer(ctx, f.target, []*axonpb.Tensor{digitsInput(1, 2)})
		if err != nil {
			t.Fatal(err)
		}
		for _, rb := range resp.Batches {
			for _, p := range rb.Proofs {
				if p.Sequence != first.Leaf.Sequence {
					continue
				}
				r, err := NewReceipt(first.Leaf, p, rb.Root)
				if err != nil {
					t.Fatal(err)
				}
				if err := VerifyReceipt(r); err != nil {
					t.Fatalf("receipt from a later response: %v", err)
				}
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no later response carried the first answer's batch")
}

// TestShutdownDeliversLastReceipts stops the server while a leaf waits for
// its root (a long batch interval): the root is signed at the stop and
// reaches the waiting answer on its stream before the stream ends.
func TestShutdownDeliversLastReceipts(t *testing.T) {
	f := newFixture(t, nil, func(c *ServerConfig) { c.Receipts.BatchInterval = time.Minute })
	ctx := context.Background()
	a, err := f.client.InferWithReceipt(ctx, f.target, []*axonpb.Tensor{digitsInput(1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return metricValue(t, f.srv.metrics.requests.WithLabelValues(MethodInfer, "OK")) == 1 })
	time.Sleep(50 * time.Millisecond) // the stream subscribes
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(stopCtx); err != nil {
		t.Fatalf("Shutdown waited on the Receipts stream: %v", err)
	}
	r, err := a.Receipt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyReceipt(r); err != nil {
		t.Fatal(err)
	}
}

// TestReceiptWaitIsBounded waits for a receipt that cannot come in time.
func TestReceiptWaitIsBounded(t *testing.T) {
	f := newFixture(t, nil, func(c *ServerConfig) { c.Receipts.BatchInterval = time.Minute })
	a, err := f.client.InferWithReceipt(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := a.Receipt(ctx); !errors.Is(err, ErrNoReceipt) {
		t.Fatalf("Receipt = %v, want ErrNoReceipt after the deadline", err)
	}
}
