// Package gateway is tensorcosm-gateway: the users' door to the network. It
// serves the Open Inference Protocol v2 REST API (KServe, Triton, Seldon
// clients) and task-level predict endpoints, routes each request to a
// subnet's miners (weighted by incentive, latency and load, with breakers,
// retries, hedging and redundancy), and hands out every answer with its
// provenance: the miner, its committed model hash, the block height and the
// miner's signed receipt, verified before it leaves.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/gateway/route"
	"github.com/tensorcosm/tensorcosm/gateway/store"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Version is reported by GET /v2.
var Version = "0.1.0"

// Gateway is the daemon. Build it with New, run it with Run.
type Gateway struct {
	cfg      Config
	log      *slog.Logger
	life     *neuron.Lifecycle
	metrics  *metrics
	store    store.Store
	chain    *chainclient.Client
	client   *axon.Client
	hotkey   string
	subnets  []*subnet // in configured order
	auth     *authenticator
	receipts *receiptCache
	now      func() time.Time

	query     subnettypes.QueryClient
	traffic   *traffic
	dashCache *ttlCache // chain reads behind the dashboard's JSON
	verified  *ttlCache // receipt verifications, by receipt id
	history   *recorder // nil when the history is off

	lis     net.Listener
	addr    atomic.Pointer[string]
	httpSrv *http.Server
	closeMu sync.Mutex
}

// subnet is one served subnet: its metagraph, router and task codec.
type subnet struct {
	netuid uint32
	view   *neuron.MetagraphView
	router *route.Router
	state  atomic.Pointer[subnetState]
}

// subnetState is what requests read, replaced whole on every metagraph
// change.
type subnetState struct {
	snap    *neuron.MetagraphSnapshot
	name    string
	inst    task.Instance // nil when the task kind is not linked in or failed to load
	instErr error
	miners  map[string]minerTarget // by route key: hotkey@address#pin
	self    bool                   // the gateway's hotkey is registered here
}

// minerTarget is a candidate miner as the metagraph announces it.
type minerTarget struct {
	uid    uint32
	target axon.AxonTarget
	model  string // hex sha256 committed on chain
}

