package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/tensorcosm/tensorcosm/gateway"
	gatewaycli "github.com/tensorcosm/tensorcosm/gateway/cli"
	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/gateway/store"
	minercli "github.com/tensorcosm/tensorcosm/miner/cli"
	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// childEnv makes the test binary run a daemon's command line instead of
// the tests: "miner" or "gateway", then its arguments, joined by \x1f.
const childEnv = "TENSORCOSM_GATEWAY_TEST_CHILD"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		parts := strings.Split(args, "\x1f")
		var root *cobra.Command
		switch parts[0] {
		case "miner":
			root = minercli.NewRootCmd()
		case "gateway":
			root = gatewaycli.NewRootCmd()
		default:
			fmt.Fprintf(os.Stderr, "unknown child %q\n", parts[0])
			os.Exit(2)
		}
		root.SetArgs(parts[1:])
		if err := root.Execute(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a daemon in a child process, its stderr in a file.
type process struct {
	t    *testing.T
	name string
	args []string
	cmd  *exec.Cmd
	log  string
	done chan error
	// exited is set once done has been received from
	exited bool
}

func startProcess(t *testing.T, name string, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, args: args, log: filepath.Join(t.TempDir(), name+".log")}
	p.start()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			b, _ := os.ReadFile(p.log)
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("%s log tail:\n%s", p.name, b)
		}
	})
	return p
}

func (p *process) start() {
	p.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(os.Args[0])
	p.cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(p.args, "\x1f"))
	p.cmd.Stderr, p.cmd.Stdout = f, f
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done, p.exited = make(chan error, 1), false
	go func() { p.done <- p.cmd.Wait(); _ = f.Close() }()
}

// kill sends SIGKILL: the process gets no chance to clean up.
func (p *process) kill() {
	if p.exited {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.exited = true
}

// logHas reports whether the process's log holds a line with all of subs.
func (p *process) logHas(subs ...string) bool {
	f, err := os.Open(p.log)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(sc.Text(), s)
		}
		if ok {
			return true
		}
	}
	return false
}

// writeConfig writes cfg as the YAML a daemon's --config reads.
func writeConfig(t *testing.T, cfg any) string {
	t.Helper()
	var b bytes.Buffer
	must(t, cliconfig.Write(&b, cfg))
	path := filepath.Join(t.TempDir(), "config.yaml")
	must(t, os.WriteFile(path, b.Bytes(), 0o600))
	return path
}

// minerProcess starts `tensorcosm-miner run` for a fresh keyring serving
// modelPath on netuid, and waits for its axon on chain.
func minerProcess(t *testing.T, c *neurontest.Chain, name, modelPath string) (*process, string) {
	t.Helper()
	cfg, hot := minerConfig(t, c, modelPath, netuid)
	cfg.Model.ONNXRuntimeLib = ortlib.LibraryPath(t)
	p := startProcess(t, name, "miner", "run", "--config", writeConfig(t, cfg))
	until(t, name+" to serve its axon", 2*time.Minute, func() bool {
		n, err := c.Neuron(netuid, hot)
		return err == nil && n.Axon != nil && n.Model != nil
	})
	return p, hot
}

// shot is one request of the load loop.
type shot struct {
	start   time.Time
	latency time.Duration
	status  int
	uid     string
	err     error
}

