package axon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// corruptModel serves a file that does not hash to its commitment.
type corruptModel struct{ *linearModel }

func (m corruptModel) OpenModel() (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("not the committed model")), nil
}

// noFileModel is a Model without ModelOpener.
type noFileModel struct{ m *linearModel }

func (n noFileModel) Info() ModelInfo { return n.m.Info() }
func (n noFileModel) Run(ctx context.Context, in []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	return n.m.Run(ctx, in)
}

func TestModelDownload(t *testing.T) {
	tests := []struct {
		name   string
		model  Model
		cfg    func(*ServerConfig)
		neuron NeuronInfo
		want   codes.Code
	}{
		{"validator downloads the committed file", nil, nil, NeuronInfo{Stake: 1, ValidatorPermit: true}, codes.OK},
		{"caller without a permit", nil, nil, NeuronInfo{Stake: 1}, codes.PermissionDenied},
		{"downloads disabled", nil, func(c *ServerConfig) { c.ServeModelDownload = false }, NeuronInfo{ValidatorPermit: true}, codes.Unimplemented},
		{"model has no file", noFileModel{newLinearModel()}, nil, NeuronInfo{ValidatorPermit: true}, codes.Unimplemented},
		{"file does not match the commitment", corruptModel{newLinearModel()}, nil, NeuronInfo{ValidatorPermit: true}, codes.DataLoss},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.model, tc.cfg)
			f.meta.SetNeuron(testNetuid, f.caller.Address(), tc.neuron)
			var buf bytes.Buffer
			sum, n, err := f.client.DownloadModel(context.Background(), f.target, &buf)
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %s (%v), want %s", got, err, tc.want)
			}
			if tc.want != codes.OK {
				return
			}
			want := newLinearModel()
			if !bytes.Equal(buf.Bytes(), want.file) || n != uint64(len(want.file)) || !bytes.Equal(sum, want.sum[:]) {
				t.Fatalf("downloaded %d bytes with sha256 %x, want %d and %x", n, sum, len(want.file), want.sum)
			}
		})
	}
}

func TestDownloadModelLimit(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.client.opts.MaxModelBytes = 100
	_, _, err := f.client.DownloadModel(context.Background(), f.target, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("DownloadModel over the limit: %v", err)
	}
}

// TestPriorityUnderLoad fills a one-worker, two-slot server with low-stake
// work while the worker is busy, then sends high-stake work: the lowest
// waiting request is shed, a newcomer below everything waiting is shed,
// and the high-stake request runs first once the worker frees up.
func TestPriorityUnderLoad(t *testing.T) {
	model := newBlockingModel()
	f := newFixture(t, model, func(c *ServerConfig) { c.Workers, c.QueueSize = 1, 2 })
	stakes := map[string]uint64{"busy": 50, "low-a": 1, "low-b": 2, "low-c": 1, "high": 100}
	tags := map[string]float32{"busy": 1, "low-a": 2, "low-b": 3, "low-c": 4, "high": 5}
	results := make(map[string]chan error)
	send := func(name string) {
		s := testSigner(t, name)
		f.meta.SetNeuron(testNetuid, s.Address(), NeuronInfo{Stake: stakes[name]})
		c := f.newClient(t, s)
		results[name] = make(chan error, 1)
		go func() {
			_, err := c.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, tags[name])})
			results[name] <- err
		}()
	}
	send("busy")
	recv(t, model.started)
	send("low-a")
	waitFor(t, func() bool { return f.srv.sched.depth() == 1 })
	send("low-b")
	waitFor(t, func() bool { return f.srv.sched.depth() == 2 })
	send("high")
	if err := recv(t, results["low-a"]); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("low-a: %v, want ResourceExhausted (shed for high)", err)
	}
	send("low-c")
	if err := recv(t, results["low-c"]); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("low-c: %v, want ResourceExhausted (newcomer below the queue)", err)
	}
	close(model.release)
	for _, name := range []string{"busy", "high", "low-b"} {
		if err := recv(t, results[name]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got, want := model.runOrder(), []float32{1, 5, 3}; !slices.Equal(got, want) {
		t.Fatalf("model ran tags %v, want %v (busy, high, low-b)", got, want)
	}
	if shed := metricValue(t, f.srv.metrics.shed); shed != 2 {
		t.Fatalf("shed counter %v, want 2", shed)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	model := newBlockingModel()
	f := newFixture(t, model, nil)
	inflight := make(chan error, 1)
	go func() {
		_, err := f.client.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)})
		inflight <- err
	}()
	recv(t, model.started)
	stopped := make(chan error, 1)
	go func() { stopped <- f.srv.Shutdown(context.Background()) }()
	// once new requests are refused the stop is under way
	waitFor(t, func() bool {
		_, err := f.client.Info(context.Background(), f.target)
		return status.Code(err) == codes.Unavailable
	})
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	case err := <-inflight:
		t.Fatalf("in-flight request ended (%v) before the model finished", err)
	default:
	}
	close(model.release)
	if err := recv(t, inflight); err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	if err := recv(t, stopped); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestShutdownTimeoutCutsOff(t *testing.T) {
	model := newBlockingModel()
	f := newFixture(t, model, nil)
	inflight := make(chan error, 1)
	go func() {
		_, err := f.client.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)})
		inflight <- err
	}()
	recv(t, model.started)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := f.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if err := recv(t, inflight); err == nil {
		t.Fatal("cut-off request succeeded")
	}
}

