package axon_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	ort "github.com/yalue/onnxruntime_go"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// The ORT benchmarks serve real ONNX models the way the miner does
// (onnx.Session behind miner.SessionModel, one intra-op thread, a worker per
// core) and compare a signed round trip over 127.0.0.1 with a bare ONNX
// Runtime Run of the same input (tensors allocated once): the issue's
// definition of the axon's overhead. The models are the digits MLP and the
// PP-OCRv4 text recognizer, which scripts/fetch-ocr-model.sh fetches (10.8
// MB, once) the first time a benchmark needs it; plain `go test` runs no
// benchmark, so it never downloads it.

// ortCase is one model and input.
type ortCase struct {
	name  string
	path  func(b *testing.B) string
	input func() *axonpb.Tensor
	tls   bool
}

func ortCases() []ortCase {
	return []ortCase{
		{"digits/batch=1", digitsModelPath, func() *axonpb.Tensor { return patternTensor(digits.InputName, 1, digits.NumFeatures) }, false},
		{"digits/batch=64", digitsModelPath, func() *axonpb.Tensor { return patternTensor(digits.InputName, 64, digits.NumFeatures) }, false},
		{"ocr-rec/1x3x48x320", ocrModelPath, func() *axonpb.Tensor { return patternTensor("x", 1, 3, 48, 320) }, false},
	}
}

// tlsCases runs each case plaintext ("tls=off/...") and under TLS
// ("tls=on/...").
func tlsCases(cases []ortCase) []ortCase {
	var out []ortCase
	for _, on := range []bool{false, true} {
		for _, c := range cases {
			c.tls = on
			c.name = fmt.Sprintf("tls=%s/%s", map[bool]string{false: "off", true: "on"}[on], c.name)
			out = append(out, c)
		}
	}
	return out
}

// BenchmarkAxonORT is one caller's round trip in a session to a miner serving a
// real model, against the bare ONNX Runtime Run of the same input. Each
// iteration makes one bare Run and one round trip, so that both see the
// same machine load; ns/op covers the pair, the metrics each on its own:
// ort-run-us and p50-us are medians, overhead is their difference.
func BenchmarkAxonORT(b *testing.B) {
	for _, tc := range tlsCases(ortCases()) {
		b.Run(tc.name, func(b *testing.B) {
			path, in := tc.path(b), tc.input()
			bare := newBareRunner(b, path, in)
			m := servedModel(b, path)
			caller := signer(b, "caller")
			target := serve(b, m, []*axon.KeySigner{caller}, tc.tls)
			c := client(b, caller)
			if err := call(c, target, in); err != nil { // connect, warm up
				b.Fatal(err)
			}
			m.reset()
			var rt, ortRun []time.Duration
			for b.Loop() {
				d, err := bare.run()
				if err != nil {
					b.Fatal(err)
				}
				ortRun = append(ortRun, d)
				start := time.Now()
				if err := call(c, target, in); err != nil {
					b.Fatal(err)
				}
				rt = append(rt, time.Since(start))
			}
			b.StopTimer()
			p50, bareP50 := percentile(rt, 0.50), percentile(ortRun, 0.50)
			b.ReportMetric(p50, "p50-us")
			b.ReportMetric(percentile(rt, 0.99), "p99-us")
			b.ReportMetric(bareP50, "ort-run-us")
			b.ReportMetric(m.p50(), "session-run-us")
			b.ReportMetric(p50-bareP50, "overhead-p50-us")
			b.ReportMetric(100*(p50-bareP50)/bareP50, "overhead-%")
		})
	}
}

