package validator_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	"github.com/tensorcosm/tensorcosm/validator"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const (
	netuid = 1
	tempo  = 10
)

// swapModel is a dishonest miner: it commits to model A and serves it
// (Info, receipts, ModelDownload, answers) until swap, then answers with
// model B while still claiming A.
type swapModel struct {
	*miner.SessionModel // A
	b                   *miner.SessionModel
	swapped             atomic.Bool
}

func (m *swapModel) Run(ctx context.Context, in []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	if m.swapped.Load() {
		return m.b.Run(ctx, in)
	}
	return m.SessionModel.Run(ctx, in)
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

// startCheat registers a hotkey from the chain's keyring, serves m on an
// axon that lets validator download, and announces model A.
func startCheat(t *testing.T, c *neurontest.Chain, m *swapModel, validatorHotkey string) string {
	t.Helper()
	return startSwapMiner(t, c, "cheat", m, validatorHotkey, true)
}

// startDodger is startCheat for a miner whose axon never sees validator's
// permit: it refuses ModelDownload with PermissionDenied for ever.
func startDodger(t *testing.T, c *neurontest.Chain, m *swapModel, validatorHotkey string) string {
	t.Helper()
	return startSwapMiner(t, c, "dodger", m, validatorHotkey, false)
}

// startSwapMiner registers name's hotkey, serves m on an axon whose
// metagraph gives validator the permit permit, and announces model A.
func startSwapMiner(t *testing.T, c *neurontest.Chain, name string, m *swapModel, validatorHotkey string, permit bool) string {
	t.Helper()
	cold, hot := c.Key(name+"-cold", 10_000_000_000), c.Key(name+"-hot", 1)
	c.Exec([]string{name + "-cold", name + "-hot"}, &subnettypes.MsgRegister{Coldkey: cold, Hotkey: hot, Netuid: netuid,
		MaxBurn: sdkmath.NewInt(1_000_000_000)})
	signer, err := axon.NewKeyringSigner(c.Keyring(), name+"-hot")
	if err != nil {
		t.Fatal(err)
	}
	meta := axon.NewStaticMetagraph()
	meta.SetNeuron(netuid, validatorHotkey, axon.NeuronInfo{UID: 0, Stake: 1, ValidatorPermit: permit})
	cfg := axon.DefaultServerConfig()
	cfg.ListenAddress, cfg.Netuid, cfg.Workers, cfg.ServeModelDownload = "127.0.0.1:0", netuid, 2, true
	cfg.ChainID = c.Cfg.ChainID
	srv, err := axon.NewServer(cfg, m, meta, signer, nil, nil)
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
	info := m.Info()
	c.Exec([]string{name + "-hot"}, &subnettypes.MsgServeAxon{Hotkey: hot, Netuid: netuid,
		Axon:  subnettypes.AxonInfo{Host: "127.0.0.1", Port: uint32(p), Protocol: "grpc", TlsFingerprint: srv.TLSFingerprint()},
		Model: subnettypes.ModelCommitment{Sha256: hex.EncodeToString(info.SHA256[:]), Size_: info.Size}})
	return hot
}

// commitWatch polls the chain's commits of one UID and remembers every
// (epoch, hash) it saw, to prove no epoch got two commits.
type commitWatch struct {
	mu   sync.Mutex
	seen map[uint64]map[string]bool
}

func watchCommits(t *testing.T, c *neurontest.Chain, uid uint32) *commitWatch {
	w := &commitWatch{seen: map[uint64]map[string]bool{}}
	ctx, cancel := context.WithCancel(c.Ctx)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_ = neuron.AllPages(ctx, func(page *query.PageRequest) (*query.PageResponse, error) {
				res, err := c.Query().Commits(ctx, &subnettypes.QueryCommitsRequest{Netuid: netuid, Pagination: page})
				if err != nil {
					return nil, err
				}
				w.record(uid, res.Commits)
				return res.Pagination, nil
			})
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return w
}

func (w *commitWatch) record(uid uint32, all []subnettypes.NeuronCommits) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, nc := range all {
		if nc.Uid != uid {
			continue
		}
		for _, cm := range nc.Commits.Commits {
			h := hex.EncodeToString(cm.Hash)
			if w.seen[cm.Epoch] == nil {
				w.seen[cm.Epoch] = map[string]bool{}
			}
			w.seen[cm.Epoch][h] = true
		}
	}
}

