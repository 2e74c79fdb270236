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

// benchServer serves model on a 127.0.0.1 socket with the real clock,
// plaintext or TLS, and registers callers; handshakes are not limited.
func benchServer(b *testing.B, model Model, callers []*KeySigner, tls bool) AxonTarget {
	b.Helper()
	meta := NewStaticMetagraph()
	for _, c := range callers {
		meta.SetNeuron(testNetuid, c.Address(), NeuronInfo{Stake: 1})
	}
	miner := testSigner(b, "miner")
	cfg := DefaultServerConfig()
	cfg.Netuid, cfg.ChainID, cfg.TLS = testNetuid, testChainID, TLSOff
	if tls {
		cfg.TLS = TLSOn
	}
	cfg.HandshakesPerCallerPerSecond, cfg.HandshakeBurst = 1e9, 1<<30
	cfg.MaxSessionsPerCaller, cfg.MaxSessions, cfg.MaxHandshakeNonces = 1<<22, 1<<22, 1<<22
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
	return AxonTarget{Hotkey: miner.Address(), Netuid: testNetuid, Address: lis.Addr().String(), TLSFingerprint: srv.TLSFingerprint()}
}

func benchClient(b *testing.B, s Signer) *Client {
	b.Helper()
	opts := DefaultClientOptions()
	opts.ChainID = testChainID
	c, err := NewClient(s, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// transports are the two ways a miner serves.
var transports = []struct {
	name string
	tls  bool
}{{"tls=off", false}, {"tls=on", true}}

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

// BenchmarkAxonRoundTrip is one caller's Infer in a session over
// 127.0.0.1 TCP, plaintext and TLS, leaf and MAC checked, for the digits
// shapes [N,64] -> [N,10]; the receipt batcher runs with its defaults.
func BenchmarkAxonRoundTrip(b *testing.B) {
	benchRoundTrip(b, true)
}

// BenchmarkAxonRoundTripNoResponseCheck is BenchmarkAxonRoundTrip with the
// client's response check turned off (which no option allows), to show
// what that check costs.
func BenchmarkAxonRoundTripNoResponseCheck(b *testing.B) {
	benchRoundTrip(b, false)
}

func benchRoundTrip(b *testing.B, check bool) {
	for _, tr := range transports {
		for _, batch := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", tr.name, batch), func(b *testing.B) {
				caller := testSigner(b, "caller")
				model := &zeroModel{linearModel: newLinearModel()}
				target := benchServer(b, model, []*KeySigner{caller}, tr.tls)
				c := benchClient(b, caller)
				c.skipResponseCheck = !check
				in := []*axonpb.Tensor{digitsInput(batch, 1)}
				ctx := context.Background()
				if _, err := c.Infer(ctx, target, in); err != nil { // connect, open the session
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
}

// BenchmarkHandshake is one session opened over an open connection:
// the caller's signature, the miner's checks, signature and X25519, the
// caller's check of the answer and key derivation, plaintext and TLS.
func BenchmarkHandshake(b *testing.B) {
	for _, tr := range transports {
		b.Run(tr.name, func(b *testing.B) {
			caller := testSigner(b, "caller")
			target := benchServer(b, &zeroModel{linearModel: newLinearModel()}, []*KeySigner{caller}, tr.tls)
			c := benchClient(b, caller)
			pc, _, err := c.conn(target)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := c.handshake(ctx, target, pc); err != nil { // connect
				b.Fatal(err)
			}
			lat := latencies{}
			b.ReportAllocs()
			lat.start()
			for b.Loop() {
				start := time.Now()
				if _, err := c.handshake(ctx, target, pc); err != nil {
					b.Fatal(err)
				}
				lat.d = append(lat.d, time.Since(start))
			}
			b.StopTimer()
			lat.report(b, &zeroModel{})
		})
	}
}

// BenchmarkAxonParallel is 16 callers, each with its own key, connection
// and session, calling one server at once, plaintext and TLS; it reports
// requests per second.
func BenchmarkAxonParallel(b *testing.B) {
	for _, tr := range transports {
		benchParallel(b, tr.name, tr.tls)
	}
}

func benchParallel(b *testing.B, name string, tls bool) {
	const callers = 16
	b.Run(fmt.Sprintf("%s/callers=%d", name, callers), func(b *testing.B) {
		signers := make([]*KeySigner, callers)
		for i := range signers {
			signers[i] = testSigner(b, fmt.Sprintf("caller-%d", i))
		}
		model := &zeroModel{linearModel: newLinearModel()}
		target := benchServer(b, model, signers, tls)
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

func benchHandshake(b *testing.B) (*KeySigner, *axonpb.HandshakeRequest, []byte) {
	s := testSigner(b, "caller")
	req, _, signed, err := NewHandshake(s, AxonTarget{Hotkey: testSigner(b, "miner").Address(), Netuid: testNetuid},
		testChainID, testNow, testNow.Add(time.Minute), nil)
	if err != nil {
		b.Fatal(err)
	}
	return s, req, signed
}

// BenchmarkSign is one handshake signature (SHA-256 + secp256k1 ECDSA).
func BenchmarkSign(b *testing.B) {
	s, _, msg := benchHandshake(b)
	for b.Loop() {
		if _, err := s.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is one handshake signature check as the server runs it
// (public key parsing included).
func BenchmarkVerify(b *testing.B) {
	s, req, msg := benchHandshake(b)
	for b.Loop() {
		if !verifySignature(s.PubKey(), msg, req.Signature) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkRequestMAC is what a request's authentication costs each side
// apart from the body hash: the client builds the MAC bytes and the MAC,
// the server builds them again and compares.
func BenchmarkRequestMAC(b *testing.B) {
	s := &clientSession{id: make([]byte, SessionIDSize)}
	bodyHash := BodyHash([]*axonpb.Tensor{digitsInput(1, 1)})
	b.ReportAllocs()
	for b.Loop() {
		h, _ := header(s, MethodInfer, bodyHash)
		if c2m, _ := s.macs.get(&s.keys); !c2m.check(RequestMACBytes(MethodInfer, h), h.Mac) {
			b.Fatal("MAC does not verify")
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