// BenchmarkAxonORTParallel is 16 callers, each with its own key and
// connection, calling one miner serving a real model at once.
func BenchmarkAxonORTParallel(b *testing.B) {
	const callers = 16
	for _, tc := range tlsCases(ortCases()) {
		b.Run(fmt.Sprintf("%s/callers=%d", tc.name, callers), func(b *testing.B) {
			path, in := tc.path(b), tc.input()
			m := servedModel(b, path)
			signers := make([]*axon.KeySigner, callers)
			for i := range signers {
				signers[i] = signer(b, fmt.Sprintf("caller-%d", i))
			}
			target := serve(b, m, signers, tc.tls)
			clients := make([]*axon.Client, callers)
			for i, s := range signers {
				clients[i] = client(b, s)
				if err := call(clients[i], target, in); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				c := clients[int(next.Add(1)-1)%callers]
				for pb.Next() {
					if err := call(c, target, in); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// timedModel is the miner's SessionModel with its run times recorded.
type timedModel struct {
	*miner.SessionModel
	mu   sync.Mutex
	runs []time.Duration
}

func (m *timedModel) Run(ctx context.Context, in []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	start := time.Now()
	out, err := m.SessionModel.Run(ctx, in)
	d := time.Since(start)
	m.mu.Lock()
	m.runs = append(m.runs, d)
	m.mu.Unlock()
	return out, err
}

func (m *timedModel) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs = nil
}

// p50 is the median SessionModel.Run time since reset.
func (m *timedModel) p50() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.runs) == 0 {
		return 0
	}
	return percentile(m.runs, 0.50)
}

func servedModel(b *testing.B, path string) *timedModel {
	b.Helper()
	s, err := onnx.LoadSession(path, onnx.SessionOptions{Device: onnx.DeviceCPU, IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	sm, err := miner.NewSessionModel(s, path, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return &timedModel{SessionModel: sm}
}

// bareRunner is a bare ONNX Runtime session for in on one intra-op thread,
// with the input and output tensors allocated once (as model's BenchmarkRun).
type bareRunner struct {
	sess  *ort.DynamicAdvancedSession
	input ort.Value
	outs  []ort.Value
}

func newBareRunner(b *testing.B, path string, in *axonpb.Tensor) *bareRunner {
	b.Helper()
	initRuntime(b)
	s, err := onnx.LoadSession(path, onnx.SessionOptions{Device: onnx.DeviceCPU, IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	outName := s.Outputs()[0].Name
	_ = s.Close()
	so, err := ort.NewSessionOptions()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = so.Destroy() }()
	if err := so.SetIntraOpNumThreads(1); err != nil {
		b.Fatal(err)
	}
	r := &bareRunner{outs: []ort.Value{nil}}
	if r.sess, err = ort.NewDynamicAdvancedSession(path, []string{in.GetName()}, []string{outName}, so); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.sess.Destroy() })
	x, err := in.Float32s()
	if err != nil {
		b.Fatal(err)
	}
	if r.input, err = ort.NewTensor(ort.NewShape(in.GetShape()...), x); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.input.Destroy() })
	// the first Run allocates the output; later Runs reuse it
	if _, err := r.run(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.outs[0].Destroy() })
	return r
}

func (r *bareRunner) run() (time.Duration, error) {
	start := time.Now()
	err := r.sess.Run([]ort.Value{r.input}, r.outs)
	return time.Since(start), err
}

func percentile(d []time.Duration, p float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[int(p*float64(len(s)-1))]) / 1e3
}

// initRuntime loads ONNX Runtime, installing it first if needed
// (onnx.InitRuntime does the work once per process).
func initRuntime(b *testing.B) {
	b.Helper()
	if err := onnx.InitRuntime(ortlib.LibraryPath(b)); err != nil {
		b.Fatal(err)
	}
}

var digitsModel struct {
	once sync.Once
	onnx []byte
	err  error
}

// digitsModelPath trains the default digits MLP once per test binary (a
// fraction of a second) and exports it into the benchmark's directory.
func digitsModelPath(b *testing.B) string {
	b.Helper()
	data := ortlib.DigitsPath(b)
	initRuntime(b)
	digitsModel.once.Do(func() {
		train, held, err := digits.LoadDigitsSplit(data)
		if err != nil {
			digitsModel.err = err
			return
		}
		mlp, err := digits.Train(train, held, digits.DefaultTrainOptions())
		if err != nil {
			digitsModel.err = err
			return
		}
		digitsModel.onnx, digitsModel.err = mlp.MarshalONNX()
	})
	if digitsModel.err != nil {
		b.Fatal(digitsModel.err)
	}
	path := filepath.Join(b.TempDir(), "digits.onnx")
	if err := os.WriteFile(path, digitsModel.onnx, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// ocrModelPath runs scripts/fetch-ocr-model.sh, which fetches the PP-OCRv4
// recognizer into the cache when it is missing and prints its path.
func ocrModelPath(b *testing.B) string {
	b.Helper()
	initRuntime(b)
	root, err := ortlib.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, "scripts", "fetch-ocr-model.sh")).Output()
	if err != nil {
		b.Fatalf("scripts/fetch-ocr-model.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// patternTensor is a float32 tensor of the given shape filled with values
// in [-1, 1].
func patternTensor(name string, shape ...int64) *axonpb.Tensor {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.Sin(float64(i) * 0.01))
	}
	return axon.Float32Tensor(name, shape, x)
}

func signer(b *testing.B, seed string) *axon.KeySigner {
	b.Helper()
	s, err := axon.NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte(seed)))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchChainID is the chain id of the benchmarks' miners and clients.
const benchChainID = "tensorcosm-bench"

// serve starts an axon for m on 127.0.0.1 with callers registered,
// plaintext or TLS.
func serve(b *testing.B, m axon.Model, callers []*axon.KeySigner, tls bool) axon.AxonTarget {
	b.Helper()
	const netuid = 1
	meta := axon.NewStaticMetagraph()
	for _, c := range callers {
		meta.SetNeuron(netuid, c.Address(), axon.NeuronInfo{Stake: 1})
	}
	minerKey := signer(b, "miner")
	cfg := axon.DefaultServerConfig()
	cfg.Netuid, cfg.ChainID, cfg.TLS = netuid, benchChainID, axon.TLSOff
	if tls {
		cfg.TLS = axon.TLSOn
	}
	srv, err := axon.NewServer(cfg, m, meta, minerKey, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return axon.AxonTarget{Hotkey: minerKey.Address(), Netuid: netuid, Address: lis.Addr().String(),
		TLSFingerprint: srv.TLSFingerprint()}
}

func client(b *testing.B, s axon.Signer) *axon.Client {
	b.Helper()
	opts := axon.DefaultClientOptions()
	opts.ChainID = benchChainID
	c, err := axon.NewClient(s, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// call makes one Infer and checks that the answer has the model's first
// output with the input's batch size.
func call(c *axon.Client, target axon.AxonTarget, in *axonpb.Tensor) error {
	resp, err := c.Infer(context.Background(), target, []*axonpb.Tensor{in})
	if err != nil {
		return err
	}
	out := resp.GetOutputs()
	if len(out) == 0 || len(out[0].GetShape()) == 0 || out[0].GetShape()[0] != in.GetShape()[0] {
		return fmt.Errorf("outputs have shapes %v, want batch %d", shapes(out), in.GetShape()[0])
	}
	return nil
}

func shapes(ts []*axonpb.Tensor) [][]int64 {
	s := make([][]int64, len(ts))
	for i, t := range ts {
		s[i] = t.GetShape()
	}
	return s
}
