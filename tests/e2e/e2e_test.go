package e2e

import (
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
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"cosmossdk.io/math"

	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	"github.com/cosmos/cosmos-sdk/types/query"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const (
	netuid = 1
	denom  = "utensor"
	tempo  = 8
)

var (
	miners     = []string{"miner-strong", "miner-medium", "miner-untrained"}
	validators = []string{"validator-1", "validator-2"}
	// Subnet 2 (textline): the PP-OCRv4 recognizer, the untrained baseline, and
	// validator-N-textline, a second process of validator-N with its keys.
	textlineNetuid     uint32 = 2
	textlineMiners            = []string{"miner-ppocr", "miner-baseline"}
	textlineValidators        = []string{"validator-1-textline", "validator-2-textline"}
)

// localnet is a network started by `scripts/localnet.sh up`.
type localnet struct {
	home string
	base int
	env  []string
	bank banktypes.QueryClient
	q    subnettypes.QueryClient
	// hot and cold map a daemon's name to its hotkey and coldkey addresses.
	hot, cold map[string]string
	alice     string
}

func (l *localnet) rpcURL() string { return fmt.Sprintf("http://127.0.0.1:%d", l.base+57) }

func (l *localnet) pidFile(name string) string {
	if name == "tensorcosmd" {
		return filepath.Join(l.home, "tensorcosmd.pid")
	}
	return filepath.Join(l.home, "neurons", name, "pid")
}

func (l *localnet) log(name string) string {
	return filepath.Join(l.home, "neurons", name, name+".log")
}

// startLocalnet runs `scripts/localnet.sh up` on free ports with a short block time
// and tempo, and stops it, checking every process is gone, when the test ends.
func startLocalnet(t *testing.T) *localnet {
	t.Helper()
	l := &localnet{home: filepath.Join(t.TempDir(), "node"), base: freePortBase(t)}
	l.env = []string{
		"LOCALNET_HOME=" + l.home,
		"LOCALNET_PORT_BASE=" + strconv.Itoa(l.base),
		"LOCALNET_BLOCK_TIME=500ms",
		"LOCALNET_TEMPO=" + strconv.Itoa(tempo),
	}
	start := time.Now()
	out, err := script(t, l.env, "up")
	t.Cleanup(func() {
		names := slices.Concat([]string{"tensorcosmd"}, miners, validators, textlineMiners, textlineValidators)
		pids := map[string]int{}
		for _, n := range names {
			pids[n] = readPID(l.pidFile(n))
		}
		if out, err := script(t, l.env, "stop"); err != nil {
			t.Errorf("localnet.sh stop: %v\n%s", err, out)
		}
		for _, n := range names {
			if pid := pids[n]; pid > 0 && syscall.Kill(pid, 0) == nil {
				t.Errorf("%s (pid %d) still running after localnet.sh stop", n, pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			for _, n := range slices.Concat(miners, validators, textlineMiners, textlineValidators) {
				tailLog(t, l.log(n), 15)
			}
		}
	})
	if err != nil {
		t.Fatalf("localnet.sh up: %v\n%s", err, out)
	}
	t.Logf("localnet.sh up took %s", time.Since(start).Round(time.Second))
	for _, want := range []string{"miner-strong", "validator-2", "q subnet metagraph 1", "make localnet-stop",
		"subnet 2 (textline)", "miner-ppocr", "validator-2-textline", "subnet 2 miners:"} {
		if !strings.Contains(out, want) {
			t.Errorf("localnet.sh up output lacks %q:\n%s", want, out)
		}
	}
	enc, err := chainclient.NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", l.base+90), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.GRPCCodec())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	l.bank, l.q = banktypes.NewQueryClient(conn), subnettypes.NewQueryClient(conn)
	l.hot, l.cold = map[string]string{}, map[string]string{}
	for _, n := range slices.Concat(miners, validators, textlineMiners) {
		l.hot[n], l.cold[n] = l.keyAddress(t, n+"-hot"), l.keyAddress(t, n+"-cold")
	}
	l.alice = l.keyAddress(t, "alice")
	return l
}

func (l *localnet) keyAddress(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "tensorcosmd"), "keys", "show", name, "-a",
		"--keyring-backend", "test", "--home", l.home).CombinedOutput()
	if err != nil {
		t.Fatalf("keys show %s: %v\n%s", name, err, out)
	}
	return strings.TrimSpace(string(out))
}

// at returns a context whose queries read state at height h.
func at(h int64) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(h, 10))
}

