// Package validator is the tensorcosm-validator daemon: it keeps the
// subnet's metagraph, challenges miners with perturbed digits, scores their
// answers into a moving average per UID, checks answers against the models
// miners committed to, and commits then reveals weights every tempo.
package validator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// ErrNotRegistered is returned by Run when the hotkey is not registered in
// the subnet and register is false.
var ErrNotRegistered = neuron.ErrNotRegistered

// pollInterval is how often the latest block height is read; the metagraph
// sync and the weights follow it.
const pollInterval = 500 * time.Millisecond

// Validator is one running validator.
type Validator struct {
	cfg     Config
	log     *slog.Logger
	gather  prometheus.Gatherer
	metrics *metrics
	hotkey  string
	chain   *chainclient.Client
	account *neuron.Account
	grpc    *grpcChain
	state   *stateDir
	scores  *scoreTable
	client  *axon.Client
	scorer  *scorer
	weights *weightSetter
	now     func() time.Time

	snap     atomic.Pointer[snapshot]
	resync   atomic.Bool  // a metagraph read was asked for
	height   atomic.Int64 // latest block height read
	lastPoll atomic.Int64 // unix ns of the last good height read
	lastStep atomic.Int64 // unix ns of the last finished step
	steps    atomic.Int64 // steps finished since Run started
	ready    atomic.Bool  // startup finished
	httpAddr atomic.Pointer[string]
}

// New checks cfg, opens the keyring, loads the evaluation data and locks
// and reads state_dir (the scores and commits of a previous run); it talks
// to no chain. Metrics go to reg; /metrics serves reg when it is also a
// prometheus.Gatherer, else the default gatherer. A nil reg gets a fresh
// registry.
func New(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Validator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validator: invalid config: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	v := &Validator{cfg: cfg, gather: neuron.Gatherer(reg), now: time.Now}
	var err error
	if v.metrics, err = newMetrics(reg); err != nil {
		return nil, err
	}
	kr, err := cfg.Keyring.Open()
	if err != nil {
		return nil, fmt.Errorf("validator: %w", err)
	}
	signer, err := axon.NewKeyringSigner(kr, cfg.Keyring.Hotkey)
	if err != nil {
		return nil, fmt.Errorf("validator: hotkey: %w", err)
	}
	v.hotkey = signer.Address()
	if cfg.coldkeyNeededWhen() != "" {
		if _, err := neuron.KeyAddress(kr, cfg.Keyring.Coldkey); err != nil {
			return nil, fmt.Errorf("validator: coldkey: %w", err)
		}
	}
	v.log = logger.With("component", "validator", "hotkey", v.hotkey, "netuid", cfg.Netuid)
	cfg.Keyring.WarnDev(v.log, cfg.Dev)
	data, err := loadEvalSet(cfg.Data.DigitsPath)
	if err != nil {
		return nil, fmt.Errorf("validator: evaluation data: %w", err)
	}
	if err := v.open(kr, signer, data); err != nil {
		v.close()
		return nil, fmt.Errorf("validator: %w", err)
	}
	return v, nil
}

// open locks the state directory, reads it, and builds the clients and
// the parts that use them.
func (v *Validator) open(kr keyring.Keyring, signer axon.Signer, data *evalSet) error {
	var err error
	if v.state, err = openStateDir(v.cfg.StateDir, v.cfg.Netuid, v.hotkey); err != nil {
		return err
	}
	saved, err := v.state.loadScores()
	if err != nil {
		return err
	}
	records, err := v.state.loadCommits()
	if err != nil {
		return err
	}
	seed, err := v.state.challengeSeed()
	if err != nil {
		return err
	}
	v.scores = newScoreTable(v.cfg.EMAAlpha, saved)
	if len(saved) > 0 || len(records) > 0 {
		v.log.Info("resuming from state_dir", "dir", v.cfg.StateDir, "scores", len(saved), "commits", len(records))
	}
	if v.chain, err = v.cfg.Chain.Client(kr); err != nil {
		return err
	}
	if v.account, err = neuron.NewAccount(v.chain, kr, v.cfg.Keyring, v.cfg.Netuid, v.log); err != nil {
		return err
	}
	v.account.OnTx = v.metrics.tx
	v.grpc = newGRPCChain(v.account)
	opts := axon.DefaultClientOptions()
	opts.Timeout, opts.MaxModelBytes = max(v.cfg.QueryTimeout, downloadTimeout), v.cfg.Verify.MaxModelBytes
	opts.ChainID = v.cfg.Chain.ChainID
	if v.client, err = axon.NewClient(signer, opts); err != nil {
		return err
	}
	v.scorer = &scorer{cfg: v.cfg, data: data, client: v.client, scores: v.scores, metrics: v.metrics, log: v.log,
		now: v.now, resync: func() { v.resync.Store(true) }, seed: seed}
	v.weights = &weightSetter{chain: v.grpc, hotkey: v.hotkey, netuid: v.cfg.Netuid, version: v.cfg.VersionKey,
		save: v.state.saveCommits, weights: v.weightRow, ready: func() bool { return v.steps.Load() > 0 },
		log: v.log, metrics: v.metrics, records: records, refused: map[string]int{}, noted: map[string]uint64{}}
	return nil
}

