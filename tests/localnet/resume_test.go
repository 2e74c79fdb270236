package localnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// resumeWithin is how long a second `localnet.sh up` on an existing home
// may take until the chain makes new blocks, every daemon is healthy and
// emission goes on (issue 17: "resumes within 60 s").
const resumeWithin = 60 * time.Second

// upDaemons are the daemons `localnet.sh up` starts, with their metrics
// ports relative to LOCALNET_PORT_BASE.
var upDaemons = []struct {
	name    string
	metrics int
}{
	{"miner-strong", 210}, {"miner-medium", 211}, {"miner-untrained", 212},
	{"validator-1", 220}, {"validator-2", 221},
	{"miner-ppocr", 213}, {"miner-baseline", 214},
	{"validator-1-textline", 222}, {"validator-2-textline", 223},
	{"gateway", 101},
}

// countedMsgs are the messages whose transactions a resumed localnet must
// not send again: funding, hotkey accounts, registration, stake, subnets.
var countedMsgs = []string{
	"/cosmos.bank.v1beta1.MsgMultiSend",
	"/cosmos.bank.v1beta1.MsgSend",
	"/tensorcosm.subnet.v1.MsgRegister",
	"/tensorcosm.subnet.v1.MsgAddStake",
	"/tensorcosm.subnet.v1.MsgCreateSubnet",
}

var (
	daemonBuild    sync.Once
	daemonBuildErr error
)

// upEnv builds the miner, validator and gateway beside tensorcosmd (once
// per test binary), installs ONNX Runtime and the digits data when missing, and
// returns the environment that points `localnet.sh up` at them.
func upEnv(t *testing.T) []string {
	t.Helper()
	dir := filepath.Dir(binary)
	daemonBuild.Do(func() {
		for _, name := range []string{"tensorcosm-miner", "tensorcosm-validator", "tensorcosm-gateway"} {
			build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
			build.Dir = repoRoot
			if out, err := build.CombinedOutput(); err != nil {
				daemonBuildErr = fmt.Errorf("building %s: %v\n%s", name, err, out)
				return
			}
		}
	})
	if daemonBuildErr != nil {
		t.Fatal(daemonBuildErr)
	}
	return []string{
		"TENSORCOSM_MINER=" + filepath.Join(dir, "tensorcosm-miner"),
		"TENSORCOSM_VALIDATOR=" + filepath.Join(dir, "tensorcosm-validator"),
		"TENSORCOSM_GATEWAY=" + filepath.Join(dir, "tensorcosm-gateway"),
		"ONNXRUNTIME_SHARED_LIBRARY_PATH=" + ortlib.LibraryPath(t),
		"TENSORCOSM_DIGITS_PATH=" + ortlib.DigitsPath(t),
	}
}

// upPortBase is freePortBase for `localnet.sh up`. Its daemons come back on
// the same ports after a stop, so the ports stay below Linux's ephemeral
// range (32768 and up), where an outgoing connection could take one.
func upPortBase(t *testing.T) int {
	t.Helper()
	return portBase(t, 21000+(os.Getpid()%40)*250, 32000, 500,
		[]int{17, 56, 57, 58, 60, 90, 100, 101, 200, 201, 202, 203, 204, 210, 211, 212, 213, 214, 220, 221, 222, 223})
}

// TestLocalnetResume runs `localnet.sh up`, stops it with `localnet.sh stop`
// and runs `up` again on the same home, as `make localnet`, `make
// localnet-stop`, `make localnet` do. Within 60 s of the second `up` the
// chain makes blocks past the height it stopped at, every daemon answers
// /healthz and an epoch pays emission again; the same hotkeys hold the same
// UIDs, and no transaction funded a key, registered a hotkey, added stake
// or created a subnet again (alice, who funded the coldkeys, has not paid).
// The gateway answers the curl commands the summary prints, before and
// after the restart, with the same API key.
func TestLocalnetResume(t *testing.T) {
	l := newLocalnet(t, upPortBase(t), "500ms", append(upEnv(t), "LOCALNET_TEMPO=8")...)
	t.Cleanup(func() { l.stop(t) })
	out, err := script(t, l.env, "localnet.sh", "up")
	if err != nil {
		t.Fatalf("localnet.sh up: %v\n%s", err, out)
	}
	checkGatewayCurls(t, out, l)
	token := readToken(t, l)
	// The validators stake once registered: resume from a finished setup.
	if !waitFor(time.Minute, func() bool {
		return l.staked(t, "validator-1", 20_000_000_000) && l.staked(t, "validator-2", 10_000_000_000)
	}) {
		t.Fatal("the validators did not reach their configured stake")
	}
	before := l.state(t)
	l.stop(t)
	stoppedAt := signedHeight(t, l.home)

	start := time.Now()
	out, err = script(t, l.env, "localnet.sh", "up")
	if err != nil {
		t.Fatalf("second localnet.sh up: %v\n%s", err, out)
	}
	upTook := time.Since(start)
	checkResumeOutput(t, out, l.home)
	var last error
	ok := waitFor(time.Until(start.Add(resumeWithin)), func() bool {
		last = l.resumed(t, stoppedAt, before.distributed)
		return last == nil
	})
	if !ok {
		t.Fatalf("not resumed %s after the second up: %v", resumeWithin, last)
	}
	t.Logf("resumed in %s (the second up took %s; stopped at height %d)",
		time.Since(start).Round(100*time.Millisecond), upTook.Round(100*time.Millisecond), stoppedAt)

	after := l.state(t)
	if fmt.Sprint(after.uids) != fmt.Sprint(before.uids) {
		t.Errorf("UIDs by hotkey changed across the restart:\nbefore %v\nafter  %v", before.uids, after.uids)
	}
	if fmt.Sprint(after.txs) != fmt.Sprint(before.txs) || after.subnets != before.subnets {
		t.Errorf("setup transactions sent again: before %v and %d subnets, after %v and %d subnets",
			before.txs, before.subnets, after.txs, after.subnets)
	}
	if after.alice < before.alice {
		t.Errorf("alice paid %d utensor across the restart (funding again?)", before.alice-after.alice)
	}
	if got := readToken(t, l); got != token {
		t.Error("the API key's token changed across the restart")
	}
	checkGatewayCurls(t, out, l)
	checkDashboard(t, out, l, stoppedAt)
}

