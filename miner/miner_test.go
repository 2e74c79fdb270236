package miner_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

var digitsTask = neurontest.DigitsTask

// chain is an in-process network and a client signing with the validator's
// keyring.
type chain struct {
	*neurontest.Chain
}

func startChain(t *testing.T) *chain {
	return &chain{neurontest.StartChain(t, 300*time.Millisecond)}
}

func (c *chain) minerConfig(keyDir, modelPath string, netuid uint32) miner.Config {
	cfg := miner.DefaultConfig()
	cfg.Chain.GRPCAddress, cfg.Chain.ChainID = c.GRPCAddress(), c.Cfg.ChainID
	cfg.Keyring = miner.KeyringConfig{Backend: "test", Dir: keyDir, Hotkey: "hot", Coldkey: "cold"}
	cfg.Dev, cfg.StateDir = true, c.T.TempDir()
	cfg.Netuid, cfg.Register, cfg.MaxBurn = netuid, true, 1_000_000_000
	cfg.Axon.ListenAddress, cfg.MetricsListenAddress = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Axon.Workers, cfg.Axon.ShutdownTimeout = 2, 10*time.Second
	cfg.Model.Path, cfg.Model.ONNXRuntimeLib, cfg.Model.IntraOpThreads = modelPath, ortlib.LibraryPath(c.T), 1
	cfg.MetagraphRefresh = 300 * time.Millisecond
	return cfg
}

// running is a miner started in the background.
type running struct {
	m      *miner.Miner
	cancel context.CancelFunc
	done   chan error
}