func (l *localnet) metagraph(t *testing.T, ctx context.Context) *subnettypes.QueryMetagraphResponse {
	t.Helper()
	return l.metagraphOf(t, ctx, netuid)
}

func (l *localnet) metagraphOf(t *testing.T, ctx context.Context, id uint32) *subnettypes.QueryMetagraphResponse {
	t.Helper()
	res, err := l.q.Metagraph(ctx, &subnettypes.QueryMetagraphRequest{Netuid: id})
	if err != nil {
		t.Fatalf("metagraph of subnet %d: %v", id, err)
	}
	return res
}

// neurons maps each daemon's name to its neuron in mg.
func (l *localnet) neurons(mg *subnettypes.QueryMetagraphResponse) map[string]subnettypes.NeuronInfo {
	byHot := map[string]subnettypes.NeuronInfo{}
	for _, n := range mg.Neurons {
		byHot[n.Neuron.Hotkey] = n
	}
	out := map[string]subnettypes.NeuronInfo{}
	for name, hot := range l.hot {
		if n, ok := byHot[hot]; ok {
			out[name] = n
		}
	}
	return out
}

func (l *localnet) height(t *testing.T) int64 {
	t.Helper()
	return l.metagraph(t, context.Background()).Block
}

func (l *localnet) balance(t *testing.T, h int64, addr string) math.Int {
	t.Helper()
	res, err := l.bank.Balance(at(h), &banktypes.QueryBalanceRequest{Address: addr, Denom: denom})
	if err != nil {
		t.Fatalf("balance of %s at %d: %v", addr, h, err)
	}
	return res.Balance.Amount
}

func (l *localnet) stake(t *testing.T, h int64, hotkey string) math.Int {
	t.Helper()
	res, err := l.q.StakeByHotkey(at(h), &subnettypes.QueryStakeByHotkeyRequest{Hotkey: hotkey})
	if err != nil {
		t.Fatalf("stake of %s at %d: %v", hotkey, h, err)
	}
	return res.Total
}

// waitUntil polls cond every second until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		if state != last {
			t.Logf("waiting for %s: %s", what, state)
			last = state
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: no %s; last state: %s", timeout, what, state)
		}
		time.Sleep(time.Second)
	}
}

