package loadgen

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	jsonrpcclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Generator runs one load: setup, the measured load, and the report.
type Generator struct {
	cfg     Config
	log     *slog.Logger
	out     io.Writer
	keyring keyring.Keyring
	client  *chainclient.Client
	txs     txtypes.ServiceClient
	rpc     *rpchttp.HTTP
	denom   string
	cold    *account
	subnets []*subnetLoad
	workers []*worker
	stats   *stats
	track   tracker

	mu       sync.Mutex // guards the chain view below
	height   int64      // last block processed by the watcher
	newBlock chan struct{}
	blocks   []blockRecord
}

// New connects to the node and derives the keys; it sends nothing.
func New(cfg Config, log *slog.Logger, out io.Writer) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	enc, err := chainclient.NewEncoding()
	if err != nil {
		return nil, err
	}
	kr, err := keyring.New("tensorcosm", keyring.BackendTest, cfg.KeyringDir, nil, enc.Codec)
	if err != nil {
		return nil, fmt.Errorf("keyring in %s: %w", cfg.KeyringDir, err)
	}
	client, err := chainclient.New(chainclient.Config{GRPCAddr: cfg.GRPCAddr, ChainID: cfg.ChainID, GasLimit: setupGas}, kr)
	if err != nil {
		return nil, err
	}
	hc, err := jsonrpcclient.DefaultHTTPClient(cfg.RPCAddr)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("rpc client: %w", err)
	}
	hc.Transport = retryReads{next: hc.Transport}
	rpc, err := rpchttp.NewWithClient(cfg.RPCAddr, "/websocket", hc)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("rpc client: %w", err)
	}
	g := &Generator{
		cfg: cfg, log: log, out: out, keyring: kr, client: client, rpc: rpc,
		txs: txtypes.NewServiceClient(client.Conn()), denom: types.DefaultDenom,
		stats: newStats(), track: tracker{pending: map[[32]byte]*sentTx{}}, newBlock: make(chan struct{}),
	}
	if err := g.deriveKeys(); err != nil {
		_ = client.Close()
		return nil, err
	}
	return g, nil
}

// deriveKeys creates the coldkey, the subnets (commit-reveal ones first)
// and a worker per hotkey.
func (g *Generator) deriveKeys() error {
	var err error
	if g.cold, err = newAccount(g.cfg.Seed, "coldkey"); err != nil {
		return err
	}
	for i := range g.cfg.Subnets {
		s := &subnetLoad{commitReveal: i < g.cfg.CommitRevealSubnets}
		for j := range g.cfg.Validators {
			acct, err := newAccount(g.cfg.Seed, fmt.Sprintf("hotkey-%d-%d", i, j))
			if err != nil {
				return err
			}
			w := &worker{g: g, s: s, acct: acct, slots: make(chan struct{}, g.cfg.Depth),
				rng: newRNG(uint64(i*g.cfg.Validators + j))}
			s.workers = append(s.workers, w)
			g.workers = append(g.workers, w)
		}
		g.subnets = append(g.subnets, s)
	}
	return nil
}

// Close closes the connections.
func (g *Generator) Close() error { return g.client.Close() }

// Run sets up the subnets, runs the load for the configured duration,
// waits for the accepted transactions and reports.
func (g *Generator) Run(ctx context.Context) (*Report, error) {
	setupStart := time.Now()
	if err := g.setup(ctx); err != nil {
		return nil, err
	}
	g.log.Info("setup done", "took", time.Since(setupStart).Round(time.Millisecond))
	st, err := g.rpc.Status(ctx)
	if err != nil {
		return nil, err
	}
	from, fromTime := st.SyncInfo.LatestBlockHeight, st.SyncInfo.LatestBlockTime
	g.mu.Lock()
	g.height = from
	g.mu.Unlock()

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchErr := make(chan error, 1)
	go func() { watchErr <- g.watch(watchCtx) }()
	profiled := g.profile(ctx)
	to, cpu, err := g.load(ctx, watchErr, from)
	if err == nil {
		err = g.drain(ctx, watchErr, to)
	}
	if err != nil {
		return nil, err
	}
	stopWatch()
	if err := <-watchErr; err != nil {
		return nil, fmt.Errorf("block watcher: %w", err)
	}
	if err := g.collectResults(ctx); err != nil {
		return nil, err
	}
	if err := <-profiled; err != nil {
		g.log.Warn("no CPU profile of the node", "err", err)
	}
	return g.report(from, to, fromTime, cpu), nil
}

