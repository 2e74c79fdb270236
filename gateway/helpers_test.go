package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/task/textline"
	"github.com/tensorcosm/tensorcosm/testutil/network"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	"github.com/tensorcosm/tensorcosm/validator"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// daemon is what start runs.
type daemon interface {
	Run(ctx context.Context) error
}

// running is a started daemon.
type running struct {
	cancel context.CancelFunc
	done   chan error
	ended  atomic.Bool
}

func start(t testing.TB, d daemon) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() { _ = r.stop(t) })
	return r
}

// stop cancels the daemon and returns what Run returned.
func (r *running) stop(t testing.TB) error {
	r.cancel()
	if r.ended.Swap(true) {
		return nil
	}
	select {
	case err := <-r.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s of cancellation")
		return nil
	}
}

func until(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testNet is an in-process chain with the digits subnet (netuid 1) and the
// gateway's hotkey ("gw", paid by "gwcold", in the test keyring at keyDir)
// registered in it, and a trained digits model.
type testNet struct {
	c         *neurontest.Chain
	owner     string
	hp        subnettypes.Hyperparams
	keyDir    string
	kr        keyring.Keyring
	cold, hot string
	modelPath string
	held      *digits.Dataset
}

func newTestNet(t testing.TB, opts ...func(*network.Config)) *testNet {
	t.Helper()
	n := &testNet{c: neurontest.StartChain(t, 300*time.Millisecond, opts...), keyDir: t.TempDir()}
	n.modelPath, n.held = neurontest.TrainModel(t, digits.DefaultTrainOptions())
	n.owner = n.c.Key("owner", 1_000_000_000_000)
	n.hp = subnettypes.DefaultHyperparams()
	n.hp.Tempo, n.hp.MaxRegistrationsPerBlock, n.hp.ServingRateLimit, n.hp.WeightsRateLimit = 10, 8, 1, 5
	n.createSubnet(t, "digits", neurontest.DigitsTask, netuid)
	var addrs []string
	n.kr, addrs = neurontest.NewKeyring(t, n.keyDir, "gwcold", "gw")
	n.cold, n.hot = addrs[0], addrs[1]
	n.c.Fund(n.cold, 100_000_000_000)
	n.c.Fund(n.hot, 1)
	register(t, n.c, n.kr, n.cold, n.hot, netuid)
	return n
}

// createSubnet creates subnet name, which the chain numbers want.
func (n *testNet) createSubnet(t testing.TB, name string, spec subnettypes.TaskSpec, want uint32) {
	t.Helper()
	n.c.Exec([]string{"owner"}, &subnettypes.MsgCreateSubnet{Creator: n.owner, Name: name, Task: spec, Hyperparams: &n.hp})
	if _, err := n.c.Query().Subnet(n.c.Ctx, &subnettypes.QuerySubnetRequest{Netuid: want}); err != nil {
		t.Fatalf("subnet %s is not netuid %d: %v", name, want, err)
	}
}

// minerConfig is a miner daemon's config for a fresh keyring (cold, hot)
// serving modelPath on netuid, on loopback ports; it returns the hotkey.
func minerConfig(t testing.TB, c *neurontest.Chain, modelPath string, netuid uint32) (miner.Config, string) {
	t.Helper()
	dir := t.TempDir()
	_, addrs := neurontest.NewKeyring(t, dir, "cold", "hot")
	c.Fund(addrs[0], 10_000_000_000)
	cfg := miner.DefaultConfig()
	cfg.Chain.GRPCAddress, cfg.Chain.ChainID = c.GRPCAddress(), c.Cfg.ChainID
	cfg.Keyring = miner.KeyringConfig{Backend: "test", Dir: dir, Hotkey: "hot", Coldkey: "cold"}
	cfg.Dev, cfg.StateDir = true, t.TempDir()
	cfg.Netuid, cfg.Register, cfg.MaxBurn = netuid, true, 1_000_000_000
	cfg.Axon.ListenAddress, cfg.MetricsListenAddress = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Axon.Workers, cfg.Axon.ShutdownTimeout = 2, 5*time.Second
	cfg.Model.Path, cfg.Model.IntraOpThreads = modelPath, 1
	cfg.MetagraphRefresh = 300 * time.Millisecond
	return cfg, addrs[1]
}

// startMiner runs a real miner daemon serving modelPath on netuid.
func startMiner(t testing.TB, c *neurontest.Chain, name, modelPath string, netuid uint32) (*miner.Miner, *running) {
	t.Helper()
	cfg, _ := minerConfig(t, c, modelPath, netuid)
	m, err := miner.New(cfg, neurontest.Logger(t).With("daemon", name), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m, start(t, m)
}

// startValidator runs a real validator daemon on netuid: it registers,
// stakes, scores the miners and sets weights, so epochs pay incentive.
func startValidator(t *testing.T, c *neurontest.Chain, netuid uint32) *running {
	t.Helper()
	dir := t.TempDir()
	_, addrs := neurontest.NewKeyring(t, dir, "cold", "hot")
	c.Fund(addrs[0], 100_000_000_000)
	cfg := validator.DefaultConfig()
	cfg.Chain.GRPCAddress, cfg.Chain.ChainID = c.GRPCAddress(), c.Cfg.ChainID
	cfg.Keyring.Dir, cfg.Keyring.Hotkey, cfg.Keyring.Coldkey = dir, "hot", "cold"
	cfg.Keyring.Backend, cfg.Dev = "test", true
	cfg.Netuid, cfg.Register, cfg.MaxBurn, cfg.Stake = netuid, true, 1_000_000_000, 1_000_000_000
	cfg.StateDir = t.TempDir()
	cfg.Tasks = map[string]map[string]any{digits.Kind: {"data_path": ortlib.DigitsPath(t)}}
	cfg.ONNXRuntimeLib = ortlib.LibraryPath(t)
	cfg.SyncBlocks, cfg.StepInterval, cfg.QueryTimeout = 2, 400*time.Millisecond, 2*time.Second
	cfg.Concurrency, cfg.EMAAlpha = 4, 0.3
	cfg.MetricsListenAddress = "127.0.0.1:0"
	v, err := validator.New(cfg, neurontest.Logger(t).With("daemon", "validator"), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return start(t, v)
}

// runner runs a model on inputs.
type runner interface {
	Run(ctx context.Context, in []*axonpb.Tensor) ([]*axonpb.Tensor, error)
}

// liar commits to one model and answers with another: its leaves carry the
// committed hash, so only redundancy catches it.
type liar struct {
	*miner.SessionModel // committed, announced in Info
	b                   runner
}

// slow answers with its model after a delay.
type slow struct {
	m     runner
	delay time.Duration
}

func (s slow) Run(ctx context.Context, in []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.m.Run(ctx, in)
}

func (l *liar) Run(ctx context.Context, in []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	return l.b.Run(ctx, in)
}

func sessionModel(t *testing.T, path string) *miner.SessionModel {
	t.Helper()
	s, err := onnx.LoadSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	sm, err := miner.NewSessionModel(s, path, neurontest.DigitsTask.Kind)
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

// startLiar registers name's hotkey and serves l on an axon that admits
// gatewayHotkey, announcing l's committed model; opts change the axon's
// config.
func startLiar(t *testing.T, c *neurontest.Chain, name string, l *liar, netuid uint32, gatewayHotkey string,
	opts ...func(*axon.ServerConfig)) string {
	t.Helper()
	cold, hot := c.Key(name+"-cold", 10_000_000_000), c.Key(name+"-hot", 1)
	c.Exec([]string{name + "-cold", name + "-hot"}, &subnettypes.MsgRegister{Coldkey: cold, Hotkey: hot, Netuid: netuid,
		MaxBurn: sdkmath.NewInt(1_000_000_000)})
	signer, err := axon.NewKeyringSigner(c.Keyring(), name+"-hot")
	if err != nil {
		t.Fatal(err)
	}
	meta := axon.NewStaticMetagraph()
	meta.SetNeuron(netuid, gatewayHotkey, axon.NeuronInfo{UID: 0, Stake: 1})
	cfg := axon.DefaultServerConfig()
	cfg.ListenAddress, cfg.Netuid, cfg.Workers = "127.0.0.1:0", netuid, 2
	cfg.ChainID = c.Cfg.ChainID
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := axon.NewServer(cfg, l, meta, signer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	p, _ := strconv.Atoi(port)
	info := l.Info()
	res := c.Exec([]string{name + "-hot"}, &subnettypes.MsgServeAxon{Hotkey: hot, Netuid: netuid,
		Axon:  subnettypes.AxonInfo{Host: "127.0.0.1", Port: uint32(p), Protocol: "grpc", TlsFingerprint: srv.TLSFingerprint()},
		Model: subnettypes.ModelCommitment{Sha256: hex.EncodeToString(info.SHA256[:]), Size_: info.Size}})
	// its leaves name the block that holds its commitment, as a miner's do
	meta.SetBlockHeight(res.Height)
	return hot
}

// gatewayConfig is a gateway on loopback ports for the in-process chain,
// signing as the keyring's "gw" hotkey.
func gatewayConfig(c *neurontest.Chain, keyDir string, subnets string) gateway.Config {
	cfg := gateway.DefaultConfig()
	cfg.Chain.GRPCAddress, cfg.Chain.ChainID = c.GRPCAddress(), c.Cfg.ChainID
	cfg.Keyring.Backend, cfg.Keyring.Dir, cfg.Keyring.Hotkey, cfg.Dev = "test", keyDir, "gw", true
	cfg.Subnets = subnets
	cfg.ListenAddress, cfg.MetricsListenAddress = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = keyDir
	cfg.MetagraphInterval = 300 * time.Millisecond
	cfg.KeyCacheTTL = 0
	cfg.Dashboard.RPCAddress, cfg.Dashboard.HistoryInterval = c.Net.Validators[0].RPCAddress, 300*time.Millisecond
	return cfg
}

// startGateway runs a gateway with cfg and waits until it lists miners[m]
// miners for each model m.
func startGateway(t testing.TB, cfg gateway.Config, miners map[string]float64) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(cfg, neurontest.Logger(t).With("daemon", "gateway"), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	start(t, g)
	until(t, fmt.Sprintf("the gateway to see its miners %v", miners), 2*time.Minute, func() bool {
		if g.Addr() == "" {
			return false
		}
		for model, want := range miners {
			x := do(t, g.Addr(), "GET", "/v2/models/"+model, nil, nil)
			if x.status != 200 {
				return false
			}
			if n, _ := decode[oip.ModelMetadata](t, x).Parameters["miners"].(float64); n != want {
				return false
			}
		}
		return true
	})
	return g
}

// exchange is one HTTP request and its response, kept for the OpenAPI
// check.
type exchange struct {
	req     *http.Request
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
}

// do sends method path with body and headers to the gateway.
func do(t testing.TB, addr, method, path string, body []byte, header map[string]string) exchange {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil && header["Content-Type"] == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return exchange{req: req, reqBody: body, status: res.StatusCode, header: res.Header, body: b}
}

func decode[T any](t testing.TB, x exchange) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(x.body, &v); err != nil {
		t.Fatalf("%s %s: %d %s: %v", x.req.Method, x.req.URL.Path, x.status, x.body, err)
	}
	return v
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// textlineSample renders the textline task's challenge line for seed and
// returns it as the task's JSON payload and as the PNG inside it.
func textlineSample(t *testing.T, spec subnettypes.TaskSpec, seed uint64) ([]byte, []byte) {
	t.Helper()
	inst, err := task.Instantiate(spec, task.Env{CacheDir: onnx.CacheDir()})
	must(t, err)
	ch, err := inst.Challenge(rand.New(rand.NewPCG(seed, seed+1)), 1)
	must(t, err)
	js, err := inst.Codec().EncodeJSON(ch.Inputs)
	must(t, err)
	var pl textline.Payload
	must(t, json.Unmarshal(js, &pl))
	img := pl.Image
	if img == "" && len(pl.Images) > 0 {
		img = pl.Images[0]
	}
	png, err := base64.StdEncoding.DecodeString(img)
	must(t, err)
	return js, png
}
