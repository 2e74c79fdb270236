// Package miner is the tensorcosm-miner daemon: it serves an ONNX model on
// an axon, registers and announces its hotkey on chain, and keeps the
// axon's view of the subnet's neurons fresh.
package miner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Miner is one running miner: a model, a hotkey and an axon.
type Miner struct {
	cfg     Config
	log     *slog.Logger
	base    *slog.Logger // without the miner's fields, for the axon
	reg     prometheus.Registerer
	metrics *metrics
	keyring keyring.Keyring
	hotkey  string
	signer  *axon.KeyringSigner
	session *onnx.Session
	chain   *chainclient.Client
	account *neuron.Account
	view    *neuron.MetagraphView
	meta    *axon.StaticMetagraph // the axon's adapter, fed by view
	lock    *os.File              // holds state_dir
	now     func() time.Time

	// host and port are announced on chain; announceAfter is the height from
	// which a refused announcement is tried again. Startup sets them, then
	// only the refresh loop uses them.
	host          string
	port          uint32
	announceAfter int64

	// committedAt is the inclusion height of this miner's last announcement:
	// the axon never stamps a receipt leaf below it, so every receipt names
	// a height at which the chain already held the model commitment and
	// `tensorcosmd receipt verify` can find it there.
	committedAt atomic.Int64

	srv         atomic.Pointer[axon.Server] // set once startup built it
	life        *neuron.Lifecycle           // /metrics, /healthz, ready: the axon serves
	lastRefresh atomic.Int64                // unix nanoseconds of the last good refresh
	ready       atomic.Bool                 // startup finished, the axon serves
	axonAddr    atomic.Pointer[string]
}

// New checks cfg, loads the model and opens the keyring; it talks to no
// chain. Metrics go to reg; /metrics serves reg when it is also a
// prometheus.Gatherer (a *prometheus.Registry), else the default gatherer.
// A nil reg gets a fresh registry.
func New(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Miner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("miner: invalid config: %w", err)
	}
	cfg.Axon.Netuid = cfg.Netuid
	cfg.Axon.ChainID = cfg.Chain.ChainID
	if cfg.Axon.TLSDir == "" {
		cfg.Axon.TLSDir = filepath.Join(cfg.StateDir, TLSDir)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Miner{cfg: cfg, reg: reg, meta: axon.NewStaticMetagraph(), now: time.Now}
	m.life = neuron.NewLifecycle(neuron.Gatherer(reg), "not serving")
	var err error
	if m.metrics, err = newMetrics(reg); err != nil {
		return nil, err
	}
	if err := m.openKeys(); err != nil {
		return nil, err
	}
	m.base = logger
	m.log = logger.With("component", "miner", "hotkey", m.hotkey, "netuid", cfg.Netuid)
	cfg.Keyring.WarnDev(m.log, cfg.Dev)
	if m.lock, err = neuron.LockStateDir(cfg.StateDir); err != nil {
		return nil, fmt.Errorf("miner: %w", err)
	}
	if err := m.loadModel(); err != nil {
		_ = m.lock.Close()
		return nil, err
	}
	m.chain, err = cfg.Chain.Client(m.keyring)
	if err == nil {
		m.account, err = neuron.NewAccount(m.chain, m.keyring, cfg.Keyring, cfg.Netuid, m.log)
	}
	if err != nil {
		_ = m.session.Close()
		if m.chain != nil {
			_ = m.chain.Close()
		}
		_ = m.lock.Close()
		return nil, fmt.Errorf("miner: %w", err)
	}
	m.account.OnTx = m.metrics.tx
	m.view = neuron.NewMetagraphView(m.account.Query, cfg.Netuid, neuron.MetagraphOptions{
		Interval: cfg.MetagraphRefresh, OnRefresh: m.refreshed, Now: func() time.Time { return m.now() }})
	m.view.Subscribe(m.serveMetagraph)
	return m, nil
}

