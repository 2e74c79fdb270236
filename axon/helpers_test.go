package axon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// testNetuid is the subnet every test server serves.
const testNetuid = 7

// testNow is the fixed clock of servers whose requests are built by hand
// (and of the fuzz seeds), so nonces in committed inputs never go stale.
var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// testSigner returns a deterministic signer named by seed.
func testSigner(tb testing.TB, seed string) *KeySigner {
	tb.Helper()
	s, err := NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte(seed)))
	if err != nil {
		tb.Fatalf("signer %q: %v", seed, err)
	}
	return s
}

// digitsSpecs are the default subnet's shapes: float32 [N,64] -> [N,10].
func digitsSpecs() (in, out []*axonpb.TensorSpec) {
	in = []*axonpb.TensorSpec{{Name: "input", Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{-1, 64}}}
	out = []*axonpb.TensorSpec{{Name: "probs", Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{-1, 10}}}
	return in, out
}

// linearModel is a deterministic stand-in for an ONNX model: out[n][j] =
// sum_i in[n][i] * w(i, j). It rejects NaN inputs with ErrInvalidInput.
type linearModel struct {
	file []byte // what OpenModel serves
	sum  [32]byte
}

func newLinearModel() *linearModel {
	file := bytes.Repeat([]byte("onnx-model-bytes"), 300)
	return &linearModel{file: file, sum: sha256.Sum256(file)}
}

func (m *linearModel) Info() ModelInfo {
	in, out := digitsSpecs()
	return ModelInfo{SHA256: m.sum, Size: uint64(len(m.file)), TaskKind: "digits", Inputs: in, Outputs: out}
}

func (m *linearModel) Run(_ context.Context, inputs []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	x, err := inputs[0].Float32s()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return []*axonpb.Tensor{linearForward(inputs[0].GetShape()[0], x)}, nil
}

func (m *linearModel) OpenModel() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(m.file)), nil
}

// linearForward computes the linear map for n rows of 64 features.
func linearForward(n int64, x []float32) *axonpb.Tensor {
	out := make([]float32, n*10)
	for r := range n {
		for j := range 10 {
			var acc float32
			for i := range 64 {
				acc += x[r*64+int64(i)] * float32((i*7+j*3)%11-5) / 10
			}
			out[r*10+int64(j)] = acc
		}
	}
	return Float32Tensor("probs", []int64{n, 10}, out)
}

// nanCheckModel wraps linearModel to report NaN inputs as invalid.
type nanCheckModel struct{ *linearModel }

func (m nanCheckModel) Run(ctx context.Context, inputs []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	x, _ := inputs[0].Float32s()
	for _, v := range x {
		if math.IsNaN(float64(v)) {
			return nil, fmt.Errorf("%w: NaN in input", ErrInvalidInput)
		}
	}
	return m.linearModel.Run(ctx, inputs)
}

// blockingModel runs linearModel only once released, and records the tag
// (first input element) of each run in order, so scheduling tests need no
// timing.
type blockingModel struct {
	*linearModel
	started chan float32
	release chan struct{}
	mu      sync.Mutex
	order   []float32
}

func newBlockingModel() *blockingModel {
	return &blockingModel{linearModel: newLinearModel(), started: make(chan float32, 64), release: make(chan struct{})}
}

func (m *blockingModel) Run(ctx context.Context, inputs []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	x, _ := inputs[0].Float32s()
	m.mu.Lock()
	m.order = append(m.order, x[0])
	m.mu.Unlock()
	m.started <- x[0]
	select {
	case <-m.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return m.linearModel.Run(ctx, inputs)
}

func (m *blockingModel) runOrder() []float32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]float32(nil), m.order...)
}

// digitsInput returns a [n,64] input whose first element is tag.
func digitsInput(n int, tag float32) *axonpb.Tensor {
	x := make([]float32, n*64)
	for i := range x {
		x[i] = float32(i%17) / 16
	}
	x[0] = tag
	return Float32Tensor("input", []int64{int64(n), 64}, x)
}

// fixture is a server on bufconn with one registered caller and a client.
type fixture struct {
	srv    *Server
	meta   *StaticMetagraph
	miner  *KeySigner
	caller *KeySigner
	client *Client
	conn   *grpc.ClientConn
	raw    axonpb.AxonClient
	target AxonTarget
	reg    *prometheus.Registry
}

// newFixture starts a server with cfg changed by mod, model (nil:
// linearModel) and opts. The server clock is fixed at testNow unless realClock.
func newFixture(t *testing.T, model Model, mod func(*ServerConfig), opts ...ServerOption) *fixture {
	t.Helper()
	if model == nil {
		model = newLinearModel()
	}
	f := &fixture{meta: NewStaticMetagraph(), miner: testSigner(t, "miner"), caller: testSigner(t, "caller"), reg: prometheus.NewRegistry()}
	f.meta.SetBlockHeight(1234)
	f.meta.SetNeuron(testNetuid, f.caller.Address(), NeuronInfo{UID: 1, Stake: 100, ValidatorPermit: true})
	cfg := DefaultServerConfig()
	cfg.Netuid = testNetuid
	cfg.Workers = 2
	cfg.ServeModelDownload = true
	cfg.DownloadChunkBytes = 1000
	if mod != nil {
		mod(&cfg)
	}
	srv, err := NewServer(cfg, model, f.meta, f.miner, nil, f.reg, opts...)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	srv.now = func() time.Time { return testNow }
	f.srv = srv
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() {
		// a failed test may leave a request blocked in the model: cut it off
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})

	dial := grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })
	f.target = AxonTarget{Hotkey: f.miner.Address(), Netuid: testNetuid, Address: "passthrough:///bufnet"}
	f.client = f.newClient(t, f.caller, dial)
	f.conn, err = grpc.NewClient(f.target.Address, dial, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { f.conn.Close() })
	f.raw = axonpb.NewAxonClient(f.conn)
	return f
}

// newClient returns a client for signer whose nonces follow testNow.
func (f *fixture) newClient(t *testing.T, signer Signer, dial grpc.DialOption) *Client {
	t.Helper()
	opts := DefaultClientOptions()
	opts.DialOptions = []grpc.DialOption{dial}
	c, err := NewClient(signer, opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c.now = func() time.Time { return testNow }
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// signedInfer builds a signed Infer request from signer at nonce.
func signedInfer(tb testing.TB, signer Signer, target AxonTarget, nonce uint64, inputs ...*axonpb.Tensor) *axonpb.InferRequest {
	tb.Helper()
	h, err := NewRequestHeader(signer, MethodInfer, target, BodyHash(inputs), nonce)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return &axonpb.InferRequest{Header: h, Inputs: inputs}
}

// nonceAt returns the nonce for testNow + d.
func nonceAt(d time.Duration) uint64 { return uint64(testNow.Add(d).UnixNano()) }

// recv waits for a value on ch, failing the test instead of hanging when a
// broken implementation never sends one.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received in 10 s")
		panic("unreachable")
	}
}