// checkDashboard checks that `up` printed the dashboard's address, that it
// serves the page, and that the gateway's epoch history holds subnet 1's
// epochs on both sides of the stop at height stoppedAt: recorded before,
// and backfilled or recorded after the restart.
func checkDashboard(t *testing.T, out string, l localnet, stoppedAt int64) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/", l.base+100)
	if !strings.Contains(out, "dashboard "+url) {
		t.Errorf("up did not print the dashboard's address %s:\n%s", url, out)
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET %s: %d %s", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	var heights []int64
	ok := waitFor(time.Minute, func() bool {
		res, err := http.Get(url + "v1/subnets/1/history?limit=1000")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var h struct {
			Epochs []struct {
				Height int64 `json:"height"`
			} `json:"epochs"`
		}
		if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&h) != nil {
			return false
		}
		heights = heights[:0]
		for _, e := range h.Epochs {
			heights = append(heights, e.Height)
		}
		return len(heights) > 0 && heights[0] < stoppedAt && heights[len(heights)-1] > stoppedAt
	})
	if !ok {
		t.Errorf("the gateway's epoch history of subnet 1 does not span the restart at height %d: epochs at %v", stoppedAt, heights)
	}
}

// readToken returns the localnet API key's token and checks its file is
// private to its owner.
func readToken(t *testing.T, l localnet) string {
	t.Helper()
	file := filepath.Join(l.home, "neurons", "gateway", "api-key")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, fi.Mode().Perm())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		t.Fatalf("%s is empty", file)
	}
	return tok
}

// checkGatewayCurls runs the curl commands `up` printed for the gateway
// (an OIP infer request on digits, a PNG to textline's predict) as a user
// pastes them, and checks each answers 200 with the answer's provenance:
// the miner's hotkey and a receipt (or the URL to fetch it).
func checkGatewayCurls(t *testing.T, out string, l localnet) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d", l.base+100)
	var curls []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "curl ") && strings.Contains(line, url) {
			curls = append(curls, line)
		}
	}
	want := []string{url + "/v2/models/digits/infer", url + "/v1/subnets/2/predict"}
	if len(curls) != len(want) {
		t.Fatalf("up printed %d gateway curl commands, want %d (%v):\n%s", len(curls), len(want), want, out)
	}
	for i, c := range curls {
		if !strings.HasSuffix(c, want[i]) {
			t.Errorf("curl %d does not call %s: %s", i, want[i], c)
		}
		cmd := exec.Command("bash", "-c", c+` -w '\n%{http_code}'`)
		res, err := cmd.Output()
		if err != nil {
			t.Errorf("%s: %v\n%s", c, err, res)
			continue
		}
		s := strings.TrimSpace(string(res))
		body, code := s[:max(strings.LastIndex(s, "\n"), 0)], s[strings.LastIndex(s, "\n")+1:]
		if code != "200" {
			t.Errorf("%s: status %s: %s", c, code, body)
			continue
		}
		// OIP answers carry provenance in parameters, predict in provenance
		var answer struct {
			Parameters map[string]any `json:"parameters"`
			Provenance map[string]any `json:"provenance"`
		}
		if err := json.Unmarshal([]byte(body), &answer); err != nil {
			t.Errorf("%s: not JSON: %v\n%s", c, err, body)
			continue
		}
		p := answer.Parameters
		if p == nil {
			p = answer.Provenance
		}
		if p["tensorcosm_miner_hotkey"] == nil || (p["tensorcosm_receipt"] == nil && p["tensorcosm_receipt_url"] == nil) {
			t.Errorf("%s: no provenance (tensorcosm_miner_hotkey, tensorcosm_receipt or _url): %s", c, body)
		}
	}
}