// TestLocalnetEndToEnd is the README's main job on a fast tempo: within minutes of
// `localnet.sh up`, the strong miner has the highest incentive and the untrained one the
// lowest, both validators earn dividends, in the textline subnet the PP-OCRv4 recognizer
// out-earns the untrained baseline, every account moved by exactly what the epoch events
// of both subnets paid it, and a validator killed mid-tempo and restarted neither commits twice
// nor misses a reveal; the node's telemetry and the Prometheus config show it.
func TestLocalnetEndToEnd(t *testing.T) {
	l := startLocalnet(t)
	ctx := context.Background()

	// Setup is done once both validators hold their configured stake; from then on
	// nothing but emission moves the daemons' and the owner's funds (fees are 0).
	waitUntil(t, 2*time.Minute, "validators staked", func() (bool, string) {
		s1, s2 := l.stake(t, l.height(t), l.hot["validator-1"]), l.stake(t, l.height(t), l.hot["validator-2"])
		return s1.GTE(math.NewInt(20_000_000_000)) && s2.GTE(math.NewInt(10_000_000_000)), "stakes " + s1.String() + ", " + s2.String()
	})
	h0 := l.height(t) + 1
	waitUntil(t, time.Minute, "a block after setup", func() (bool, string) { return l.height(t) > h0, "" })
	t.Logf("setup done at height %d", h0)

	// 1. Ranking: strong first, untrained last, both validators paid dividends.
	start := time.Now()
	waitUntil(t, 4*time.Minute, "strong > medium > untrained incentive and dividends for both validators", func() (bool, string) {
		n := l.neurons(l.metagraph(t, ctx))
		inc := func(name string) uint32 { return n[name].Neuron.LastEpoch.Incentive }
		div := func(name string) uint32 { return n[name].Neuron.LastEpoch.Dividends }
		state := fmt.Sprintf("incentive strong %d medium %d untrained %d, dividends v1 %d v2 %d",
			inc("miner-strong"), inc("miner-medium"), inc("miner-untrained"), div("validator-1"), div("validator-2"))
		return inc("miner-strong") > inc("miner-medium") && inc("miner-medium") > inc("miner-untrained") &&
			div("validator-1") > 0 && div("validator-2") > 0, state
	})
	t.Logf("ranking reached %s after setup", time.Since(start).Round(time.Second))
	// The textline subnet, in the same minutes: the PP-OCRv4 recognizer out-earns the
	// untrained baseline.
	waitUntil(t, 2*time.Minute, "subnet 2: recognizer incentive > baseline incentive and emission for the recognizer", func() (bool, string) {
		n := l.neurons(l.metagraphOf(t, ctx, textlineNetuid))
		ocrInfo, ok1 := n["miner-ppocr"]
		baseInfo, ok2 := n["miner-baseline"]
		if !ok1 || !ok2 || ocrInfo.Neuron.LastEpoch.Emission.IsNil() || baseInfo.Neuron.LastEpoch.Emission.IsNil() {
			return false, "no epoch of both miners yet"
		}
		ocr, base := ocrInfo.Neuron.LastEpoch, baseInfo.Neuron.LastEpoch
		state := fmt.Sprintf("incentive ppocr %d baseline %d, emission ppocr %s baseline %s",
			ocr.Incentive, base.Incentive, ocr.Emission, base.Emission)
		return ocr.Incentive > base.Incentive && ocr.Emission.IsPositive(), state
	})
	t.Logf("textline ranking reached %s after setup", time.Since(start).Round(time.Second))
	logMiners(t, l, ctx, netuid, miners)
	logMiners(t, l, ctx, textlineNetuid, textlineMiners)
	// Let a few epochs pay out in the window whose balances are checked.
	waitUntil(t, 2*time.Minute, "three epochs after setup", func() (bool, string) {
		h := l.height(t)
		return h >= h0+3*(tempo+1), fmt.Sprintf("height %d", h)
	})

	// 2. Restart: kill validator-1 while it holds an unrevealed commit, restart it, and
	// let it reveal and commit again.
	v1 := l.hot["validator-1"]
	waitUntil(t, 2*time.Minute, "a pending commit of validator-1", func() (bool, string) {
		return pendingCommits(t, l, ctx, "validator-1") > 0, ""
	})
	pid := readPID(l.pidFile("validator-1"))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill validator-1 (pid %d): %v", pid, err)
	}
	killedAt := l.height(t)
	t.Logf("killed validator-1 (pid %d) at height %d", pid, killedAt)
	if out, err := script(t, l.env, "restart-neuron", "validator-1"); err != nil {
		t.Fatalf("restart-neuron validator-1: %v\n%s", err, out)
	}
	waitUntil(t, 3*time.Minute, "validator-1 to reveal and commit again after the restart", func() (bool, string) {
		ev := l.events(t, killedAt+1, l.height(t))
		return ev.reveals[v1] > 0 && ev.commits[v1] > 0, fmt.Sprintf("reveals %d, commits %d", ev.reveals[v1], ev.commits[v1])
	})
	h1 := l.height(t)
	ev := l.events(t, h0+1, h1)
	t.Logf("checking heights %d..%d: %d epochs, %d commits, %d reveals", h0+1, h1, ev.epochs, sum(ev.commits), sum(ev.reveals))

	// No duplicate commit: one commit per validator per reveal epoch.
	for key, n := range ev.commitsPerEpoch {
		if n > 1 {
			t.Errorf("validator %s committed %d times for reveal epoch %d", key.hotkey, n, key.epoch)
		}
	}
	// No missed reveal: every commit of the window was revealed or is still pending.
	for _, name := range validators {
		hot := l.hot[name]
		before, after := pendingCommits(t, l, at(h0), name), pendingCommits(t, l, at(h1), name)
		if before+ev.commits[hot] != ev.reveals[hot]+after {
			t.Errorf("%s: %d pending at %d + %d commits != %d reveals + %d pending at %d (a commit expired unrevealed)",
				name, before, h0, ev.commits[hot], ev.reveals[hot], after, h1)
		}
		if ev.reveals[hot] == 0 {
			t.Errorf("%s revealed no weights in %d..%d", name, h0+1, h1)
		}
	}

	// 3. Balances moved by exactly the emitted amounts.
	checkBalances(t, l, h0, h1, ev)

	// 4. Model verification ran and never scored an honest miner 0; no reveal was missed.
	for _, name := range validators {
		m := l.metrics(t, name)
		if n := m[`tensorcosm_validator_model_checks_total{result="match"}`]; n == 0 {
			t.Errorf("%s re-ran no miner answer on a committed model", name)
		}
		for _, metric := range []string{"tensorcosm_validator_miners_flagged_total", "tensorcosm_validator_missed_reveals_total"} {
			if n := sumMetric(m, metric); n != 0 {
				t.Errorf("%s: %s = %v, want 0 (all miners are honest)", name, metric, n)
			}
		}
		if n := m[`tensorcosm_validator_model_checks_total{result="mismatch"}`]; n != 0 {
			t.Errorf("%s found %v mismatches between honest miners' answers and their models", name, n)
		}
	}

	// 5. Monitoring: the Prometheus config `up` wrote, and the node's x/subnet metrics.
	checkMonitoring(t, l)
}