func (m *Miner) openKeys() error {
	k := m.cfg.Keyring
	var err error
	if m.keyring, err = k.Open(); err != nil {
		return fmt.Errorf("miner: %w", err)
	}
	if m.signer, err = axon.NewKeyringSigner(m.keyring, k.Hotkey); err != nil {
		return fmt.Errorf("miner: hotkey: %w", err)
	}
	m.hotkey = m.signer.Address()
	if m.cfg.Register {
		if _, err := neuron.KeyAddress(m.keyring, k.Coldkey); err != nil {
			return fmt.Errorf("miner: coldkey: %w", err)
		}
	}
	return nil
}

func (m *Miner) loadModel() error {
	mc := m.cfg.Model
	if err := onnx.InitRuntime(mc.ONNXRuntimeLib); err != nil {
		return fmt.Errorf("miner: %w", err)
	}
	var err error
	m.session, err = onnx.LoadSession(mc.Path, onnx.SessionOptions{Device: onnx.Device(mc.Device),
		DeviceID: mc.DeviceID, IntraOpThreads: mc.IntraOpThreads, Logger: m.log})
	if err != nil {
		return fmt.Errorf("miner: model: %w", err)
	}
	m.metrics.modelInfo.WithLabelValues(m.session.SHA256(), string(m.session.Device())).Set(1)
	m.log.Info("model loaded", "path", mc.Path, "sha256", m.session.SHA256(), "size", m.session.Size(),
		"device", string(m.session.Device()))
	return nil
}

// Hotkey is the miner's hotkey address.
func (m *Miner) Hotkey() string { return m.hotkey }

// AxonAddr is the address the axon listens on, "" until Run has bound it.
func (m *Miner) AxonAddr() string {
	if s := m.axonAddr.Load(); s != nil {
		return *s
	}
	return ""
}

// MetricsAddr is the address of /metrics and /healthz, "" until Run has bound it.
func (m *Miner) MetricsAddr() string { return m.life.Addr() }

// Run starts the miner and blocks until ctx ends, then stops gracefully:
// the axon answers its in-flight requests (up to axon.shutdown_timeout).
// Startup checks the model against the subnet's task, registers the hotkey
// if needed and allowed, reads the metagraph and announces the axon when
// the chain's record differs. Run may be called once; it closes the model
// and the chain connection, and unlocks state_dir, when it returns.
func (m *Miner) Run(ctx context.Context) error {
	defer func() {
		_ = m.chain.Close()
		_ = m.session.Close()
		_ = m.lock.Close()
	}()
	axonLis, err := m.listen(ctx)
	if err != nil {
		return err
	}
	srv, err := m.startup(ctx, axonLis)
	if err != nil {
		_ = axonLis.Close()
		_ = m.life.Close()
		if ctx.Err() != nil {
			return nil // stopped during startup, as asked
		}
		return fmt.Errorf("miner: %w", err)
	}
	err = m.life.Serve(ctx, m.health, func(ctx context.Context) error { return m.serveAxon(ctx, srv, axonLis) }, m.view.Run)
	m.log.Info("miner stopped", "error", err)
	return err
}

func (m *Miner) listen(ctx context.Context) (net.Listener, error) {
	if err := m.life.Listen(ctx, m.cfg.MetricsListenAddress); err != nil {
		return nil, fmt.Errorf("miner: %w", err)
	}
	var lc net.ListenConfig
	axonLis, err := lc.Listen(ctx, "tcp", m.cfg.Axon.ListenAddress)
	if err != nil {
		_ = m.life.Close()
		return nil, fmt.Errorf("miner: axon listener: %w", err)
	}
	a := axonLis.Addr().String()
	m.axonAddr.Store(&a)
	return axonLis, nil
}

