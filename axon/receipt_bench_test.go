package axon

import (
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// BenchmarkReceiptLeafHash is the leaf hash the server computes once per
// answer (Add returns it for the response MAC).
func BenchmarkReceiptLeafHash(b *testing.B) {
	l := testLeaf(1)
	b.ReportAllocs()
	for b.Loop() {
		ReceiptLeafHash(l)
	}
}

// BenchmarkBatcherAdd is the request path's receipt cost: one Add, with
// 16 sessions adding at once and the default batch size. Full batches go
// to a goroutine that drops them, so the figure is Add alone; signing
// is BenchmarkBatcherSignRoot.
func BenchmarkBatcherAdd(b *testing.B) {
	bt, err := newBatcher(DefaultBatcherConfig(), receiptSigner(b, "miner"), 1, nil, nil, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		defer close(bt.done)
		for range bt.cut {
		}
	}()
	defer bt.Close()
	benchmarkAdd(b, bt)
}

// BenchmarkBatcherAddAndSign is Add with the real signing goroutine
// running beside it: everything a miner spends on receipts per answer,
// on and off the request path, when the CPUs are shared.
func BenchmarkBatcherAddAndSign(b *testing.B) {
	bt, err := NewBatcher(DefaultBatcherConfig(), receiptSigner(b, "miner"), 1, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer bt.Close()
	benchmarkAdd(b, bt)
}

func benchmarkAdd(b *testing.B, bt *Batcher) {
	leaves := make([]*axonpb.ReceiptLeaf, 16)
	for i := range leaves {
		leaves[i] = testLeaf(1)
		leaves[i].SessionId = testSessionID(byte(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l := leaves[i%len(leaves)]
		if _, err := bt.Add(l); err != nil {
			b.Fatal(err)
		}
		if i%256 == 0 {
			bt.TakePending(l.GetSessionId())
		}
		i++
	}
}

// BenchmarkBatcherSignRoot is the signing goroutine's cost per root at
// the default batch size: the tree and all 64 paths, one secp256k1
// signature, per-session grouping (16 sessions) and delivery. ns/leaf is
// the share of each answer.
func BenchmarkBatcherSignRoot(b *testing.B) {
	cfg := DefaultBatcherConfig()
	bt, err := NewBatcher(cfg, receiptSigner(b, "miner"), 1, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer bt.Close()
	leaves := make([]pendingLeaf, cfg.BatchSize)
	for i := range leaves {
		l := testLeaf(uint64(i + 1))
		l.SessionId = testSessionID(byte(i % 16))
		leaves[i] = pendingLeaf{hash: ReceiptLeafHash(l), session: sessionRef(l.SessionId), sequence: uint64(i + 1)}
		bt.mu.Lock()
		bt.queueLocked(leaves[i].session).unsigned += 1 << 40
		bt.mu.Unlock()
	}
	b.ReportAllocs()
	n := uint64(0)
	for b.Loop() {
		n++
		bt.sign(cutBatch{number: n, leaves: leaves})
		if n%32 == 0 {
			for s := range 16 {
				bt.TakePending(testSessionID(byte(s)))
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(cfg.BatchSize), "ns/leaf")
}

// BenchmarkVerifyReceipt is a receipt holder's check (no chain query).
func BenchmarkVerifyReceipt(b *testing.B) {
	r := signedReceipts(b, receiptSigner(b, "miner"), 64)[37]
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyReceipt(r); err != nil {
			b.Fatal(err)
		}
	}
}
