package axon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
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

// testNow is the fixed clock of the fuzz seeds, so timestamps in committed
// inputs never go stale.
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

// testChainID is the chain every test server and client serve.
const testChainID = "tensorcosm-test-1"

// testClock is a server clock tests can move forward.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// fixture is a server on bufconn with one registered caller and a client.
type fixture struct {
	srv    *Server
	meta   *StaticMetagraph
	miner  *KeySigner
	caller *KeySigner
	client *Client
	clock  *testClock
	dial   grpc.DialOption
	conn   *grpc.ClientConn
	raw    axonpb.AxonClient
	target AxonTarget
	reg    *prometheus.Registry
}

// newFixture starts a plaintext server with cfg changed by mod and model
// (nil: linearModel), and a client for the registered caller.
func newFixture(t *testing.T, model Model, mod func(*ServerConfig)) *fixture {
	t.Helper()
	if model == nil {
		model = newLinearModel()
	}
	f := &fixture{meta: NewStaticMetagraph(), miner: testSigner(t, "miner"), caller: testSigner(t, "caller"),
		reg: prometheus.NewRegistry(), clock: &testClock{}}
	f.meta.SetBlockHeight(1234)
	f.meta.SetNeuron(testNetuid, f.caller.Address(), NeuronInfo{UID: 1, Stake: 100, ValidatorPermit: true})
	cfg := testServerConfig()
	if mod != nil {
		mod(&cfg)
	}
	srv, err := NewServer(cfg, model, f.meta, f.miner, nil, f.reg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	srv.now = f.clock.now
	f.srv = srv
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() {
		// a failed test may leave a request blocked in the model: cut it off
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	f.dial = grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) })
	f.target = AxonTarget{Hotkey: f.miner.Address(), Netuid: testNetuid, Address: "passthrough:///bufnet",
		TLSFingerprint: srv.TLSFingerprint()}
	f.client = f.newClient(t, f.caller)
	creds := insecure.NewCredentials()
	if pin := srv.TLSFingerprint(); pin != "" {
		creds = newPinnedCreds(pin)
	}
	f.conn, err = grpc.NewClient(f.target.Address, f.dial, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { f.conn.Close() })
	f.raw = axonpb.NewAxonClient(f.conn)
	return f
}

// testServerConfig is the tests' server config: plaintext, two workers,
// downloads on in small chunks.
func testServerConfig() ServerConfig {
	cfg := DefaultServerConfig()
	cfg.Netuid = testNetuid
	cfg.ChainID = testChainID
	cfg.TLS = TLSOff
	cfg.Workers = 2
	cfg.ServeModelDownload = true
	cfg.DownloadChunkBytes = 1000
	return cfg
}

// newClient returns a client for signer on the fixture's server.
func (f *fixture) newClient(t *testing.T, signer Signer) *Client {
	t.Helper()
	opts := DefaultClientOptions()
	opts.ChainID = testChainID
	opts.DialOptions = []grpc.DialOption{f.dial}
	c, err := NewClient(signer, opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// open runs a handshake for signer over the fixture's raw connection and
// returns the session, for requests built by hand.
func (f *fixture) open(t *testing.T, signer Signer) *clientSession {
	t.Helper()
	s, err := f.tryOpen(signer, f.target)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return s
}

func (f *fixture) tryOpen(signer Signer, target AxonTarget) (*clientSession, error) {
	now := time.Now()
	req, eph, signed, err := NewHandshake(signer, target, testChainID, now, now.Add(10*time.Minute), nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.raw.Handshake(context.Background(), req)
	if err != nil {
		return nil, err
	}
	keys, err := openSession(resp, req, signed, eph, f.miner.Address(), now)
	if err != nil {
		return nil, err
	}
	return &clientSession{id: resp.GetSessionId(), keys: keys, expiry: time.UnixMilli(resp.GetExpiryMs()),
		book: newReceiptBook(target.Hotkey)}, nil
}

// macInfer builds an Infer request in s with sequence seq.
func macInfer(s *clientSession, seq uint64, inputs ...*axonpb.Tensor) *axonpb.InferRequest {
	h := &axonpb.RequestHeader{SessionId: s.id, Sequence: seq, BodySha256: BodyHash(inputs)}
	h.Mac = mac(&s.keys.callerToMiner, RequestMACBytes(MethodInfer, h))
	return &axonpb.InferRequest{Header: h, Inputs: inputs}
}

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
