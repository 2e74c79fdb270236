package axon

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// zeroModel is the trivial model of the round-trip benchmarks: digits
// shapes, zero outputs, and its own run time recorded so the benchmark can
// subtract it.
type zeroModel struct {
	*linearModel
	runNanos atomic.Int64
	runs     atomic.Int64
}

func (m *zeroModel) Run(_ context.Context, inputs []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	start := time.Now()
	n := inputs[0].GetShape()[0]
	out := Float32Tensor("probs", []int64{n, 10}, make([]float32, n*10))
	m.runNanos.Add(int64(time.Since(start)))
	m.runs.Add(1)
	return []*axonpb.Tensor{out}, nil
}

// benchServer serves model on a 127.0.0.1 socket with the real clock and
// registers callers.
func benchServer(b *testing.B, model Model, callers []*KeySigner) AxonTarget {
	b.Helper()
	meta := NewStaticMetagraph()
	for _, c := range callers {
		meta.SetNeuron(testNetuid, c.Address(), NeuronInfo{Stake: 1})
	}
	miner := testSigner(b, "miner")
	cfg := DefaultServerConfig()
	cfg.Netuid = testNetuid
	srv, err := NewServer(cfg, model, meta, miner, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return AxonTarget{Hotkey: miner.Address(), Netuid: testNetuid, Address: lis.Addr().String()}
}

func benchClient(b *testing.B, s Signer) *Client {
	b.Helper()
	c, err := NewClient(s, DefaultClientOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// latencies records one duration per request and reports percentiles, and
// the process CPU time per request (client and server together): on a
// shared machine the wall-clock figures move with other work, the CPU time
// much less.
type latencies struct {
	d    []time.Duration
	cpu0 time.Duration
}

// start marks the beginning of the measured requests.
func (l *latencies) start() { l.cpu0 = processCPU() }

func (l *latencies) report(b *testing.B, model *zeroModel) {
	if len(l.d) == 0 {
		return
	}
	if l.cpu0 > 0 {
		b.ReportMetric(float64(processCPU()-l.cpu0)/float64(len(l.d))/1e3, "cpu-us/op")
	}
	slices.Sort(l.d)
	pct := func(p float64) float64 { return float64(l.d[int(p*float64(len(l.d)-1))]) / 1e3 }
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
	if runs := model.runs.Load(); runs > 0 {
		modelUs := float64(model.runNanos.Load()) / float64(runs) / 1e3
		b.ReportMetric(modelUs, "model-us")
		b.ReportMetric(pct(0.50)-modelUs, "overhead-p50-us")
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAxonRoundTrip is one caller's signed Infer over 127.0.0.1 TCP,
// receipt verified, for the digits shapes [N,64] -> [N,10].
func BenchmarkAxonRoundTrip(b *testing.B) {
	benchRoundTrip(b, true)
}

// BenchmarkAxonRoundTripNoReceiptCheck is BenchmarkAxonRoundTrip with the
// client's receipt verification turned off (which no option allows), to
// show what that check costs.
func BenchmarkAxonRoundTripNoReceiptCheck(b *testing.B) {
	benchRoundTrip(b, false)
}

func benchRoundTrip(b *testing.B, checkReceipts bool) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			caller := testSigner(b, "caller")
			model := &zeroModel{linearModel: newLinearModel()}
			target := benchServer(b, model, []*KeySigner{caller})
			c := benchClient(b, caller)
			c.skipReceiptCheck = !checkReceipts
			in := []*axonpb.Tensor{digitsInput(batch, 1)}
			ctx := context.Background()
			if _, err := c.Infer(ctx, target, in); err != nil {
				b.Fatal(err)
			}
			model.runNanos.Store(0)
			model.runs.Store(0)
			lat := latencies{d: make([]time.Duration, 0, b.N)}
			b.ReportAllocs()
			b.ResetTimer()
			lat.start()
			for b.Loop() {
				start := time.Now()
				if _, err := c.Infer(ctx, target, in); err != nil {
					b.Fatal(err)
				}
				lat.d = append(lat.d, time.Since(start))
			}
			b.StopTimer()
			lat.report(b, model)
		})
	}
}

// BenchmarkAxonParallel is 16 callers, each with its own key and
// connection, calling one server at once; it reports requests per second.
func BenchmarkAxonParallel(b *testing.B) {
	const callers = 16
	b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
		signers := make([]*KeySigner, callers)
		for i := range signers {
			signers[i] = testSigner(b, fmt.Sprintf("caller-%d", i))
		}
		model := &zeroModel{linearModel: newLinearModel()}
		target := benchServer(b, model, signers)
		clients := make([]*Client, callers)
		in := []*axonpb.Tensor{digitsInput(1, 1)}
		for i, s := range signers {
			clients[i] = benchClient(b, s)
			if _, err := clients[i].Infer(context.Background(), target, in); err != nil {
				b.Fatal(err)
			}
		}
		var next atomic.Int64
		var mu sync.Mutex
		lat := latencies{d: make([]time.Duration, 0, b.N)}
		b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.ReportAllocs()
		b.ResetTimer()
		lat.start()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			c := clients[int(next.Add(1)-1)%callers]
			var mine []time.Duration
			for pb.Next() {
				t0 := time.Now()
				if _, err := c.Infer(context.Background(), target, in); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat.d = append(lat.d, mine...)
			mu.Unlock()
		})
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
		lat.report(b, &zeroModel{})
	})
}