// logMiners logs the last epoch's incentive and emission of the named miners of a subnet.
func logMiners(t *testing.T, l *localnet, ctx context.Context, id uint32, names []string) {
	t.Helper()
	n := l.neurons(l.metagraphOf(t, ctx, id))
	parts := make([]string, 0, len(names))
	for _, name := range names {
		if info, ok := n[name]; ok {
			parts = append(parts, fmt.Sprintf("%s uid %d incentive %d emission %s", name, info.Neuron.Uid,
				info.Neuron.LastEpoch.Incentive, info.Neuron.LastEpoch.Emission))
		}
	}
	t.Logf("subnet %d: %s", id, strings.Join(parts, "; "))
}

// checkBalances asserts that from h0 to h1 the owner's, the miners' and the validators'
// funds changed by exactly what the epochs' EventEpoch and EventDistribution paid.
func checkBalances(t *testing.T, l *localnet, h0, h1 int64, ev events) {
	t.Helper()
	if ev.epochs == 0 {
		t.Fatal("no epoch between the heights")
	}
	// Each epoch's parts add up to its emission.
	if got := ev.ownerCut.Add(ev.toMiners).Add(ev.toValidators).Add(ev.dust); !got.Equal(ev.emission) {
		t.Errorf("epochs paid owner %s + miners %s + validators %s + dust %s = %s, emission %s",
			ev.ownerCut, ev.toMiners, ev.toValidators, ev.dust, got, ev.emission)
	}
	if !ev.toMiners.Add(ev.toValidators).Equal(sumInts(ev.paidCold).Add(sumInts(ev.staked))) {
		t.Errorf("distributions %s + %s do not add up to the epochs' miner and validator parts %s + %s",
			sumInts(ev.paidCold), sumInts(ev.staked), ev.toMiners, ev.toValidators)
	}
	if !ev.emission.IsPositive() || !ev.toMiners.IsPositive() || !ev.toValidators.IsPositive() {
		t.Errorf("nothing emitted: emission %s, miners %s, validators %s", ev.emission, ev.toMiners, ev.toValidators)
	}
	check := func(what, addr string, got, want math.Int) {
		if !got.Equal(want) {
			t.Errorf("%s %s changed by %s from %d to %d, the epochs paid %s", what, addr, got, h0, h1, want)
		}
	}
	delta := func(addr string) math.Int { return l.balance(t, h1, addr).Sub(l.balance(t, h0, addr)) }
	check("owner alice", l.alice, delta(l.alice), ev.ownerCut)
	for _, name := range append(append([]string{}, miners...), validators...) {
		cold, hot := l.cold[name], l.hot[name]
		check(name+" coldkey", cold, delta(cold), get(ev.paidCold, hot))
		check(name+" hotkey balance", hot, delta(hot), math.ZeroInt())
		check(name+" stake", hot, l.stake(t, h1, hot).Sub(l.stake(t, h0, hot)), get(ev.staked, hot))
	}
	t.Logf("emission %s over %d epochs of subnet 1 and those of subnet 2: owner %s, miners %s, validators %s, dust %s",
		ev.emission, ev.epochs, ev.ownerCut, ev.toMiners, ev.toValidators, ev.dust)
}