// checkResumeOutput checks the second `up` said it resumed and skipped each
// setup step, and did none of them.
func checkResumeOutput(t *testing.T, out, home string) {
	t.Helper()
	for _, want := range []string{
		"resuming localnet from " + home,
		"coldkeys already funded, not funded again: miner-strong miner-medium miner-untrained validator-1 validator-2",
		"subnet 1 exists, not created again",
		"already registered in subnet 1, not registered again: miner-strong miner-medium miner-untrained validator-1 validator-2",
		"subnet 2 exists, not created again",
		"already registered in subnet 2, not registered again: miner-ppocr miner-baseline validator-1-textline validator-2-textline",
		"API key localnet exists, not created again",
		"resumed localnet from " + home,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("second up's output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"initialising", "funding ", "creating subnet", "training the", "created API key"} {
		if strings.Contains(out, bad) {
			t.Errorf("second up's output has %q:\n%s", bad, out)
		}
	}
}

// resumed returns nil once the chain is past height stoppedAt, every daemon
// answers /healthz with 200 and emission has been paid beyond distributed.
func (l localnet) resumed(t *testing.T, stoppedAt, distributed int64) error {
	t.Helper()
	if h := height(t, l.rpc()); h <= stoppedAt {
		return fmt.Errorf("chain at height %d, stopped at %d", h, stoppedAt)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	for _, d := range upDaemons {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", l.base+d.metrics))
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: /healthz %s", d.name, resp.Status)
		}
	}
	if d := l.distributed(t); d <= distributed {
		return errors.New("no emission paid since the restart")
	}
	return nil
}

// netState is what a restart must keep, or may only grow by emission.
type netState struct {
	uids        map[string]uint32 // UID by "netuid/hotkey", subnets 1 and 2
	txs         map[string]int    // transactions carrying each of countedMsgs
	subnets     int
	alice       int64 // utensor
	distributed int64 // subnet 1's emission paid out so far
}

func (l localnet) state(t *testing.T) netState {
	t.Helper()
	s := netState{uids: map[string]uint32{}, txs: map[string]int{}}
	var mg struct {
		Neurons []struct {
			Neuron struct {
				UID    uint32 `json:"uid"`
				Hotkey string `json:"hotkey"`
			} `json:"neuron"`
		} `json:"neurons"`
	}
	for _, netuid := range []string{"1", "2"} {
		mg.Neurons = nil
		l.query(t, &mg, "q", "subnet", "metagraph", netuid)
		for _, n := range mg.Neurons {
			s.uids[netuid+"/"+n.Neuron.Hotkey] = n.Neuron.UID
		}
	}
	for _, msg := range countedMsgs {
		var res struct {
			Total num `json:"total_count"`
		}
		l.query(t, &res, "q", "txs", "--query", "message.action='"+msg+"'", "--limit", "1")
		s.txs[msg] = int(res.Total)
	}
	var subnets struct {
		Subnets []json.RawMessage `json:"subnets"`
	}
	l.query(t, &subnets, "q", "subnet", "subnets")
	s.subnets = len(subnets.Subnets)
	s.alice = cliBalance(t, l, l.addr(t, "alice"))
	s.distributed = l.distributed(t)
	return s
}

// distributed returns how much of subnet 1's emission has been paid out.
func (l localnet) distributed(t *testing.T) int64 {
	t.Helper()
	var em struct {
		Distributed num `json:"total_distributed"`
	}
	l.query(t, &em, "q", "subnet", "emission", "1")
	return int64(em.Distributed)
}

// staked reports whether daemon name's hotkey holds at least want utensor
// of stake, counting stake still warming up.
func (l localnet) staked(t *testing.T, name string, want int64) bool {
	t.Helper()
	var res struct {
		Total   num `json:"total"`
		Warming num `json:"warming"`
	}
	l.query(t, &res, "q", "subnet", "stake-by-hotkey", l.addr(t, name+"-hot"))
	return int64(res.Total)+int64(res.Warming) >= want
}

// signedHeight returns the last height the stopped node's validator signed.
func signedHeight(t *testing.T, home string) int64 {
	t.Helper()
	var st struct {
		Height num `json:"height"`
	}
	b := readFile(t, filepath.Join(home, "data", "priv_validator_state.json"))
	if err := json.Unmarshal(b, &st); err != nil || st.Height == 0 {
		t.Fatalf("priv_validator_state.json: %v (height %d)", err, st.Height)
	}
	return int64(st.Height)
}
