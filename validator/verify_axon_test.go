package validator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// servedFile is a miner's model as its axon serves it for ModelDownload;
// the verifier is fed the miner's answers directly, so Run is never called.
type servedFile struct {
	file []byte
	sum  [32]byte
}

func (f servedFile) Info() axon.ModelInfo {
	return axon.ModelInfo{SHA256: f.sum, Size: uint64(len(f.file)), TaskKind: digits.Kind}
}

func (f servedFile) Run(context.Context, []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	return nil, errors.New("not queried in this test")
}

func (f servedFile) OpenModel() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(f.file)), nil
}

func keySigner(t *testing.T, seed string) *axon.KeySigner {
	t.Helper()
	s, err := axon.NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte(seed)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// minerAxon is a miner's real axon on loopback serving file, with its own
// view of the metagraph.
type minerAxon struct {
	signer *axon.KeySigner
	meta   *axon.StaticMetagraph
	srv    *axon.Server
	reg    *prometheus.Registry
	addr   string
}

func startMinerAxon(t *testing.T, seed string, file []byte, mod func(*axon.ServerConfig)) *minerAxon {
	t.Helper()
	m := &minerAxon{signer: keySigner(t, seed), meta: axon.NewStaticMetagraph(), reg: prometheus.NewRegistry()}
	cfg := axon.DefaultServerConfig()
	cfg.ListenAddress, cfg.Netuid, cfg.Workers, cfg.ServeModelDownload = "127.0.0.1:0", 1, 1, true
	cfg.ChainID = testChainID
	if mod != nil {
		mod(&cfg)
	}
	var err error
	if m.srv, err = axon.NewServer(cfg, servedFile{file: file, sum: sha256.Sum256(file)}, m.meta, m.signer, nil, m.reg); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		t.Fatal(err)
	}
	m.addr = lis.Addr().String()
	go func() { _ = m.srv.Serve(lis) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.srv.Shutdown(ctx)
	})
	return m
}

func (m *minerAxon) view(uid uint32, file []byte) neuronView {
	return neuronView{UID: uid, Hotkey: m.signer.Address(), Address: m.addr, TLSFingerprint: m.srv.TLSFingerprint(), ModelSHA256: onnx.HashBytes(file), ModelSize: uint64(len(file))}
}