// New checks cfg, opens the store, the keyring and the chain connection,
// and builds the gateway; it starts nothing.
func New(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gateway: invalid config: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	g := &Gateway{cfg: cfg, life: neuron.NewLifecycle(neuron.Gatherer(reg), "starting"), now: time.Now}
	var err error
	if g.metrics, err = newMetrics(reg); err != nil {
		return nil, err
	}
	kr, err := cfg.Keyring.Open()
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	signer, err := axon.NewKeyringSigner(kr, cfg.Keyring.Hotkey)
	if err != nil {
		return nil, fmt.Errorf("gateway: hotkey: %w", err)
	}
	g.hotkey = signer.Address()
	g.log = logger.With("component", "gateway", "hotkey", g.hotkey)
	cfg.Keyring.WarnDev(g.log, cfg.Dev)
	if err := g.open(signer); err != nil {
		g.close()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return g, nil
}

func (g *Gateway) open(signer axon.Signer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if g.store, err = store.Open(ctx, g.cfg.Store.Driver, g.cfg.StoreDSN()); err != nil {
		return fmt.Errorf("open %s store: %w", g.cfg.Store.Driver, err)
	}
	if g.chain, err = chainclient.New(chainclient.Config{GRPCAddr: g.cfg.Chain.GRPCAddress, ChainID: g.cfg.Chain.ChainID}, nil); err != nil {
		return err
	}
	opts := axon.DefaultClientOptions()
	opts.ChainID, opts.Timeout = g.cfg.Chain.ChainID, g.cfg.MaxRequestTimeout
	opts.ReceiptTimeout = max(g.cfg.ReceiptWait, 10*time.Second)
	if g.client, err = axon.NewClient(signer, opts); err != nil {
		return err
	}
	g.auth = newAuthenticator(g.store, g.cfg.Anonymous, g.cfg.KeyCacheTTL, func() time.Time { return g.now() })
	if g.cfg.UsageFlushInterval > 0 {
		g.auth.usage = newUsageBuffer(g.store, g.cfg.UsageFlushInterval, g.log, g.metrics.usageFlushFailures.Inc)
	}
	g.receipts = newReceiptCache(g.cfg.ReceiptCache)
	query := subnettypes.NewQueryClient(g.chain.Conn())
	g.query = query
	now := func() time.Time { return g.now() }
	g.traffic = newTraffic(now)
	g.dashCache = newTTLCache(g.cfg.Dashboard.CacheTTL, 4096, now)
	g.verified = newTTLCache(10*time.Minute, 4096, now)
	if d := g.cfg.Dashboard; d.Enabled && d.RPCAddress != "" {
		rpc, err := newCometRPC(d.RPCAddress)
		if err != nil {
			return err
		}
		g.history = &recorder{g: g, rpc: rpc, query: query, interval: d.HistoryInterval, backfill: d.BackfillEpochs,
			next: map[uint32]int64{}}
	}
	netuids, _ := g.cfg.Netuids() // checked by Validate
	for _, n := range netuids {
		sn := &subnet{netuid: n, router: route.New(g.cfg.routeConfig(), func() time.Time { return g.now() })}
		g.hookRouter(sn)
		sn.view = neuron.NewMetagraphView(query, n, neuron.MetagraphOptions{Interval: g.cfg.MetagraphInterval,
			OnRefresh: func(_ context.Context, _ *neuron.MetagraphSnapshot, err error) {
				if err != nil {
					g.log.Warn("metagraph read failed; keeping the last one", "netuid", n, "err", err)
				}
			}})
		sn.view.Subscribe(func(_, cur *neuron.MetagraphSnapshot) { g.apply(sn, cur) })
		g.subnets = append(g.subnets, sn)
	}
	return nil
}

// hookRouter feeds the router's events to the metrics.
func (g *Gateway) hookRouter(sn *subnet) {
	model := func() string {
		if st := sn.state.Load(); st != nil {
			return st.name
		}
		return strconv.FormatUint(uint64(sn.netuid), 10)
	}
	sn.router.OnAttempt = func(key string, err error, latency time.Duration) {
		st := sn.state.Load()
		uid := "?"
		if st != nil {
			if m, ok := st.miners[key]; ok {
				uid = strconv.FormatUint(uint64(m.uid), 10)
			}
		}
		result := "ok"
		if err != nil {
			result = "error"
		}
		g.metrics.upstream.WithLabelValues(model(), uid, result).Observe(latency.Seconds())
	}
	sn.router.OnHedge = func() { g.metrics.hedges.WithLabelValues(model()).Inc() }
	sn.router.OnBreaker = func(key, state string) {
		st := sn.state.Load()
		uid := key
		if st != nil {
			if m, ok := st.miners[key]; ok {
				uid = strconv.FormatUint(uint64(m.uid), 10)
			}
		}
		g.metrics.breaker.WithLabelValues(model(), uid).Set(breakerValue(state))
		g.log.Info("miner breaker", "netuid", sn.netuid, "miner", key, "uid", uid, "state", state)
	}
}

// apply installs a new metagraph snapshot: candidates, names, and the task
// codec (rebuilt only when the task spec changed).
func (g *Gateway) apply(sn *subnet, snap *neuron.MetagraphSnapshot) {
	old := sn.state.Load()
	st := &subnetState{snap: snap, name: snap.Subnet.Name, miners: map[string]minerTarget{}}
	if old != nil && old.inst != nil && reflect.DeepEqual(old.snap.Subnet.Task, snap.Subnet.Task) {
		st.inst = old.inst
	} else {
		st.inst, st.instErr = task.Instantiate(snap.Subnet.Task, task.Env{CacheDir: onnx.CacheDir()})
		if st.instErr != nil {
			g.log.Error("task codec unavailable; predict refuses this subnet", "netuid", sn.netuid, "kind",
				snap.Subnet.Task.Kind, "err", st.instErr)
		}
	}
	var cands []route.Candidate
	anyIncentive := false
	for _, ni := range snap.Neurons {
		if ni.Neuron.LastEpoch.Incentive > 0 {
			anyIncentive = true
		}
	}
	for _, ni := range snap.Neurons {
		n := ni.Neuron
		if n.Hotkey == g.hotkey {
			st.self = true
			continue
		}
		a, m := n.Axon, n.Model
		if a == nil || a.Host == "" || a.Port == 0 || a.Port > 65535 || m == nil || m.Sha256 == "" {
			continue
		}
		// keyed by hotkey and endpoint: a miner that comes back on a new
		// address (or certificate) starts with a fresh breaker and latency
		addr := net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10))
		key := n.Hotkey + "@" + addr + "#" + a.TlsFingerprint
		st.miners[key] = minerTarget{uid: n.Uid, model: m.Sha256, target: axon.AxonTarget{Hotkey: n.Hotkey,
			Netuid: sn.netuid, Address: addr, TLSFingerprint: a.TlsFingerprint}}
		w := 1.0 // uniform before the first epoch
		if anyIncentive {
			w = float64(n.LastEpoch.Incentive) / float64(1<<16)
		}
		cands = append(cands, route.Candidate{Key: key, UID: n.Uid, Weight: w})
	}
	slices.SortFunc(cands, func(a, b route.Candidate) int { return int(a.UID) - int(b.UID) })
	sn.router.SetCandidates(cands)
	sn.state.Store(st)
	// the breaker gauge follows the current endpoints (a miner back on a
	// new address starts closed)
	for _, ms := range sn.router.Stats() {
		g.metrics.breaker.WithLabelValues(st.name, strconv.FormatUint(uint64(ms.UID), 10)).Set(breakerValue(ms.Breaker))
	}
	if old == nil || old.self != st.self || len(old.miners) != len(st.miners) {
		lvl := slog.LevelInfo
		if !st.self {
			lvl = slog.LevelWarn
		}
		g.log.Log(context.Background(), lvl, "subnet metagraph", "netuid", sn.netuid, "name", st.name, "height", snap.Height,
			"miners", len(st.miners), "gateway_hotkey_registered", st.self)
	}
}