// close releases what open acquired; safe on a partly opened validator.
func (v *Validator) close() {
	if v.client != nil {
		_ = v.client.Close()
	}
	if v.chain != nil {
		_ = v.chain.Close()
	}
	if v.scorer != nil && v.scorer.verify != nil {
		v.scorer.verify.close()
	}
	if v.state != nil {
		_ = v.state.close()
	}
}

// Hotkey is the validator's hotkey address.
func (v *Validator) Hotkey() string { return v.hotkey }

// MetricsAddr is the address of /metrics and /healthz, "" until Run has bound it.
func (v *Validator) MetricsAddr() string {
	if s := v.httpAddr.Load(); s != nil {
		return *s
	}
	return ""
}

// Scores returns the validator's current score of every UID, by UID.
func (v *Validator) Scores() []Score { return v.scores.snapshot() }

// Run starts the validator and blocks until ctx ends, then stops
// gracefully: queries in flight are cancelled, a weight transaction in
// flight completes (up to chain.tx_timeout), and the scores are saved.
// Startup reads the subnet (its task must be the digits task), registers
// and stakes as configured, and reads the metagraph. Run may be called
// once; it releases state_dir when it returns.
func (v *Validator) Run(ctx context.Context) error {
	defer v.close()
	var lc net.ListenConfig
	httpLis, err := lc.Listen(ctx, "tcp", v.cfg.MetricsListenAddress)
	if err != nil {
		return fmt.Errorf("validator: metrics listener: %w", err)
	}
	addr := httpLis.Addr().String()
	v.httpAddr.Store(&addr)
	if err := v.startup(ctx); err != nil {
		_ = httpLis.Close()
		if ctx.Err() != nil {
			return nil // stopped during startup, as asked
		}
		return fmt.Errorf("validator: %w", err)
	}
	v.ready.Store(true)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return v.chainLoop(gctx) })
	g.Go(func() error { return v.stepLoop(gctx) })
	if vf := v.scorer.verify; vf != nil {
		g.Go(func() error { return vf.run(gctx) })
	}
	g.Go(func() error { return neuron.ServeHTTP(gctx, httpLis, v.gather, v.healthz) })
	err = g.Wait()
	v.ready.Store(false)
	if serr := v.saveScores(); serr != nil {
		err = errors.Join(err, serr)
	}
	v.log.Info("validator stopped", "error", err)
	return err
}

// startup checks the subnet, registers and stakes, reads the metagraph and
// sets up verification.
func (v *Validator) startup(ctx context.Context) error {
	subnet, err := v.grpc.Subnet(ctx)
	if err != nil {
		return fmt.Errorf("%w at %s", err, v.cfg.Chain.GRPCAddress)
	}
	if v.scorer.input, v.scorer.output, err = digitsTensors(subnet.Task); err != nil {
		return err
	}
	n, err := v.account.EnsureRegistered(ctx, v.cfg.Register, v.cfg.MaxBurn)
	if err != nil {
		return err
	}
	v.log.Info("hotkey registered in subnet", "uid", n.Uid, "task", subnet.Task.Kind)
	if err := v.account.EnsureStake(ctx, v.cfg.Stake); err != nil {
		return err
	}
	if err := v.sync(ctx); err != nil {
		return err
	}
	return v.setupVerify(subnet)
}

// setupVerify creates the verifier unless verification is off, loading
// ONNX Runtime for it.
func (v *Validator) setupVerify(subnet subnettypes.Subnet) error {
	mode := v.cfg.Verify.Enabled
	if mode == VerifyFalse {
		return nil
	}
	if mode == VerifyTrue && !subnet.Hyperparams.ModelDownload {
		return fmt.Errorf("verify.enabled is true but subnet %d has model_download off: miners do not serve their models (set verify.enabled to auto or false)", v.cfg.Netuid)
	}
	if err := onnx.InitRuntime(v.cfg.ONNXRuntimeLib); err != nil {
		if mode == VerifyTrue {
			return fmt.Errorf("model verification: %w", err)
		}
		v.log.Warn("model verification off: ONNX Runtime unavailable", "error", err)
		return nil
	}
	vf, err := newVerifier(v.cfg.Verify, subnet.Task, v.cfg.Netuid, v.client, v.log, v.metrics)
	if err != nil {
		return err
	}
	vf.flag = v.flag
	v.scorer.verify = vf
	v.log.Info("model verification on", "mode", mode, "subnet_model_download", subnet.Hyperparams.ModelDownload,
		"sample", v.cfg.Verify.Sample, "tolerance", v.cfg.Verify.Tolerance)
	return nil
}