// load sends body to the gateway from workers loops until stop is called,
// one request at a time each; it returns every shot.
func load(addr, token string, body []byte, workers int) (stop func() []shot) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var shots []shot
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequest("POST", "http://"+addr+"/v2/models/digits/infer", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				s := shot{start: time.Now()}
				res, err := client.Do(req)
				s.latency, s.err = time.Since(s.start), err
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					_ = res.Body.Close()
					s.status, s.uid = res.StatusCode, res.Header.Get(gateway.HeaderMinerUID)
				}
				mu.Lock()
				shots = append(shots, s)
				mu.Unlock()
			}
		}()
	}
	return func() []shot {
		cancel()
		wg.Wait()
		return shots
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// metricValue scrapes name{labels} from a /metrics page.
func metricValue(t *testing.T, addr, series string) (float64, bool) {
	t.Helper()
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, series)), 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestGatewayFailover: under steady load, SIGKILL one of three miner
// processes: no user request fails, p99 stays under the deadline, the
// victim's breaker opens and its traffic moves to the others; restart it
// and traffic returns.
func TestGatewayFailover(t *testing.T) {
	n := newTestNet(t)
	c, modelPath, held, keyDir := n.c, n.modelPath, n.held, n.keyDir

	victim, victimHot := minerProcess(t, c, "miner-a", modelPath)
	minerProcess(t, c, "miner-b", modelPath)
	minerProcess(t, c, "miner-c", modelPath)
	vn, err := c.Neuron(netuid, victimHot)
	must(t, err)
	victimUID := strconv.FormatUint(uint64(vn.Uid), 10)

	const deadline = 5 * time.Second
	cfg := gatewayConfig(c, keyDir, "1")
	cfg.Route.BreakerOpen = time.Second
	g, err := gateway.New(cfg, neurontest.Logger(t).With("daemon", "gateway"), prometheus.NewRegistry())
	must(t, err)
	start(t, g)
	until(t, "the gateway to see three miners", time.Minute, func() bool {
		if g.Addr() == "" {
			return false
		}
		x := do(t, g.Addr(), "GET", "/v2/models/digits", nil, nil)
		if x.status != 200 {
			return false
		}
		n, _ := decode[oip.ModelMetadata](t, x).Parameters["miners"].(float64)
		return n == 3
	})
	_, tok, err := g.Store().CreateKey(c.Ctx, store.KeySpec{Name: "load"})
	must(t, err)
	body, _ := json.Marshal(map[string]any{"parameters": map[string]any{"timeout_ms": deadline.Milliseconds()},
		"inputs": []map[string]any{{"name": "input", "shape": []int{1, 64}, "datatype": "FP32", "data": held.Features[:64]}}})

	stop := load(g.Addr(), tok, body, 4)
	time.Sleep(2 * time.Second)
	killedAt := time.Now()
	victim.kill()
	breaker := fmt.Sprintf(`tensorcosm_gateway_breaker_state{model="digits",uid="%s"}`, victimUID)
	var openedAt time.Time
	until(t, "the victim's breaker to open", 30*time.Second, func() bool {
		v, ok := metricValue(t, g.MetricsAddr(), breaker)
		openedAt = time.Now()
		return ok && v == 2
	})
	time.Sleep(2 * time.Second)
	restartedAt := time.Now()
	victim.start()
	var back time.Time
	until(t, "answers from the restarted miner", 90*time.Second, func() bool {
		x := do(t, g.Addr(), "POST", "/v2/models/digits/infer", body, map[string]string{"Authorization": "Bearer " + tok})
		if x.status == 200 && x.header.Get(gateway.HeaderMinerUID) == victimUID {
			back = time.Now()
			return true
		}
		return false
	})
	time.Sleep(time.Second)
	shots := stop()

	var failed []shot
	var lat []time.Duration
	perUID := map[string][3]int{} // before the kill, while dead, after return
	for _, s := range shots {
		if s.err != nil || s.status != 200 {
			failed = append(failed, s)
			continue
		}
		lat = append(lat, s.latency)
		phase := 0
		switch {
		case s.start.After(back):
			phase = 2
		case s.start.After(killedAt):
			phase = 1
		}
		n := perUID[s.uid]
		n[phase]++
		perUID[s.uid] = n
	}
	p50, p99 := percentile(lat, .5), percentile(lat, .99)
	t.Logf("%d requests, %d failed; latency p50 %s p99 %s (deadline %s); killed at +0, breaker open after %s, "+
		"restarted after %s, answering again after %s; answers per uid [before, dead, back]: %v",
		len(shots), len(failed), p50, p99, deadline, openedAt.Sub(killedAt).Round(time.Millisecond),
		restartedAt.Sub(killedAt).Round(time.Millisecond), back.Sub(killedAt).Round(time.Millisecond), perUID)
	for i, s := range failed {
		if i < 5 {
			t.Errorf("failed request at +%s: status %d err %v", s.start.Sub(killedAt), s.status, s.err)
		}
	}
	if len(failed) > 0 {
		t.Fatalf("%d of %d user requests failed, want 0", len(failed), len(shots))
	}
	if p99 >= deadline {
		t.Errorf("p99 %s is not below the deadline %s", p99, deadline)
	}
	if perUID[victimUID][0] == 0 {
		t.Errorf("the victim answered nothing before the kill: %v", perUID)
	}
	for _, s := range shots {
		if s.uid == victimUID && s.start.After(openedAt) && s.start.Before(restartedAt) {
			t.Errorf("the victim answered a request sent at +%s, after its breaker opened", s.start.Sub(killedAt))
			break
		}
	}
}
