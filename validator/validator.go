// Package validator is the tensorcosm-validator daemon: it keeps the
// subnet's metagraph, challenges miners with fresh challenges of the
// subnet's task (reached through the task registry: the binary links the
// kinds in), scores their answers into a moving average per UID, checks answers against the models
// miners committed to, and commits then reveals weights every tempo.
package validator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
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
	metrics *metrics
	hotkey  string
	chain   *chainclient.Client
	account *neuron.Account
	grpc    *grpcChain
	view    *neuron.MetagraphView // read on demand by chainLoop; apply follows it
	state   *stateDir
	scores  *scoreTable
	client  *axon.Client
	scorer  *scorer
	weights *weightSetter
	now     func() time.Time

	snap     atomic.Pointer[snapshot]
	resync   atomic.Bool       // a metagraph read was asked for
	height   atomic.Int64      // latest block height read
	lastPoll atomic.Int64      // unix ns of the last good height read
	lastStep atomic.Int64      // unix ns of the last finished step
	steps    atomic.Int64      // steps finished since Run started
	life     *neuron.Lifecycle // /metrics, /healthz, ready: startup finished
}

// New checks cfg, opens the keyring and locks and reads state_dir (the scores and commits of a previous run); it talks
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
	v := &Validator{cfg: cfg, life: neuron.NewLifecycle(neuron.Gatherer(reg), "starting"), now: time.Now}
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
	if err := v.open(kr, signer); err != nil {
		v.close()
		return nil, fmt.Errorf("validator: %w", err)
	}
	return v, nil
}

// open locks the state directory, reads it, and builds the clients and
// the parts that use them.
func (v *Validator) open(kr keyring.Keyring, signer axon.Signer) error {
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
	v.view = neuron.NewMetagraphView(v.account.Query, v.cfg.Netuid, neuron.MetagraphOptions{OnRefresh: v.synced,
		Now: func() time.Time { return v.now() }})
	v.view.Subscribe(v.apply)
	opts := axon.DefaultClientOptions()
	opts.Timeout, opts.MaxModelBytes = max(v.cfg.QueryTimeout, downloadTimeout), v.cfg.Verify.MaxModelBytes
	opts.ChainID = v.cfg.Chain.ChainID
	if v.client, err = axon.NewClient(signer, opts); err != nil {
		return err
	}
	v.scorer = &scorer{cfg: v.cfg, client: v.client, scores: v.scores, metrics: v.metrics, log: v.log,
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
func (v *Validator) MetricsAddr() string { return v.life.Addr() }

// Scores returns the validator's current score of every UID, by UID.
func (v *Validator) Scores() []Score { return v.scores.snapshot() }

// Run starts the validator and blocks until ctx ends, then stops
// gracefully: queries in flight are cancelled, a weight transaction in
// flight completes (up to chain.tx_timeout), and the scores are saved.
// Startup reads the subnet and instantiates its task from the registry
// (an unknown kind fails with the list of known ones, see
// ErrUnsupportedTask; the task loads its data), registers and stakes as
// configured, and reads the metagraph. Run may be called
// once; it releases state_dir when it returns.
func (v *Validator) Run(ctx context.Context) error {
	defer v.close()
	if err := v.life.Listen(ctx, v.cfg.MetricsListenAddress); err != nil {
		return fmt.Errorf("validator: %w", err)
	}
	if err := v.startup(ctx); err != nil {
		_ = v.life.Close()
		if ctx.Err() != nil {
			return nil // stopped during startup, as asked
		}
		return fmt.Errorf("validator: %w", err)
	}
	v.life.SetReady(true)
	components := []func(context.Context) error{v.chainLoop, v.stepLoop}
	if vf := v.scorer.verify; vf != nil {
		components = append(components, vf.run)
	}
	err := v.life.Serve(ctx, v.health, components...)
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
	inst, err := task.Instantiate(subnet.Task, v.cfg.TaskEnv(subnet.Task.Kind))
	if err != nil {
		return fmt.Errorf("%w: subnet %d: %w", ErrUnsupportedTask, v.cfg.Netuid, err)
	}
	v.scorer.task = inst
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
	vf := newVerifier(v.cfg.Verify, subnet.Task, v.cfg.Netuid, v.client, v.log, v.metrics)
	vf.flag = v.flag
	v.scorer.verify = vf
	v.log.Info("model verification on", "mode", mode, "subnet_model_download", subnet.Hyperparams.ModelDownload,
		"sample", v.cfg.Verify.Sample, "tolerance", v.cfg.Verify.Tolerance)
	return nil
}