// counter returns the value of the axon counter name with label=value.
func (m *minerAxon) counter(t *testing.T, name, label, value string) float64 {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, x := range f.GetMetric() {
			for _, l := range x.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return x.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// testValidator is a validator's verification, scores and weights with a
// real axon client, without a chain: snap is its metagraph.
type testValidator struct {
	*Validator
	vf  *verifier
	now *time.Time
}

func newAxonValidator(t *testing.T, seed string, snap *snapshot, mod func(*VerifyConfig)) *testValidator {
	t.Helper()
	if err := onnx.InitRuntime(ortlib.LibraryPath(t)); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg.Verify)
	}
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	signer := keySigner(t, seed)
	client, err := axon.NewClient(signer, testClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	v := &Validator{cfg: cfg, log: slog.New(slog.DiscardHandler), metrics: m, scores: newScoreTable(0.3, nil), hotkey: signer.Address()}
	snap.Self.Hotkey = signer.Address()
	v.snap.Store(snap)
	v.scores.reconcile(snap.Neurons)
	vf := newVerifier(cfg.Verify, testTask, 1, client, v.log, m)
	t.Cleanup(vf.close)
	vf.flag = v.flag
	now := time.Unix(1000, 0)
	vf.now = func() time.Time { return now }
	return &testValidator{Validator: v, vf: vf, now: &now}
}

// answered records a good answer of n (score 0.9) and hands s to the
// verifier, as a scoring step does.
func (tv *testValidator) answered(n neuronView, s sample, permit bool) {
	snap := tv.snap.Load()
	tv.scores.update(n.UID, n.Hotkey, 0.9, time.Unix(0, 0), snap.epoch())
	tv.vf.observe(n, s, permit)
	drain(tv.vf)
}

func axonSnapshot(permit bool, miners ...neuronView) *snapshot {
	hp := subnettypes.DefaultHyperparams()
	self := neuronView{UID: 0, Permit: permit}
	return &snapshot{Height: 50, Subnet: subnettypes.Subnet{Netuid: 1, Hyperparams: hp},
		Neurons: append([]neuronView{self}, miners...), Self: self, SelfFound: true}
}

// TestDodgingMinerOnAxon runs attack 3 through real axons: the dodger's
// axon refuses ModelDownload with PermissionDenied (its metagraph claims the
// validator has no permit) while it answers from model B, committed to A;
// an honest miner serves its model. A permit holder flags the dodger
// download_refused after the grace at its max_refusals-th refusal and gives
// it weight 0; the honest miner keeps its weight. A validator without a
// permit downloads nothing and flags nobody.
func TestDodgingMinerOnAxon(t *testing.T) {
	a, _ := onnxModel(t, 30, 1)
	b, _ := onnxModel(t, 3, 2)
	honestFile, _ := onnxModel(t, 20, 3)
	for _, permit := range []bool{true, false} {
		t.Run(map[bool]string{true: "permit holder", false: "no permit"}[permit], func(t *testing.T) {
			honest := startMinerAxon(t, "honest", honestFile, nil)
			dodger := startMinerAxon(t, "dodger", a, nil)
			hv, dv := honest.view(1, honestFile), dodger.view(2, a)
			tv := newAxonValidator(t, "validator", axonSnapshot(permit, hv, dv), nil)
			honest.meta.SetNeuron(1, tv.hotkey, axon.NeuronInfo{UID: 0, Stake: 1, ValidatorPermit: permit})
			dodger.meta.SetNeuron(1, tv.hotkey, axon.NeuronInfo{UID: 0, Stake: 1}) // "no permit", for ever

			rng := rand.New(rand.NewPCG(7, 7))
			start := *tv.now
			attempts := 0
			for ; attempts < 40 && tv.scores.snapshot()[2].FlagReason == ""; attempts++ {
				tv.answered(hv, answers(t, honestFile, rng), permit)
				tv.answered(dv, answers(t, b, rng), permit)
				*tv.now = tv.now.Add(retryBase)
				if tv.now.Sub(start) > tv.cfg.Verify.PermitGrace {
					*tv.now = tv.now.Add(retryMax)
				}
			}
			scores := tv.scores.snapshot()
			row, err := tv.weightRow(tv.snap.Load().epoch())
			if err != nil {
				t.Fatal(err)
			}
			weights := map[uint32]uint32{}
			for i, uid := range row.UIDs {
				weights[uid] = row.Values[i]
			}
			refusals := value(tv.metrics.downloads.WithLabelValues("refused"))
			t.Logf("after %d rounds (%s of fake time): dodger flag %q, %v refusals counted; weights %v",
				attempts, tv.now.Sub(start), scores[2].FlagReason, refusals, weights)
			matches := value(tv.metrics.checks.WithLabelValues(checkMatch))
			if !permit {
				if scores[2].FlagReason != "" || scores[1].FlagReason != "" || weights[2] == 0 || matches != 0 {
					t.Fatalf("without a permit: flags %q/%q, weights %v, %v checks; want no flag, no check, both weighted",
						scores[1].FlagReason, scores[2].FlagReason, weights, matches)
				}
				return
			}
			if scores[2].FlagReason != reasonRefused || weights[2] != 0 || refusals != float64(tv.cfg.Verify.MaxRefusals) {
				t.Fatalf("dodger: flag %q, weight %d, %v refusals counted; want %q, 0, %d", scores[2].FlagReason, weights[2],
					refusals, reasonRefused, tv.cfg.Verify.MaxRefusals)
			}
			if scores[1].FlagReason != "" || weights[1] != 65535 || matches == 0 {
				t.Fatalf("honest miner: flag %q, weight %d, %v matching checks", scores[1].FlagReason, weights[1], matches)
			}
		})
	}
}

// stallDownload opens a ModelDownload stream to m as signer over a
// connection of its own with the smallest flow-control windows, waits for
// its headers (sent with the first chunk, or with a refusal) and returns it
// unread.
func stallDownload(t *testing.T, m *minerAxon, signer axon.Signer) axonpb.Axon_ModelDownloadClient {
	t.Helper()
	conn, err := grpc.NewClient(m.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	target := axon.AxonTarget{Hotkey: m.signer.Address(), Netuid: 1, Address: m.addr}
	stub := axonpb.NewAxonClient(conn)
	sess, err := axon.OpenSession(context.Background(), stub, signer, target, testChainID, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := stub.ModelDownload(context.Background(), &axonpb.ModelDownloadRequest{Header: sess.Header(axon.MethodModelDownload, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatalf("stalled stream headers: %v", err)
	}
	return stream
}

// TestStalledDownloadsOnAxon runs attack 4 through a real axon with two
// download slots, as before issue 15: a permit holder opens two streams of
// an honest miner's model (about 150 KB, more than a flow-control window)
// and never reads them. Its second stream is refused, two honest
// validators download and verify the model while its first one stalls, the
// stalled stream is cut, and no honest miner is flagged.
func TestStalledDownloadsOnAxon(t *testing.T) {
	if err := onnx.InitRuntime(ortlib.LibraryPath(t)); err != nil {
		t.Fatal(err)
	}
	train, held, err := digits.LoadDigitsSplit(ortlib.DigitsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := digits.DefaultTrainOptions()
	opts.Epochs, opts.Hidden = 0, 512
	big, err := digits.Train(train, held, opts)
	if err != nil {
		t.Fatal(err)
	}
	file, err := big.MarshalONNX()
	if err != nil {
		t.Fatal(err)
	}
	miner := startMinerAxon(t, "honest", file, func(c *axon.ServerConfig) {
		c.MaxConcurrentDownloads, c.DownloadChunkBytes, c.DownloadMinBytesPerSec = 2, 16<<10, 1<<20 // chunk budget 1 s
		// the stalling caller builds its requests by hand on a plaintext stub
		c.TLS = axon.TLSOff
	})
	mv := miner.view(1, file)
	attacker := keySigner(t, "attacker")
	miner.meta.SetNeuron(1, attacker.Address(), axon.NeuronInfo{UID: 5, Stake: 1, ValidatorPermit: true})
	start := time.Now()
	stallDownload(t, miner, attacker)
	// the second is refused at once: Recv returns the refusal without reading data
	if _, err := stallDownload(t, miner, attacker).Recv(); status.Code(err) != codes.ResourceExhausted ||
		!strings.Contains(err.Error(), "one per hotkey") {
		t.Fatalf("second stalled stream: %v, want ResourceExhausted (one per hotkey)", err)
	}

	rng := rand.New(rand.NewPCG(8, 8))
	for _, seed := range []string{"validator-1", "validator-2"} {
		tv := newAxonValidator(t, seed, axonSnapshot(true, mv), func(c *VerifyConfig) { c.PermitGrace = 0 })
		miner.meta.SetNeuron(1, tv.hotkey, axon.NeuronInfo{UID: 0, Stake: 1, ValidatorPermit: true})
		began := time.Now()
		tv.answered(mv, answers(t, file, rng), true)
		took := time.Since(began)
		score := tv.scores.snapshot()[1]
		if got := value(tv.metrics.downloads.WithLabelValues("ok")); got != 1 || score.FlagReason != "" ||
			value(tv.metrics.checks.WithLabelValues(checkMatch)) != 1 {
			t.Fatalf("%s: %v downloads, flag %q; want the model downloaded and checked, no flag", seed, got, score.FlagReason)
		}
		t.Logf("%s downloaded and verified the %d-byte model beside the stalled stream in %s", seed, len(file), took)
	}
	deadline := time.Now().Add(30 * time.Second)
	for miner.counter(t, "tensorcosm_axon_model_downloads_cut_total", "kind", "stalled") < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the stalled stream was not cut within 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the stalled stream was cut %s after it opened", time.Since(start))
}