// startup runs the chain side of the startup and builds the axon server.
func (m *Miner) startup(ctx context.Context, axonLis net.Listener) (*axon.Server, error) {
	res, err := m.account.Query.Subnet(ctx, &subnettypes.QuerySubnetRequest{Netuid: m.cfg.Netuid})
	if err != nil {
		return nil, fmt.Errorf("query subnet %d at %s: %w", m.cfg.Netuid, m.cfg.Chain.GRPCAddress, err)
	}
	task := res.Subnet.Task
	if err := CheckTask(task, m.session.Inputs(), m.session.Outputs()); err != nil {
		return nil, fmt.Errorf("model %s: %w", m.cfg.Model.Path, err)
	}
	n, err := m.account.EnsureRegistered(ctx, m.cfg.Register, m.cfg.MaxBurn)
	if err != nil {
		return nil, err
	}
	m.log.Info("hotkey registered in subnet", "uid", n.Uid, "task", task.Kind)
	m.metrics.registered.Set(1)
	if err := m.refresh(ctx); err != nil {
		return nil, err
	}
	if res.Subnet.Hyperparams.ModelDownload && !m.cfg.Axon.ServeModelDownload {
		// the subnet's validators verify miners by downloading their model
		m.log.Info("serving ModelDownload to validators: the subnet has model_download on")
		m.cfg.Axon.ServeModelDownload = true
	}
	sm, err := NewSessionModel(m.session, m.cfg.Model.Path, task.Kind)
	if err != nil {
		return nil, err
	}
	// built before the announcement, which carries its TLS fingerprint
	srv, err := axon.NewServer(m.cfg.Axon, sm, m.meta, m.signer, m.base, m.reg)
	if err != nil {
		return nil, err
	}
	m.srv.Store(srv)
	host, port, err := m.announced(axonLis.Addr())
	if err != nil {
		return nil, err
	}
	switch sent, err := m.announce(ctx, n, host, port); {
	case servingRateLimited(err):
		// served too recently under another address: serve now, and let the
		// refresh loop announce this one when the rate limit allows
		m.announceAfter = m.nextAnnounce(ctx, n, m.meta.BlockHeight(), err)
	case err != nil:
		return nil, err
	case !sent:
		m.log.Info("chain already holds this axon and model", "host", host, "port", port, "sha256", m.session.SHA256())
	}
	m.host, m.port = host, port
	return srv, nil
}

// announced returns the host and port to publish: the configured ones, or
// those of the bound listener.
func (m *Miner) announced(bound net.Addr) (string, uint32, error) {
	host, portStr, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "", 0, err
	}
	if h := m.cfg.Announce.Host; h != "" {
		host = h
	} else if cfgHost, _, _ := net.SplitHostPort(m.cfg.Axon.ListenAddress); cfgHost != "" {
		host = cfgHost // keep a configured name rather than the resolved IP
	}
	if p := m.cfg.Announce.Port; p != 0 {
		return host, p, nil
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	return host, uint32(port), err
}

func (m *Miner) serveAxon(ctx context.Context, srv *axon.Server, lis net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	m.ready.Store(true)
	srv.SetServing(true) // the model is loaded and the hotkey registered
	m.life.SetReady(true)
	select {
	case err := <-served:
		_ = srv.Shutdown(context.WithoutCancel(ctx))
		return err
	case <-ctx.Done():
	}
	m.ready.Store(false)
	m.life.SetReady(false)
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.Axon.ShutdownTimeout)
	defer cancel()
	stopErr := srv.Shutdown(stopCtx)
	return errors.Join(<-served, stopErr)
}

// health fails while the metagraph is stale (not refreshed within three
// intervals); the lifecycle answers 503 before the axon serves.
func (m *Miner) health() error {
	if age := m.now().Sub(time.Unix(0, m.lastRefresh.Load())); age > 3*m.cfg.MetagraphRefresh {
		return fmt.Errorf("metagraph stale: last refreshed %s ago", age.Round(time.Second))
	}
	return nil
}

// ParseLogLevel parses debug, info, warn or error.
func ParseLogLevel(s string) (slog.Level, error) { return neuron.ParseLogLevel(s) }