// load runs every worker for the configured duration and returns the last
// height committed by then and the CPU used meanwhile.
func (g *Generator) load(ctx context.Context, watchErr <-chan error, from int64) (int64, CPUUse, error) {
	g.log.Info("load started", "hotkeys", len(g.workers), "duration", g.cfg.Duration, "from_height", from)
	cpu0 := sampleCPU(g.cfg.NodePID)
	loadCtx, stopLoad := context.WithTimeout(ctx, g.cfg.Duration)
	defer stopLoad()
	var wg sync.WaitGroup
	for _, w := range g.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(loadCtx)
		}()
	}
	err := g.progress(loadCtx, watchErr, from)
	stopLoad()
	wg.Wait()
	cpu := cpuBetween(cpu0, sampleCPU(g.cfg.NodePID), g.cfg.NodePID > 0)
	if err != nil {
		return 0, cpu, err
	}
	st, err := g.rpc.Status(ctx)
	if err != nil {
		return 0, cpu, err
	}
	return st.SyncInfo.LatestBlockHeight, cpu, nil
}

// profile starts capturing the node's CPU profile over the load, when
// asked; the channel reports the outcome.
func (g *Generator) profile(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	if g.cfg.CPUProfile == "" {
		done <- nil
		return done
	}
	go func() {
		err := captureProfile(ctx, g.cfg.NodePprof, g.cfg.CPUProfile, g.cfg.Duration)
		if err == nil {
			g.log.Info("node CPU profile written", "file", g.cfg.CPUProfile)
		}
		done <- err
	}()
	return done
}

// progress prints a line every Progress interval until ctx ends.
func (g *Generator) progress(ctx context.Context, watchErr <-chan error, from int64) error {
	start := time.Now()
	tick := time.NewTicker(g.cfg.Progress)
	defer tick.Stop()
	lastIncluded := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-watchErr:
			return fmt.Errorf("block watcher: %w", err)
		case <-tick.C:
		}
		h, included := g.included(from)
		sent, accepted, rejected, _ := g.stats.snapshot()
		mempool := -1
		if r, err := g.rpc.NumUnconfirmedTxs(ctx); err == nil {
			mempool = r.Total
		}
		fmt.Fprintf(g.out, "[%3.0fs] height %d  sent %d  accepted %d  rejected %d  included %d  (%.0f tx/s over the last %s)  waiting %d  mempool %d\n",
			time.Since(start).Seconds(), h, sum(sent), sum(accepted), sum(rejected), included,
			float64(included-lastIncluded)/g.cfg.Progress.Seconds(), g.cfg.Progress, g.track.len(), mempool)
		lastIncluded = included
	}
}

// included returns the last processed height and the number of the
// generator's transactions in blocks after from.
func (g *Generator) included(from int64) (int64, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, b := range g.blocks {
		if b.height > from {
			n += b.ours()
		}
	}
	return g.height, n
}

// drain waits until the watcher has passed height to and every accepted
// transaction is in a block (or counted lost), or for DrainTimeout.
func (g *Generator) drain(ctx context.Context, watchErr <-chan error, to int64) error {
	deadline := time.After(g.cfg.DrainTimeout)
	for {
		h, next := g.chainHeight()
		if h >= to && g.track.len() == 0 {
			return nil
		}
		select {
		case <-next:
		case err := <-watchErr:
			return fmt.Errorf("block watcher: %w", err)
		case <-deadline:
			g.log.Warn("stopped waiting for accepted transactions", "waiting", g.track.len())
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func sum(xs [numKinds]int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