// check fails when an epoch got more than one commit.
func (w *commitWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for e, hashes := range w.seen {
		if len(hashes) > 1 {
			t.Errorf("epoch %d got %d commits: %v", e, len(hashes), hashes)
		}
	}
}

func (w *commitWatch) epochs() map[uint64]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[uint64]int{}
	for e, h := range w.seen {
		out[e] = len(h)
	}
	return out
}

func height(t *testing.T, c *neurontest.Chain) int64 {
	t.Helper()
	res, err := cmtservice.NewServiceClient(c.Client.Conn()).GetLatestBlock(c.Ctx, &cmtservice.GetLatestBlockRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return res.SdkBlock.Header.Height
}

func epochAt(h int64) uint64 { return subnettypes.EpochIndex(netuid, tempo, h) }

// weightsOf returns the stored weights row of uid, by target UID.
func weightsOf(t *testing.T, c *neurontest.Chain, uid uint32) map[uint32]uint32 {
	t.Helper()
	var rows []subnettypes.NeuronWeights
	err := neuron.AllPages(c.Ctx, func(page *query.PageRequest) (*query.PageResponse, error) {
		res, err := c.Query().Weights(c.Ctx, &subnettypes.QueryWeightsRequest{Netuid: netuid, Pagination: page})
		if err != nil {
			return nil, err
		}
		rows = append(rows, res.Weights...)
		return res.Pagination, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, nw := range rows {
		if nw.Uid == uid {
			out := map[uint32]uint32{}
			for _, e := range nw.Row.Entries {
				out[e.Uid] = e.Value
			}
			return out
		}
	}
	return nil
}

func validatorConfig(c *neurontest.Chain, keyDir, stateDir string) validator.Config {
	cfg := validator.DefaultConfig()
	cfg.Chain.GRPCAddress, cfg.Chain.ChainID = c.GRPCAddress(), c.Cfg.ChainID
	cfg.Keyring.Dir, cfg.Keyring.Hotkey, cfg.Keyring.Coldkey = keyDir, "hot", "cold"
	cfg.Keyring.Backend, cfg.Dev = "test", true
	cfg.Netuid, cfg.Register, cfg.MaxBurn, cfg.Stake = netuid, true, 1_000_000_000, 1_000_000_000
	cfg.StateDir = stateDir
	cfg.Tasks = map[string]map[string]any{digits.Kind: {"data_path": ortlib.DigitsPath(c.T)}}
	cfg.ONNXRuntimeLib = ortlib.LibraryPath(c.T)
	cfg.SyncBlocks, cfg.StepInterval, cfg.QueryTimeout = 2, 400*time.Millisecond, 2*time.Second
	cfg.Concurrency, cfg.EMAAlpha, cfg.Verify.Enabled = 4, 0.3, validator.VerifyTrue
	cfg.MetricsListenAddress = "127.0.0.1:0"
	return cfg
}

// until polls cond every 100 ms for up to limit.
func until(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func scoreOf(scores []validator.Score, uid uint32) validator.Score {
	for _, s := range scores {
		if s.UID == uid {
			return s
		}
	}
	return validator.Score{UID: uid}
}

func metric(t *testing.T, body, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	return 0
}

// TestValidatorOnNetwork runs a validator against an in-process chain with
// a digits subnet (tempo 10, model_download on), a strong and an untrained
// honest miner (the real miner daemon), a dishonest miner that commits
// model A, serves it until it has been verified, then answers with a better
// model B, and a dodger that answers from another model than it committed
// and refuses ModelDownload with PermissionDenied for ever. The validator
// must register, stake, get a permit, verify the first three, score the
// dishonest one 0 within one tempo of the swap, flag the dodger
// download_refused at the verify.max_refusals-th refusal after
// verify.permit_grace (never an honest miner), and reveal weights without
// either. Then it is restarted, and killed with SIGKILL right after a
// commit: the next process resumes the scores, commits nothing more in that
// epoch, and reveals the commit.
func TestValidatorOnNetwork(t *testing.T) {
	c := neurontest.StartChain(t, 300*time.Millisecond)
	opts := digits.DefaultTrainOptions()
	strongPath, _ := neurontest.TrainModel(t, opts)
	opts.Epochs = 0
	weakPath, _ := neurontest.TrainModel(t, opts)
	opts.Seed = 7
	committedPath, _ := neurontest.TrainModel(t, opts)
	opts.Seed = 9
	dodgerPath, _ := neurontest.TrainModel(t, opts) // a model nobody else commits to

	owner := c.Key("owner", 1_000_000_000_000)
	hp := subnettypes.DefaultHyperparams()
	hp.Tempo, hp.WeightsRateLimit, hp.ModelDownload = tempo, 5, true
	hp.MaxRegistrationsPerBlock, hp.ServingRateLimit = 8, 1
	c.Exec([]string{"owner"}, &subnettypes.MsgCreateSubnet{Creator: owner, Name: "digits", Task: neurontest.DigitsTask, Hyperparams: &hp})

	keyDir, stateDir := t.TempDir(), filepath.Join(t.TempDir(), "state")
	_, vaddrs := neurontest.NewKeyring(t, keyDir, "cold", "hot")
	c.Fund(vaddrs[0], 100_000_000_000)
	cfg := validatorConfig(c, keyDir, stateDir)
	cfg.Verify.PermitGrace = 5 * time.Second // honest miners here see a permit within 300 ms
	logs := &logLines{t: t}
	reg := prometheus.NewRegistry()
	v, err := validator.New(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), reg)
	if err != nil {
		t.Fatal(err)
	}

	strong := startMiner(t, c, "strong", strongPath, netuid)
	weak := startMiner(t, c, "weak", weakPath, netuid)
	cheat := &swapModel{SessionModel: sessionModel(t, committedPath), b: sessionModel(t, strongPath)}
	cheatHot := startCheat(t, c, cheat, v.Hotkey())
	dodger := &swapModel{SessionModel: sessionModel(t, dodgerPath), b: sessionModel(t, weakPath)}
	dodger.swapped.Store(true) // answers from the untrained model, never the best
	dodgerHot := startDodger(t, c, dodger, v.Hotkey())
	r := start(t, v)

	uid := map[string]uint32{}
	until(t, "every neuron to serve and the validator to register", 2*time.Minute, func() bool {
		for name, hot := range map[string]string{"strong": strong.Hotkey(), "weak": weak.Hotkey(), "cheat": cheatHot,
			"dodger": dodgerHot, "validator": v.Hotkey()} {
			n, err := c.Neuron(netuid, hot)
			if err != nil || (name != "validator" && n.Axon == nil) {
				return false
			}
			uid[name] = n.Uid
		}
		return true
	})
	watch := watchCommits(t, c, uid["validator"])
	honest := []uint32{uid["strong"], uid["weak"]}

	// Poll the scores throughout: once positive, an honest miner's score
	// never returns to 0 and it is never flagged.
	var (
		mu        sync.Mutex
		positive  = map[uint32]bool{}
		violation string
	)
	pollCtx, stopPoll := context.WithCancel(context.Background())
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for pollCtx.Err() == nil {
			scores := v.Scores()
			mu.Lock()
			for _, u := range honest {
				s := scoreOf(scores, u)
				if s.FlaggedUntil != 0 || (positive[u] && s.EMA == 0) {
					violation = fmt.Sprintf("honest uid %d: %+v", u, s)
				}
				positive[u] = positive[u] || s.EMA > 0
			}
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	}()

	// 1. a permit at an epoch boundary, then all three models downloaded and checked
	var hPermit int64
	until(t, "a validator permit", time.Minute, func() bool {
		n, err := c.Neuron(netuid, v.Hotkey())
		hPermit = height(t, c)
		return err == nil && n.ValidatorPermit
	})
	until(t, "the three committed models to check out", time.Minute, func() bool {
		_, body := scrape(t, v.MetricsAddr(), "/metrics")
		return metric(t, body, `tensorcosm_validator_model_downloads_total{result="ok"}`) >= 3 &&
			metric(t, body, `tensorcosm_validator_model_checks_total{result="match"}`) >= 6 &&
			scoreOf(v.Scores(), uid["cheat"]).EMA > 0
	})
	t.Logf("permit at height %d; models verified by height %d", hPermit, height(t, c))
	if s := scoreOf(v.Scores(), uid["dodger"]); s.FlagReason != "" {
		t.Errorf("the dodger was flagged %q within the permit grace", s.FlagReason)
	}

	// 2. the dishonest miner swaps models: scored 0 within one tempo
	hSwap := height(t, c)
	cheat.swapped.Store(true)
	var hFlag int64
	until(t, "the dishonest miner to be scored 0", time.Minute, func() bool {
		hFlag = height(t, c)
		s := scoreOf(v.Scores(), uid["cheat"])
		return s.FlaggedUntil != 0 && s.EMA == 0
	})
	t.Logf("swapped at height %d, scored 0 at height %d", hSwap, hFlag)
	if hFlag-hSwap > tempo+1 {
		t.Errorf("the dishonest miner was scored 0 %d blocks after the swap, more than one tempo (%d)", hFlag-hSwap, tempo+1)
	}
	if s := scoreOf(v.Scores(), uid["cheat"]); s.FlagReason != "answers_mismatch" {
		t.Errorf("flag reason %q", s.FlagReason)
	}

	// 3. weights committed after the flag are revealed without it
	flagEpoch := epochAt(hFlag)
	var row map[uint32]uint32
	until(t, "weights committed after the flag to be revealed", time.Minute, func() bool {
		for _, rec := range logs.find("weights revealed") {
			if ce, _ := rec["commit_epoch"].(float64); uint64(ce) > flagEpoch {
				row = weightsOf(t, c, uid["validator"])
				return true
			}
		}
		return false
	})
	t.Logf("revealed weights after the flag: %v (uids %v)", row, uid)
	if row[uid["cheat"]] != 0 || row[uid["strong"]] != 65535 || row[uid["weak"]] == 0 || row[uid["weak"]] >= row[uid["strong"]] {
		t.Errorf("weights row %v: want the strong miner at 65535, the untrained one below but above 0, the dishonest one absent", row)
	}

	// 4. the dodger is flagged download_refused after the grace and weighs 0
	var hDodger int64
	until(t, "the dodger to be flagged", 2*time.Minute, func() bool {
		hDodger = height(t, c)
		return scoreOf(v.Scores(), uid["dodger"]).FlagReason == "download_refused"
	})
	refusals := logs.find("miner refuses its model to this validator, which holds a permit")
	t.Logf("permit at height %d, dodger flagged download_refused at height %d after %d counted refusals",
		hPermit, hDodger, len(refusals))
	if len(refusals) != cfg.Verify.MaxRefusals {
		t.Errorf("%d refusals counted before the flag, want verify.max_refusals %d", len(refusals), cfg.Verify.MaxRefusals)
	}
	until(t, "weights committed after the dodger's flag to be revealed", time.Minute, func() bool {
		for _, rec := range logs.find("weights revealed") {
			if ce, _ := rec["commit_epoch"].(float64); uint64(ce) > epochAt(hDodger) {
				row = weightsOf(t, c, uid["validator"])
				return true
			}
		}
		return false
	})
	if _, ok := row[uid["dodger"]]; ok || row[uid["strong"]] != 65535 {
		t.Errorf("weights row %v after the dodger's flag: want the dodger absent, the strong miner at 65535", row)
	}
	stopPoll()
	<-polled
	mu.Lock()
	if violation != "" || !positive[honest[0]] || !positive[honest[1]] {
		t.Errorf("honest miners: %s (ever positive: %v)", violation, positive)
	}
	mu.Unlock()
	checkDaemon(t, v, logs)

	if err := r.stop(t); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	final := v.Scores()

	t.Run("killed mid-tempo after a commit, restarted", func(t *testing.T) {
		checkRestart(t, c, cfg, final, watch, uid["validator"])
	})
	watch.check(t)
	t.Run("a task it cannot run fails at startup", func(t *testing.T) {
		checkTaskStartup(t, c, owner, hp)
	})
}

// checkTaskStartup checks that Run fails at startup, before registering,
// on a subnet whose task kind is not linked in (naming the known kinds) and
// on the digits subnet without its data set.
func checkTaskStartup(t *testing.T, c *neurontest.Chain, owner string, hp subnettypes.Hyperparams) {
	speech := neurontest.DigitsTask
	speech.Kind = "speech-to-text"
	c.Exec([]string{"owner"}, &subnettypes.MsgCreateSubnet{Creator: owner, Name: "speech", Task: speech, Hyperparams: &hp})
	for _, tc := range []struct {
		name    string
		netuid  uint32
		tasks   map[string]map[string]any
		wantErr []string
	}{
		{"unknown kind", netuid + 1, nil, []string{`unknown task kind "speech-to-text"`, "known kinds: digits-classification"}},
		{"missing data", netuid, map[string]map[string]any{digits.Kind: {"data_path": t.TempDir() + "/d.csv.gz"}},
			[]string{"scripts/fetch-digits.sh"}},
	} {
		keyDir := t.TempDir()
		neurontest.NewKeyring(t, keyDir, "cold", "hot")
		cfg := validatorConfig(c, keyDir, t.TempDir())
		cfg.Netuid, cfg.Tasks = tc.netuid, tc.tasks
		v, err := validator.New(cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = v.Run(c.Ctx)
		if !errors.Is(err, validator.ErrUnsupportedTask) && tc.name == "unknown kind" {
			t.Errorf("%s: Run = %v, want ErrUnsupportedTask", tc.name, err)
		}
		for _, want := range tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: Run = %v, want it to contain %q", tc.name, err, want)
			}
		}
	}
}

// checkDaemon checks the validator's metrics, health and weight logs.
func checkDaemon(t *testing.T, v *validator.Validator, logs *logLines) {
	t.Helper()
	code, _ := scrape(t, v.MetricsAddr(), "/healthz")
	if code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	_, body := scrape(t, v.MetricsAddr(), "/metrics")
	for name, min := range map[string]float64{
		`tensorcosm_validator_chain_transactions_total{kind="fund_hotkey",result="ok"}`: 1,
		`tensorcosm_validator_chain_transactions_total{kind="register",result="ok"}`:    1,
		`tensorcosm_validator_chain_transactions_total{kind="add_stake",result="ok"}`:   1,
		`tensorcosm_validator_queries_total{outcome="ok"}`:                              10,
		`tensorcosm_validator_model_checks_total{result="mismatch"}`:                    1,
		`tensorcosm_validator_miners_flagged_total{reason="answers_mismatch"}`:          1,
		`tensorcosm_validator_miners_flagged_total{reason="download_refused"}`:          1,
		`tensorcosm_validator_weights_submitted_total{kind="commit",result="ok"}`:       2,
		`tensorcosm_validator_weights_submitted_total{kind="reveal",result="ok"}`:       2,
		`tensorcosm_validator_validator_permit`:                                         1,
		`tensorcosm_validator_metagraph_syncs_total{result="ok"}`:                       2,
		`tensorcosm_validator_miners`:                                                   3,
	} {
		if got := metric(t, body, name); got < min {
			t.Errorf("%s = %v, want at least %v", name, got, min)
		}
	}
	for _, name := range []string{`tensorcosm_validator_weights_submitted_total{kind="commit",result="error"}`,
		`tensorcosm_validator_missed_reveals_total`, `tensorcosm_validator_model_downloads_total{result="sha_mismatch"}`} {
		if got := metric(t, body, name); got != 0 {
			t.Errorf("%s = %v, want 0", name, got)
		}
	}
	for _, msg := range []string{"weights committed", "weights revealed"} {
		recs := logs.find(msg)
		if len(recs) == 0 {
			t.Errorf("no %q log", msg)
		}
		for _, rec := range recs {
			for _, k := range []string{"netuid", "epoch", "uids", "tx_hash"} {
				if _, ok := rec[k]; !ok {
					t.Errorf("%q log lacks %q: %v", msg, k, rec)
				}
			}
		}
	}
}

// checkRestart restarts the validator as a process on the same state_dir,
// kills it with SIGKILL right after it commits, starts another, and checks
// that the scores were resumed, the epoch got no second commit and the
// commit was revealed.
func checkRestart(t *testing.T, c *neurontest.Chain, cfg validator.Config, final []validator.Score, watch *commitWatch, vuid uint32) {
	b, err := os.ReadFile(filepath.Join(cfg.StateDir, "scores.json"))
	if err != nil {
		t.Fatal(err)
	}
	var saved struct{ Scores []validator.Score }
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if len(saved.Scores) != len(final) {
		t.Fatalf("scores.json holds %d scores, the validator had %d", len(saved.Scores), len(final))
	}
	for i, s := range saved.Scores {
		if s.EMA != final[i].EMA || s.Hotkey != final[i].Hotkey {
			t.Fatalf("saved score %+v, the validator had %+v", s, final[i])
		}
	}
	yaml := fmt.Sprintf(`chain: {grpc_address: %q, chain_id: %q}
keyring: {backend: test, dir: %q, hotkey: hot, coldkey: cold}
dev: true
netuid: %d
register: true
max_burn: 1000000000
stake: 1000000000
state_dir: %q
tasks: {digits-classification: {data_path: %q}}
onnxruntime_lib: %q
sync_blocks: 2
step_interval: 400ms
query_timeout: 2s
concurrency: 4
ema_alpha: 0.3
verify: {enabled: true}
metrics_listen_address: 127.0.0.1:0
log_level: debug
`, cfg.Chain.GRPCAddress, cfg.Chain.ChainID, cfg.Keyring.Dir, netuid, cfg.StateDir, ortlib.DigitsPath(t), cfg.ONNXRuntimeLib)
	file := filepath.Join(t.TempDir(), "validator.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	first := startChild(t, file)
	until(t, "the restarted validator to resume", time.Minute, func() bool { return len(first.log.find("resuming from state_dir")) > 0 })
	if rec := first.log.find("resuming from state_dir")[0]; rec["scores"] != float64(len(final)) {
		t.Errorf("resumed %v scores, want %d", rec["scores"], len(final))
	}
	var commitEpoch uint64
	until(t, "a commit by the restarted validator", time.Minute, func() bool {
		recs := first.log.find("weights committed")
		if len(recs) == 0 {
			return false
		}
		commitEpoch = uint64(recs[0]["epoch"].(float64))
		return true
	})
	first.kill()
	hKill := height(t, c)
	if epochAt(hKill+1) != commitEpoch {
		t.Fatalf("killed at height %d (epoch %d), after the commit's epoch %d: not mid-tempo", hKill, epochAt(hKill+1), commitEpoch)
	}
	t.Logf("killed the validator at height %d, in epoch %d right after its commit", hKill, commitEpoch)

	second := startChild(t, file)
	until(t, "the reveal of the commit made before the kill", time.Minute, func() bool {
		for _, rec := range second.log.find("weights revealed") {
			if uint64(rec["commit_epoch"].(float64)) == commitEpoch {
				return true
			}
		}
		return false
	})
	if n := watch.epochs()[commitEpoch]; n != 1 {
		t.Errorf("epoch %d got %d commits, want exactly the one made before the kill", commitEpoch, n)
	}
	for _, msg := range []string{"missed the reveal window of a commit", "weights commit refused", "weights reveal refused"} {
		if recs := second.log.find(msg); len(recs) > 0 {
			t.Errorf("after the restart: %q: %v", msg, recs)
		}
	}
	if got := weightsOf(t, c, vuid); len(got) == 0 {
		t.Error("no weights on chain after the reveal")
	}
	epochs := watch.epochs()
	for _, epoch := range slices.Sorted(maps.Keys(epochs)) {
		t.Logf("epoch %d: %d commit(s)", epoch, epochs[epoch])
	}
}
