package validator

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// sessionModel loads ONNX bytes as the model a miner serves.
func sessionModel(tb testing.TB, b []byte) *miner.SessionModel {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "m.onnx")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	s, err := onnx.LoadSession(path, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	sm, err := miner.NewSessionModel(s, path, digits.Kind)
	if err != nil {
		tb.Fatal(err)
	}
	return sm
}

// slowModel answers after a delay.
type slowModel struct {
	axon.Model
	delay time.Duration
}

func (m slowModel) Run(ctx context.Context, in []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	select {
	case <-time.After(m.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return m.Model.Run(ctx, in)
}

// claimedModel answers with one model while naming another in Info (and
// so in its receipts).
type claimedModel struct {
	axon.Model
	info axon.ModelInfo
}

func (m claimedModel) Info() axon.ModelInfo { return m.info }

func newSigner(tb testing.TB) *axon.KeySigner {
	tb.Helper()
	s, err := axon.NewKeySigner(secp256k1.GenPrivKey())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// startAxon serves m on a loopback port and returns the miner's view.
func startAxon(tb testing.TB, uid uint32, m axon.Model, meta axon.Metagraph) neuronView {
	tb.Helper()
	signer := newSigner(tb)
	cfg := axon.DefaultServerConfig()
	cfg.ListenAddress, cfg.Netuid, cfg.Workers, cfg.ChainID = "127.0.0.1:0", 1, 1, testChainID
	srv, err := axon.NewServer(cfg, m, meta, signer, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	lis, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	info := m.Info()
	return neuronView{UID: uid, Hotkey: signer.Address(), Address: lis.Addr().String(), TLSFingerprint: srv.TLSFingerprint(),
		ModelSHA256: hex.EncodeToString(info.SHA256[:]), ModelSize: info.Size}
}

// newTestScorer builds a scorer signing as validator, a registered neuron
// with a permit in meta.
func newTestScorer(tb testing.TB, cfg Config, validator *axon.KeySigner) *scorer {
	tb.Helper()
	client, err := axon.NewClient(validator, testClientOptions())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = client.Close() })
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		tb.Fatal(err)
	}
	return &scorer{cfg: cfg, task: testInstance(tb), client: client, scores: newScoreTable(cfg.EMAAlpha, nil), metrics: m,
		log: slog.New(slog.DiscardHandler), now: time.Now, resync: func() {}}
}

// testChainID is the chain id of the tests that run axons without a chain.
const testChainID = "tensorcosm-test"

// testClientOptions are the axon client's defaults for testChainID.
func testClientOptions() axon.ClientOptions {
	opts := axon.DefaultClientOptions()
	opts.ChainID = testChainID
	return opts
}

func validatorMeta(validator *axon.KeySigner) *axon.StaticMetagraph {
	meta := axon.NewStaticMetagraph()
	meta.SetNeuron(1, validator.Address(), axon.NeuronInfo{UID: 0, Stake: 1_000_000, ValidatorPermit: true})
	meta.SetBlockHeight(10)
	return meta
}

func testSnapshot(miners ...neuronView) *snapshot {
	s := &snapshot{Height: 10, Neurons: miners}
	s.Subnet.Netuid, s.Subnet.Hyperparams.Tempo = 1, 10
	return s
}

// TestStepScores runs steps against in-process axons: each outcome gets
// its score, accuracy ranks the models, and answers that are not the
// committed model's are caught.
func TestStepScores(t *testing.T) {
	strong, strongSHA := onnxModel(t, 30, 1)
	weak, _ := onnxModel(t, 0, 1)
	validator := newSigner(t)
	meta := validatorMeta(validator)
	strongModel, weakModel := sessionModel(t, strong), sessionModel(t, weak)
	miners := []neuronView{
		startAxon(t, 1, strongModel, meta),
		startAxon(t, 2, weakModel, meta),
		startAxon(t, 3, slowModel{strongModel, time.Minute}, meta),
		startAxon(t, 4, claimedModel{strongModel, weakModel.Info()}, meta), // receipts name the weak model
		startAxon(t, 5, claimedModel{weakModel, strongModel.Info()}, meta), // claims the strong model, runs the weak one
	}
	miners[3].ModelSHA256 = strongSHA // it committed the strong model
	unreachable := neuronView{UID: 6, Hotkey: newSigner(t).Address(), Address: "127.0.0.1:1", ModelSHA256: strongSHA}
	cfg := DefaultConfig()
	cfg.QueryTimeout, cfg.EMAAlpha, cfg.ChallengeBatch = 2*time.Second, 1, 64
	s := newTestScorer(t, cfg, validator)
	vf := newVerifier(cfg.Verify, testTask, 1, nil, s.log, s.metrics)
	var err error
	t.Cleanup(vf.close)
	vf.models[strongSHA], err = onnx.LoadSessionBytes(strong, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	flags := flagged{}
	vf.flag = func(uid uint32, _, reason, _ string) { flags[uid] = reason }
	s.verify = vf
	snap := testSnapshot(append(miners, unreachable)...)
	s.scores.reconcile(snap.Neurons)
	want := map[uint32]struct {
		outcome  string
		min, max float64
	}{
		1: {outcomeOK, 0.6, 1}, 2: {outcomeOK, 0, 0.35}, 3: {outcomeTimeout, 0, 0},
		4: {outcomeWrongModel, 0, 0}, 5: {outcomeOK, 0, 0.35}, 6: {outcomeError, 0, 0},
	}
	for step := range 2 {
		for _, r := range s.step(context.Background(), snap, true, true) {
			w := want[r.miner.UID]
			if r.outcome != w.outcome || r.score < w.min || r.score > w.max {
				t.Errorf("step %d uid %d: %s score %.3f (%v), want %s in [%v, %v]", step, r.miner.UID, r.outcome, r.score, r.err, w.outcome, w.min, w.max)
			}
		}
	}
	if len(flags) != 1 || flags[5] != reasonMismatch {
		t.Fatalf("flags = %v, want uid 5 for answers_mismatch", flags)
	}
	if got := value(s.metrics.queries.WithLabelValues(outcomeOK)); got != 6 {
		t.Fatalf("ok queries = %v, want 6", got)
	}
}
