package validator_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	"github.com/tensorcosm/tensorcosm/validator"
	"github.com/tensorcosm/tensorcosm/validator/cli"
)

// childArgsEnv carries, to a child copy of this test binary, the
// tensorcosm-validator arguments to run as the real binary would, so that a
// test can kill a validator with SIGKILL.
const childArgsEnv = "VALIDATOR_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		cmd := cli.NewRootCmd()
		cmd.SetArgs(strings.Split(args, "\x1f"))
		if cmd.Execute() != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// logLines collects JSON log lines and copies them to the test log.
type logLines struct {
	t  testing.TB
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return l.b.Write(p)
}

// find returns the decoded log records with the given message.
func (l *logLines) find(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemon is a miner or a validator run in the background.
type daemon interface {
	Run(ctx context.Context) error
}

type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, d daemon) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- d.Run(ctx) }()
	t.Cleanup(func() { _ = r.stop(t) })
	return r
}

// stop cancels the daemon and returns what Run returned.
func (r *running) stop(t *testing.T) error {
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s of cancellation")
		return nil
	}
}

func startMiner(t *testing.T, c *neurontest.Chain, name, modelPath string, netuid uint32) *miner.Miner {
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
	cfg.Axon.Workers, cfg.Axon.ShutdownTimeout = 2, 10*time.Second
	cfg.Model.Path, cfg.Model.IntraOpThreads = modelPath, 1
	cfg.MetagraphRefresh = 300 * time.Millisecond
	m, err := miner.New(cfg, neurontest.Logger(t).With("daemon", name), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	start(t, m)
	return m
}

// scrape returns the body of http://addr/path.
func scrape(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	res, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// child is a tensorcosm-validator process.
type child struct {
	cmd *exec.Cmd
	log *logLines
}

// startChild runs `tensorcosm-validator run --config file` in a child
// process.
func startChild(t *testing.T, configFile string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join([]string{"run", "--config", configFile}, "\x1f"))
	c := &child{cmd: cmd, log: &logLines{t: t}}
	cmd.Stderr = c.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.kill() })
	return c
}

// kill sends SIGKILL: the process gets no chance to save anything.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
	}
}

var _ daemon = (*validator.Validator)(nil)

// testConfig is a valid config with a fresh keyring (cold, hot) and state
// directory; its chain is never dialled by New.
func testConfig(t *testing.T) validator.Config {
	t.Helper()
	dir := t.TempDir()
	neurontest.NewKeyring(t, dir, "cold", "hot")
	cfg := validator.DefaultConfig()
	cfg.Chain.ChainID = "tensorcosm-test"
	cfg.Keyring.Dir, cfg.Keyring.Hotkey, cfg.Keyring.Coldkey = dir, "hot", "cold"
	cfg.Keyring.Backend, cfg.Dev = "test", true
	cfg.Netuid, cfg.StateDir = 1, t.TempDir()
	cfg.Tasks = map[string]map[string]any{digits.Kind: {"data_path": ortlib.DigitsPath(t)}}
	cfg.MetricsListenAddress = "127.0.0.1:0"
	return cfg
}

// canceled is a context that has ended: Run returns at once.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