// echoAxon answers Infer with a fixed output and no checks at all: the
// gRPC and protobuf floor the axon's own overhead sits on.
type echoAxon struct {
	axonpb.UnimplementedAxonServer
	out atomic.Pointer[axonpb.Tensor]
}

func (e *echoAxon) Infer(context.Context, *axonpb.InferRequest) (*axonpb.InferResponse, error) {
	return &axonpb.InferResponse{Outputs: []*axonpb.Tensor{e.out.Load()}}, nil
}

// BenchmarkGRPCBaseline is an unsigned, unchecked Infer over 127.0.0.1 TCP
// with the messages of BenchmarkAxonRoundTrip (digits, batch 1 and 64) and
// of the OCR recognizer in BenchmarkAxonORT (a 184 KB input, a 1 MB output).
func BenchmarkGRPCBaseline(b *testing.B) {
	echo := &echoAxon{}
	gs := grpc.NewServer(grpc.MaxSendMsgSize(16 << 20))
	axonpb.RegisterAxonServer(gs, echo)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	defer gs.Stop()
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	c := axonpb.NewAxonClient(cc)
	cases := []struct {
		name    string
		in, out *axonpb.Tensor
	}{
		{"batch=1", digitsInput(1, 1), Float32Tensor("probs", []int64{1, 10}, make([]float32, 10))},
		{"batch=64", digitsInput(64, 1), Float32Tensor("probs", []int64{64, 10}, make([]float32, 640))},
		{"ocr-rec", Float32Tensor("x", []int64{1, 3, 48, 320}, make([]float32, 3*48*320)),
			Float32Tensor("softmax_11.tmp_0", []int64{1, 40, 6625}, make([]float32, 40*6625))},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			echo.out.Store(tc.out)
			req := &axonpb.InferRequest{Inputs: []*axonpb.Tensor{tc.in}}
			lat := latencies{}
			b.ReportAllocs()
			lat.start()
			for b.Loop() {
				start := time.Now()
				if _, err := c.Infer(context.Background(), req); err != nil {
					b.Fatal(err)
				}
				lat.d = append(lat.d, time.Since(start))
			}
			b.StopTimer()
			lat.report(b, &zeroModel{})
		})
	}
}

func benchHeader(b *testing.B) (*KeySigner, *axonpb.RequestHeader) {
	s := testSigner(b, "caller")
	h, err := NewRequestHeader(s, MethodInfer, AxonTarget{Hotkey: testSigner(b, "miner").Address(), Netuid: testNetuid},
		BodyHash([]*axonpb.Tensor{digitsInput(1, 1)}), nonceAt(0))
	if err != nil {
		b.Fatal(err)
	}
	return s, h
}

// BenchmarkSign is one header signature (SHA-256 + secp256k1 ECDSA).
func BenchmarkSign(b *testing.B) {
	s, h := benchHeader(b)
	msg := HeaderSignBytes(MethodInfer, h)
	for b.Loop() {
		if _, err := s.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is one header signature check as the server runs it
// (public key parsing included).
func BenchmarkVerify(b *testing.B) {
	s, h := benchHeader(b)
	msg := HeaderSignBytes(MethodInfer, h)
	for b.Loop() {
		if !verifySignature(s.PubKey(), msg, h.Signature) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkBodyHash is the canonical body hash of a digits request.
func BenchmarkBodyHash(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			in := []*axonpb.Tensor{digitsInput(batch, 1)}
			b.SetBytes(int64(len(in[0].Data)))
			for b.Loop() {
				_ = BodyHash(in)
			}
		})
	}
}

// BenchmarkAddressFromPubKey is the hotkey derivation every request pays.
func BenchmarkAddressFromPubKey(b *testing.B) {
	s := testSigner(b, "caller")
	for b.Loop() {
		if _, err := AddressFromPubKey(s.PubKey()); err != nil {
			b.Fatal(err)
		}
	}
}