func get(m map[string]math.Int, k string) math.Int {
	if v, ok := m[k]; ok {
		return v
	}
	return math.ZeroInt()
}

func sumInts(m map[string]math.Int) math.Int {
	s := math.ZeroInt()
	for _, v := range m {
		s = s.Add(v)
	}
	return s
}

func sum(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}

// pendingCommits returns how many unrevealed commits the daemon name has.
func pendingCommits(t *testing.T, l *localnet, ctx context.Context, name string) int {
	t.Helper()
	n, ok := l.neurons(l.metagraph(t, ctx))[name]
	if !ok {
		t.Fatalf("%s is not registered", name)
	}
	count := 0
	err := neuron.AllPages(ctx, func(page *query.PageRequest) (*query.PageResponse, error) {
		res, err := l.q.Commits(ctx, &subnettypes.QueryCommitsRequest{Netuid: netuid, Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, c := range res.Commits {
			if c.Uid == n.Neuron.Uid {
				count = len(c.Commits.Commits)
			}
		}
		return res.Pagination, nil
	})
	if err != nil {
		t.Fatalf("commits: %v", err)
	}
	return count
}

// events are what the blocks of a height range emitted, summed. epochs, commits and
// reveals are subnet 1's; the payouts are every subnet's, since the validators and the
// owner are paid in both subnets and their balances and stakes move by the sum.
type events struct {
	epochs                                           int
	emission, ownerCut, toMiners, toValidators, dust math.Int
	paidCold                                         map[string]math.Int // by hotkey: miner + take, paid to its coldkey
	staked                                           map[string]math.Int // by hotkey: compounded into its stakers' stake
	commits, reveals                                 map[string]int      // by hotkey
	commitsPerEpoch                                  map[commitKey]int
}

type commitKey struct {
	hotkey string
	epoch  uint64
}

type abciEvent struct {
	Type       string `json:"type"`
	Attributes []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"attributes"`
}

// attr returns attribute key of a typed event, unquoted.
func (e abciEvent) attr(key string) string {
	for _, a := range e.Attributes {
		if a.Key == key {
			if s, err := strconv.Unquote(a.Value); err == nil {
				return s
			}
			return a.Value
		}
	}
	return ""
}

func (e abciEvent) intAttr(t *testing.T, key string) math.Int {
	v := e.attr(key)
	if v == "" {
		return math.ZeroInt()
	}
	n, ok := math.NewIntFromString(v)
	if !ok {
		t.Fatalf("%s.%s = %q is not an integer", e.Type, key, v)
	}
	return n
}

// events reads the CometBFT block results of heights from..to and sums x/subnet's
// epoch, distribution and weights events.
func (l *localnet) events(t *testing.T, from, to int64) events {
	t.Helper()
	ev := events{emission: math.ZeroInt(), ownerCut: math.ZeroInt(), toMiners: math.ZeroInt(),
		toValidators: math.ZeroInt(), dust: math.ZeroInt(), paidCold: map[string]math.Int{},
		staked: map[string]math.Int{}, commits: map[string]int{}, reveals: map[string]int{},
		commitsPerEpoch: map[commitKey]int{}}
	for h := from; h <= to; h++ {
		var res struct {
			Result struct {
				TxsResults []struct {
					Code   uint32      `json:"code"`
					Events []abciEvent `json:"events"`
				} `json:"txs_results"`
				FinalizeBlockEvents []abciEvent `json:"finalize_block_events"`
			} `json:"result"`
		}
		getJSON(t, fmt.Sprintf("%s/block_results?height=%d", l.rpcURL(), h), &res)
		all := res.Result.FinalizeBlockEvents
		for _, tx := range res.Result.TxsResults {
			if tx.Code == 0 {
				all = append(all, tx.Events...)
			}
		}
		for _, e := range all {
			switch e.Type {
			case "tensorcosm.subnet.v1.EventEpoch":
				if e.attr("netuid") == strconv.Itoa(netuid) {
					ev.epochs++
				}
				ev.emission = ev.emission.Add(e.intAttr(t, "emission"))
				ev.ownerCut = ev.ownerCut.Add(e.intAttr(t, "owner_cut"))
				ev.toMiners = ev.toMiners.Add(e.intAttr(t, "to_miners"))
				ev.toValidators = ev.toValidators.Add(e.intAttr(t, "to_validators"))
				ev.dust = ev.dust.Add(e.intAttr(t, "dust"))
			case "tensorcosm.subnet.v1.EventDistribution":
				hot := e.attr("hotkey")
				ev.paidCold[hot] = get(ev.paidCold, hot).Add(e.intAttr(t, "miner")).Add(e.intAttr(t, "take"))
				ev.staked[hot] = get(ev.staked, hot).Add(e.intAttr(t, "staked"))
			case "tensorcosm.subnet.v1.EventWeightsCommitted":
				if e.attr("netuid") != strconv.Itoa(netuid) {
					continue
				}
				hot := e.attr("hotkey")
				ev.commits[hot]++
				epoch, _ := strconv.ParseUint(e.attr("reveal_epoch"), 10, 64)
				ev.commitsPerEpoch[commitKey{hot, epoch}]++
			case "tensorcosm.subnet.v1.EventWeightsSet":
				if e.attr("netuid") == strconv.Itoa(netuid) && e.attr("revealed") == "true" {
					ev.reveals[e.attr("hotkey")]++
				}
			}
		}
	}
	return ev
}

// httpGet returns the body of a 200 answer to GET url.
func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return body
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	if err := json.Unmarshal(httpGet(t, url), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// metrics scrapes a validator's /metrics and returns each sample's value by its
// name and labels as printed, e.g. `tensorcosm_validator_model_checks_total{result="match"}`.
func (l *localnet) metrics(t *testing.T, name string) map[string]float64 {
	t.Helper()
	idx := slices.Index(validators, name)
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", l.base+220+idx)
	body := httpGet(t, url)
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("%s: bad sample %q", url, line)
		}
		out[line[:i]] = v
	}
	return out
}

// sumMetric adds up every sample of a metric, whatever its labels.
func sumMetric(samples map[string]float64, metric string) float64 {
	total := 0.0
	for k, v := range samples {
		if k == metric || strings.HasPrefix(k, metric+"{") {
			total += v
		}
	}
	return total
}

func readPID(file string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func tailLog(t *testing.T, file string, n int) {
	b, err := os.ReadFile(file)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	t.Logf("--- %s (last %d lines)\n%s", filepath.Base(file), len(lines), strings.Join(lines, "\n"))
}