// subnetFor finds a served subnet by name or netuid.
func (g *Gateway) subnetFor(model string) (*subnet, *subnetState, bool) {
	for _, sn := range g.subnets {
		st := sn.state.Load()
		if strconv.FormatUint(uint64(sn.netuid), 10) == model || (st != nil && st.name == model) {
			return sn, st, st != nil
		}
	}
	return nil, nil, false
}

// Addr is the API's address, "" before Run has bound it.
func (g *Gateway) Addr() string {
	if a := g.addr.Load(); a != nil {
		return *a
	}
	return ""
}

// MetricsAddr is the address of /metrics and /healthz.
func (g *Gateway) MetricsAddr() string { return g.life.Addr() }

// Hotkey is the address the gateway signs as.
func (g *Gateway) Hotkey() string { return g.hotkey }

// Store is the gateway's key and usage store.
func (g *Gateway) Store() store.Store { return g.store }

// Run binds the listeners, reads every metagraph once, serves until ctx
// ends, then drains: /healthz and /v2/health/ready turn 503, in-flight
// requests finish (bounded by the caller's shutdown timeout), and
// everything closes.
func (g *Gateway) Run(ctx context.Context) error {
	defer g.close()
	if err := g.life.Listen(ctx, g.cfg.MetricsListenAddress); err != nil {
		return err
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", g.cfg.ListenAddress)
	if err != nil {
		_ = g.life.Close()
		return fmt.Errorf("api listener: %w", err)
	}
	g.lis = lis
	a := lis.Addr().String()
	g.addr.Store(&a)
	// bounded reads (a trickled body cannot hold a connection), writes that
	// outlast the longest deadline a request may ask for, idle keep-alives
	g.httpSrv = &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: g.cfg.MaxRequestTimeout + 15*time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelWarn)}
	g.log.Info("gateway listening", "api", a, "metrics", g.life.Addr(), "subnets", g.cfg.Subnets,
		"store", g.cfg.Store.Driver, "anonymous", g.cfg.Anonymous, "dashboard", g.cfg.Dashboard.Enabled,
		"epoch_history", g.history != nil)
	components := []func(context.Context) error{g.serveAPI}
	for _, sn := range g.subnets {
		components = append(components, sn.view.Run)
	}
	components = append(components, g.readiness)
	if g.history != nil {
		components = append(components, g.history.run)
	}
	if g.auth.usage != nil {
		components = append(components, g.auth.usage.run)
	}
	err = g.life.Serve(ctx, nil, components...)
	if g.auth.usage != nil {
		// the API has drained: no request adds usage any more
		fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if ferr := g.auth.usage.flush(fctx); ferr != nil {
			g.log.Error("usage counts lost at shutdown: the store refused them", "err", ferr)
		}
	}
	return err
}

// readiness marks the gateway ready once every subnet has a metagraph.
func (g *Gateway) readiness(ctx context.Context) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		ready := true
		for _, sn := range g.subnets {
			if sn.state.Load() == nil {
				ready = false
			}
		}
		if ready && !g.life.Ready() {
			g.life.SetReady(true)
			g.log.Info("gateway ready")
		}
		if ready {
			<-ctx.Done()
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// serveAPI serves the API until ctx ends, then shuts it down gracefully:
// no new connections, in-flight requests run to their end.
func (g *Gateway) serveAPI(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- g.httpSrv.Serve(g.lis) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api server: %w", err)
	case <-ctx.Done():
	}
	g.log.Info("draining API requests")
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
	defer cancel()
	err := g.httpSrv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) {
		err = errors.Join(err, e)
	}
	g.log.Info("API drained")
	return err
}

// close releases what open acquired; safe on a partly opened gateway and
// when called twice.
func (g *Gateway) close() {
	g.closeMu.Lock()
	defer g.closeMu.Unlock()
	if g.client != nil {
		_ = g.client.Close()
		g.client = nil
	}
	if g.chain != nil {
		_ = g.chain.Close()
		g.chain = nil
	}
	if g.store != nil {
		_ = g.store.Close()
		g.store = nil
	}
}