// TestRunOnLoopbackTCP serves TLS (the default) on a real 127.0.0.1 socket
// through Run and stops by cancelling its context.
func TestRunOnLoopbackTCP(t *testing.T) {
	meta := NewStaticMetagraph()
	miner, caller := testSigner(t, "miner"), testSigner(t, "caller")
	meta.SetNeuron(testNetuid, caller.Address(), NeuronInfo{Stake: 1})
	cfg := DefaultServerConfig() // TLS on
	cfg.ListenAddress, cfg.Netuid, cfg.ChainID = "127.0.0.1:0", testNetuid, testChainID
	srv, err := NewServer(cfg, newLinearModel(), meta, miner, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	waitFor(t, func() bool { return srv.Addr() != nil })

	opts := DefaultClientOptions()
	opts.ChainID = testChainID
	c, err := NewClient(caller, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	target := AxonTarget{Hotkey: miner.Address(), Netuid: testNetuid, Address: srv.Addr().String(),
		TLSFingerprint: srv.TLSFingerprint()}
	if !strings.HasPrefix(target.Address, "127.0.0.1:") {
		t.Fatalf("serving on %s, want loopback", target.Address)
	}
	for _, batch := range []int{1, 64} {
		if _, err := c.Infer(ctx, target, []*axonpb.Tensor{digitsInput(batch, 1)}); err != nil {
			t.Fatalf("batch %d over TCP: %v", batch, err)
		}
	}
	if _, err := c.Info(ctx, target); err != nil {
		t.Fatalf("Info over TCP: %v", err)
	}
	cancel()
	if err := recv(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	if _, err := f.client.Infer(ctx, f.target, []*axonpb.Tensor{digitsInput(1, 1)}); err != nil {
		t.Fatal(err)
	}
	_, _ = f.raw.Infer(ctx, &axonpb.InferRequest{})
	m := f.srv.metrics
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"handshake OK", metricValue(t, m.requests.WithLabelValues(MethodHandshake, "OK")), 1},
		{"infer OK", metricValue(t, m.requests.WithLabelValues(MethodInfer, "OK")), 1},
		{"infer Unauthenticated", metricValue(t, m.requests.WithLabelValues(MethodInfer, "Unauthenticated")), 1},
		{"queue empty", metricValue(t, m.queueDepth), 0},
		{"one session", metricValue(t, m.sessions), 1},
		{"model runs", metricValue(t, m.modelRun), 1},
		{"latency observations", metricValue(t, m.latency), 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range families {
		names = append(names, mf.GetName())
	}
	for _, want := range []string{"tensorcosm_axon_requests_total", "tensorcosm_axon_request_duration_seconds",
		"tensorcosm_axon_queue_depth", "tensorcosm_axon_model_run_duration_seconds", "tensorcosm_axon_shed_total"} {
		if !slices.Contains(names, want) {
			t.Errorf("metric %s not registered (have %v)", want, names)
		}
	}
}

func TestServerConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *ServerConfig)
		field  string
	}{
		{"default is valid", func(*ServerConfig) {}, ""},
		{"bad listen address", func(c *ServerConfig) { c.ListenAddress = "nope" }, "listen_address"},
		{"no workers", func(c *ServerConfig) { c.Workers = 0 }, "workers"},
		{"negative queue", func(c *ServerConfig) { c.QueueSize = -1 }, "queue_size"},
		{"no clock skew", func(c *ServerConfig) { c.MaxClockSkew = 0 }, "max_clock_skew"},
		{"huge reorder window", func(c *ServerConfig) { c.SequenceWindow = 1 << 20 }, "sequence_window"},
		{"no chain id", func(c *ServerConfig) { c.ChainID = "" }, "chain_id"},
		{"tls neither on nor off", func(c *ServerConfig) { c.TLS = "yes" }, "tls"},
		{"no session ttl", func(c *ServerConfig) { c.SessionTTL = 0 }, "session_ttl"},
		{"no handshake rate", func(c *ServerConfig) { c.HandshakesPerCallerPerSecond = 0 }, "handshakes_per_caller_per_second"},
		{"no sessions per caller", func(c *ServerConfig) { c.MaxSessionsPerCaller = 0 }, "max_sessions_per_caller"},
		{"chunk above send limit", func(c *ServerConfig) { c.DownloadChunkBytes = c.MaxSendMsgBytes }, "download_chunk_bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultServerConfig()
			c.ChainID = testChainID
			tc.mutate(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestStaticMetagraph(t *testing.T) {
	m := NewStaticMetagraph()
	m.SetNeuron(1, "a", NeuronInfo{UID: 3, Stake: 9})
	m.SetBlockHeight(77)
	if n, ok := m.Neuron(1, "a"); !ok || n.UID != 3 || n.Stake != 9 || m.BlockHeight() != 77 {
		t.Fatalf("Neuron = %+v, %v; height %d", n, ok, m.BlockHeight())
	}
	if _, ok := m.Neuron(2, "a"); ok {
		t.Fatal("neuron visible in another subnet")
	}
	src := map[string]NeuronInfo{"b": {UID: 1}}
	m.ReplaceSubnet(1, src)
	src["c"] = NeuronInfo{}
	if _, ok := m.Neuron(1, "a"); ok {
		t.Fatal("ReplaceSubnet kept an old neuron")
	}
	if _, ok := m.Neuron(1, "c"); ok {
		t.Fatal("ReplaceSubnet did not copy its map")
	}
	m.RemoveNeuron(1, "b")
	if _, ok := m.Neuron(1, "b"); ok {
		t.Fatal("RemoveNeuron left the neuron")
	}
}