func startMiner(t *testing.T, cfg miner.Config, reg *prometheus.Registry) *running {
	t.Helper()
	m, err := miner.New(cfg, testLogger(t), reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the miner and returns what Run returned.
func (r *running) stop(t *testing.T) error {
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of cancellation")
		return nil
	}
}

// waitServed waits until the chain holds the miner's axon and model, or Run fails.
func (c *chain) waitServed(r *running, netuid uint32, sum string) subnettypes.Neuron {
	c.T.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			close(r.done)
			c.T.Fatalf("Run returned early: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		addr := r.m.AxonAddr()
		n, err := c.Neuron(netuid, r.m.Hotkey())
		if err != nil || addr == "" || n.Axon == nil || n.Model == nil {
			continue
		}
		_, port, _ := net.SplitHostPort(addr)
		if strconv.Itoa(int(n.Axon.Port)) == port && n.Axon.Host == "127.0.0.1" && n.Model.Sha256 == sum {
			return n
		}
	}
	c.T.Fatal("the miner's axon never appeared in the metagraph")
	return subnettypes.Neuron{}
}

// TestMinerOnNetwork runs the miner against an in-process chain: it
// registers its hotkey (funding the hotkey account first), announces its
// axon and model, answers a signed Infer from another registered neuron
// with a verifiable receipt, and stops cleanly. A restart with the same
// address announces nothing and refuses a request captured before it, a
// second miner on the same state_dir is refused, and misconfigured miners
// fail at startup.
func TestMinerOnNetwork(t *testing.T) {
	c := startChain(t)
	path, held := trainModel(t)
	sum, size, err := onnx.Hash(path)
	if err != nil {
		t.Fatal(err)
	}
	owner := c.Key("owner", 1_000_000_000_000)
	c.Exec([]string{"owner"}, &subnettypes.MsgCreateSubnet{Creator: owner, Name: "digits", Task: digitsTask})
	const netuid = 1
	callerCold, callerHot := c.Key("caller-cold", 10_000_000_000), c.Key("caller-hot", 1)
	c.Exec([]string{"caller-cold", "caller-hot"}, &subnettypes.MsgRegister{Coldkey: callerCold, Hotkey: callerHot,
		Netuid: netuid, MaxBurn: sdkmath.NewInt(1_000_000_000)})

	keyDir := t.TempDir()
	_, addrs := newKeyring(t, keyDir, "cold", "hot")
	c.Fund(addrs[0], 10_000_000_000) // the hotkey has no account: the miner creates it
	cfg := c.minerConfig(keyDir, path, netuid)
	reg := prometheus.NewRegistry()
	r := startMiner(t, cfg, reg)
	n := c.waitServed(r, netuid, sum)
	if n.Model.Size_ != uint64(size) || n.Coldkey != addrs[0] {
		t.Fatalf("neuron = %v, want model size %d and coldkey %s", n, size, addrs[0])
	}

	checkInfer(t, c, r, path, held, sum, callerHot)
	checkHTTP(t, r.m.MetricsAddr(), []string{
		`tensorcosm_miner_chain_transactions_total{kind="fund_hotkey",result="ok"} 1`,
		`tensorcosm_miner_chain_transactions_total{kind="register",result="ok"} 1`,
		`tensorcosm_miner_chain_transactions_total{kind="serve_axon",result="ok"} 1`,
		`tensorcosm_miner_metagraph_neurons 2`,
		`tensorcosm_miner_model_info{device="cpu",sha256="` + sum + `"} 1`,
		`tensorcosm_axon_requests_total{code="OK",method="/tensorcosm.axon.v2.Axon/Infer"} 1`,
	})
	captured := captureInfer(t, c, r, held)
	checkStateDirInUse(t, cfg)
	if err := r.stop(t); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}

	t.Run("restart announces nothing", func(t *testing.T) {
		again := cfg
		again.Axon.ListenAddress = r.m.AxonAddr()
		reg := prometheus.NewRegistry()
		r2 := startMiner(t, again, reg)
		waitHealthy(t, r2)
		checkReplayRefused(t, c, r2, again, captured)
		checkHTTP(t, r2.m.MetricsAddr(), nil)
		body := scrape(t, r2.m.MetricsAddr())
		if strings.Contains(body, "tensorcosm_miner_chain_transactions_total{") {
			t.Errorf("a restart with the same axon and model sent transactions:\n%s", body)
		}
		if err := r2.stop(t); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("new address within the serving rate limit", func(t *testing.T) {
		// The first run announced less than serving_rate_limit (50) blocks ago:
		// the chain refuses a new address for now. The miner serves anyway and
		// announces once the limit has passed.
		reg := prometheus.NewRegistry()
		r3 := startMiner(t, cfg, reg) // listens on a new port
		waitHealthy(t, r3)
		checkHTTP(t, r3.m.MetricsAddr(), []string{
			`tensorcosm_miner_chain_transactions_total{kind="serve_axon",result="error"} 1`,
			`tensorcosm_miner_registered 1`,
		})
		c.waitServed(r3, netuid, sum) // the new port, once allowed
		checkHTTP(t, r3.m.MetricsAddr(), []string{
			`tensorcosm_miner_chain_transactions_total{kind="serve_axon",result="ok"} 1`,
		})
		if err := r3.stop(t); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unregistered without register", func(t *testing.T) {
		dir := t.TempDir()
		newKeyring(t, dir, "cold", "hot")
		bad := c.minerConfig(dir, path, netuid)
		bad.Register = false
		m, err := miner.New(bad, testLogger(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(c.Ctx); !errors.Is(err, miner.ErrNotRegistered) || !strings.Contains(err.Error(), "register: true") {
			t.Fatalf("Run = %v, want ErrNotRegistered", err)
		}
	})
	t.Run("model does not fit the task", func(t *testing.T) {
		task := digitsTask
		task.Outputs = []subnettypes.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 3}}}
		c.Exec([]string{"owner"}, &subnettypes.MsgCreateSubnet{Creator: owner, Name: "three", Task: task})
		bad := c.minerConfig(keyDir, path, 2)
		m, err := miner.New(bad, testLogger(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Run(c.Ctx); !errors.Is(err, miner.ErrTaskMismatch) || !strings.Contains(err.Error(), "[-1 3]") {
			t.Fatalf("Run = %v, want ErrTaskMismatch", err)
		}
	})
	t.Run("pruned miner registers again", func(t *testing.T) {
		// A one-UID subnet without immunity: the next registration prunes the
		// miner, which notices at its next refresh, registers again (pruning the
		// intruder in turn) and announces its axon again.
		hp := subnettypes.DefaultHyperparams()
		hp.MaxAllowedUids, hp.MaxAllowedValidators, hp.ImmunityPeriod, hp.MaxRegistrationsPerBlock = 1, 1, 0, 8
		c.Exec([]string{"owner"}, &subnettypes.MsgCreateSubnet{Creator: owner, Name: "tiny", Task: digitsTask, Hyperparams: &hp})
		const tiny = 3
		dir := t.TempDir()
		_, addrs := newKeyring(t, dir, "cold", "hot")
		c.Fund(addrs[0], 100_000_000_000)
		reg := prometheus.NewRegistry()
		r4 := startMiner(t, c.minerConfig(dir, path, tiny), reg)
		c.waitServed(r4, tiny, sum)

		intruderCold, intruderHot := c.Key("intruder-cold", 100_000_000_000), c.Key("intruder-hot", 1)
		c.Exec([]string{"intruder-cold", "intruder-hot"}, &subnettypes.MsgRegister{Coldkey: intruderCold, Hotkey: intruderHot,
			Netuid: tiny, MaxBurn: sdkmath.NewInt(10_000_000_000)})
		if _, err := c.Neuron(tiny, intruderHot); err != nil {
			t.Fatalf("the intruder did not register: %v", err)
		}
		c.waitServed(r4, tiny, sum)
		if _, err := c.Neuron(tiny, intruderHot); err == nil {
			t.Error("the intruder still holds the subnet's only UID after the miner registered again")
		}
		checkHTTP(t, r4.m.MetricsAddr(), []string{
			`tensorcosm_miner_chain_transactions_total{kind="register",result="ok"} 2`,
			`tensorcosm_miner_chain_transactions_total{kind="serve_axon",result="ok"} 2`,
			`tensorcosm_miner_registered 1`,
		})
	})
}

// checkInfer sends an Infer from the caller's hotkey, pinned to the TLS
// certificate the miner announced, and checks the answer against a local
// session and the receipt leaf.
func checkInfer(t *testing.T, c *chain, r *running, path string, held *digits.Dataset, sum, callerHot string) {
	t.Helper()
	signer, err := axon.NewKeyringSigner(c.Keyring(), "caller-hot")
	if err != nil {
		t.Fatal(err)
	}
	if signer.Address() != callerHot {
		t.Fatalf("signer %s, want %s", signer.Address(), callerHot)
	}
	opts := axon.DefaultClientOptions()
	opts.ChainID = c.Cfg.ChainID
	client, err := axon.NewClient(signer, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	row := held.Row(0)
	resp, err := client.Infer(c.Ctx, minerTarget(t, c, r, 1), []*axonpb.Tensor{axon.Float32Tensor("input", []int64{1, 64}, row)})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(resp.Leaf.ModelSha256); got != sum || resp.Leaf.BlockHeight <= 0 {
		t.Fatalf("receipt leaf model %s at height %d, want %s at a positive height", got, resp.Leaf.BlockHeight, sum)
	}
	// the chain held the commitment at the leaf's height, as receipt verify
	// requires (the miner's metagraph may lag its own announcement)
	atLeaf := metadata.AppendToOutgoingContext(c.Ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(resp.Leaf.BlockHeight, 10))
	nb, err := c.Query().NeuronByHotkey(atLeaf, &subnettypes.QueryNeuronByHotkeyRequest{Netuid: 1, Hotkey: r.m.Hotkey()})
	if err != nil || nb.Neuron.Neuron.Model == nil || nb.Neuron.Neuron.Model.Sha256 != sum {
		t.Fatalf("at the leaf's height %d the chain holds no commitment to %s: %v %v", resp.Leaf.BlockHeight, sum, nb, err)
	}
	checkAxonHealth(t, c, r)
	probs, err := resp.Outputs[0].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	local := loadSession(t, path)
	want, err := local.Run(map[string]onnx.Tensor{"input": onnx.NewFloat32Tensor([]int64{1, 64}, row)})
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for i, p := range want["probabilities"].Float32 {
		total += float64(probs[i])
		if len(probs) != 10 || probs[i] != p {
			t.Fatalf("probabilities %v, local session says %v", probs, want["probabilities"].Float32)
		}
	}
	if math.Abs(total-1) > 1e-4 {
		t.Fatalf("probabilities sum to %v", total)
	}
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkHTTP checks /healthz and that /metrics contains each of want.
func checkHTTP(t *testing.T, addr string, want []string) {
	t.Helper()
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %s", res.Status)
	}
	// a transaction's counter moves when its broadcast returns, which can be
	// a moment after its effect shows in queries
	var body string
	for range 25 {
		body = scrape(t, addr)
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(body, w) }) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("/metrics lacks %q", w)
		}
	}
	t.Logf("/metrics:\n%s", grepLines(body, "tensorcosm_miner_"))
}

func grepLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func waitHealthy(t *testing.T, r *running) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			close(r.done)
			t.Fatalf("Run returned early: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if addr := r.m.MetricsAddr(); addr != "" {
			if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
				_ = res.Body.Close()
				if res.StatusCode == http.StatusOK {
					return
				}
			}
		}
	}
	t.Fatal("the miner never became healthy")
}

// checkAxonHealth asks the axon's grpc.health.v1.Health, over TLS, as a
// standard probe would: the registered miner with its model serves.
func checkAxonHealth(t *testing.T, c *chain, r *running) {
	t.Helper()
	creds := credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}) // a probe pins nothing
	conn, err := grpc.NewClient(r.m.AxonAddr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := healthpb.NewHealthClient(conn).Check(c.Ctx, &healthpb.HealthCheckRequest{Service: "tensorcosm.axon.v2.Axon"})
	if err != nil || res.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("axon health %v (%v), want SERVING", res.GetStatus(), err)
	}
}
