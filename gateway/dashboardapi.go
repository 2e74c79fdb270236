package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client/grpc/cmtservice"
	querytypes "github.com/cosmos/cosmos-sdk/types/query"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/receiptcheck"
	"github.com/tensorcosm/tensorcosm/gateway/dashboard"
	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Defaults and bounds of GET /v1/subnets/{netuid}/history.
const (
	historyDefaultLimit = 50
	historyMaxLimit     = 1000
	historyDefaultUIDs  = 16
	historyMaxUIDs      = 256
)

// blockTimeSpan is how many blocks the overview's mean block time covers.
const blockTimeSpan = 20

// mountDashboard adds the pages and their JSON API to mux.
func (g *Gateway) mountDashboard(mux *http.ServeMux) {
	pages := dashboard.Handler()
	mux.Handle("GET /{$}", pages)
	mux.Handle("GET /assets/", pages)
	mux.HandleFunc("GET "+dashboard.PathConfig, g.endpoint("dashboard_config", g.dashConfig))
	mux.HandleFunc("GET "+dashboard.PathNetwork, g.endpoint("network", g.dashNetwork))
	mux.HandleFunc("GET "+dashboard.PathMetagraph, g.endpoint("metagraph", g.dashMetagraph))
	mux.HandleFunc("GET "+dashboard.PathWeights, g.endpoint("weights", g.dashWeights))
	mux.HandleFunc("GET "+dashboard.PathHistory, g.endpoint("history", g.dashHistory))
	mux.HandleFunc("GET "+dashboard.PathMiners, g.endpoint("miners", g.dashMiners))
	mux.HandleFunc("GET "+dashboard.PathVerify, g.endpoint("verify_receipt", g.dashVerify))
}

// ttlCache shares chain reads among page views: a value is reused for ttl,
// and concurrent misses of one key share one read. Failed reads are
// dropped, and past maxEntries the stale entries are swept, so keys taken
// from URLs cannot grow it without bound.
type ttlCache struct {
	mu         sync.Mutex
	ttl        time.Duration
	maxEntries int
	now        func() time.Time
	entries    map[string]*cached
}

// errNotFinal marks a value returned to the caller but not kept.
var errNotFinal = errors.New("not final")

type cached struct {
	done chan struct{}
	at   time.Time
	val  any
	err  error
}

func newTTLCache(ttl time.Duration, maxEntries int, now func() time.Time) *ttlCache {
	return &ttlCache{ttl: ttl, maxEntries: maxEntries, now: now, entries: map[string]*cached{}}
}

// get returns key's value, reading it with read when missing or stale.
// Failed reads are not kept; a read failing with errNotFinal returns its
// value with a nil error, uncached.
func (c *ttlCache) get(ctx context.Context, key string, read func(context.Context) (any, error)) (any, error) {
	c.mu.Lock()
	if len(c.entries) >= c.maxEntries {
		c.sweep()
	}
	e, ok := c.entries[key]
	if ok {
		select {
		case <-e.done:
			if e.err != nil || c.now().Sub(e.at) >= c.ttl {
				ok = false
			}
		default: // a read in flight: share it
		}
	}
	if !ok {
		e = &cached{done: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		// detached from the first caller: others may wait for the read
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		e.val, e.err = read(rctx)
		cancel()
		e.at = c.now()
		close(e.done)
		if e.err != nil {
			c.mu.Lock()
			if c.entries[key] == e {
				delete(c.entries, key)
			}
			c.mu.Unlock()
		}
		if errors.Is(e.err, errNotFinal) {
			return e.val, nil
		}
		return e.val, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		if errors.Is(e.err, errNotFinal) {
			return e.val, nil
		}
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sweep drops finished entries past their ttl, then, if still full, every
// finished entry. The caller holds c.mu.
func (c *ttlCache) sweep() {
	now := c.now()
	for k, e := range c.entries {
		select {
		case <-e.done:
			if now.Sub(e.at) >= c.ttl {
				delete(c.entries, k)
			}
		default:
		}
	}
	if len(c.entries) < c.maxEntries {
		return
	}
	for k, e := range c.entries {
		select {
		case <-e.done:
			delete(c.entries, k)
		default:
		}
	}
}

// chainError is a 502 for a failed chain read.
func chainError(what string, err error) *apiError {
	return errorf(http.StatusBadGateway, "reading %s from the node: %v", what, err)
}

func (g *Gateway) dashConfig(_ http.ResponseWriter, _ *http.Request) (string, any, *apiError) {
	served := make([]uint32, 0, len(g.subnets))
	for _, sn := range g.subnets {
		served = append(served, sn.netuid)
	}
	return "", dashboard.Config{ChainID: g.cfg.Chain.ChainID, Version: Version, Anonymous: g.cfg.Anonymous, Served: served}, nil
}

// served returns the served subnet netuid, nil if the gateway does not
// route to it.
func (g *Gateway) served(netuid uint32) *subnet {
	for _, sn := range g.subnets {
		if sn.netuid == netuid {
			return sn
		}
	}
	return nil
}

// pathNetuid parses the {netuid} path value.
func pathNetuid(r *http.Request) (uint32, *apiError) {
	n, err := strconv.ParseUint(r.PathValue("netuid"), 10, 32)
	if err != nil {
		return 0, errorf(http.StatusNotFound, "unknown subnet %q: want a netuid", r.PathValue("netuid"))
	}
	return uint32(n), nil
}

// metagraph is a subnet's metagraph: the served ones' live snapshot, the
// others' read through the cache. A subnet that does not exist is 404.
func (g *Gateway) metagraph(ctx context.Context, netuid uint32) (*neuron.MetagraphSnapshot, *apiError) {
	if sn := g.served(netuid); sn != nil {
		if st := sn.state.Load(); st != nil {
			return st.snap, nil
		}
	}
	v, err := g.dashCache.get(ctx, "metagraph/"+strconv.FormatUint(uint64(netuid), 10), func(ctx context.Context) (any, error) {
		return neuron.ReadMetagraph(ctx, g.query, netuid, g.now)
	})
	if err != nil {
		if isNotFound(err) {
			return nil, errorf(http.StatusNotFound, "subnet %d does not exist", netuid)
		}
		return nil, chainError("the metagraph", err)
	}
	return v.(*neuron.MetagraphSnapshot), nil
}

func isNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), "code = NotFound")
}

func (g *Gateway) dashMetagraph(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	netuid, aerr := pathNetuid(r)
	if aerr != nil {
		return "", nil, aerr
	}
	snap, aerr := g.metagraph(r.Context(), netuid)
	if aerr != nil {
		return "", nil, aerr
	}
	out := dashboard.Metagraph{Netuid: netuid, Name: snap.Subnet.Name, Task: snap.Subnet.Task.Kind, Height: snap.Height,
		Neurons: make([]dashboard.Neuron, 0, len(snap.Neurons))}
	for _, ni := range snap.Neurons {
		n, e := ni.Neuron, ni.Neuron.LastEpoch
		row := dashboard.Neuron{UID: n.Uid, Hotkey: n.Hotkey, Coldkey: n.Coldkey, Stake: ni.Stake.String(), Rank: e.Rank,
			Trust: e.Trust, Consensus: e.Consensus, Incentive: e.Incentive, Dividends: e.Dividends,
			ValidatorTrust: e.ValidatorTrust, Emission: e.Emission.String(), Active: e.Active,
			ValidatorPermit: n.ValidatorPermit, LastUpdate: n.LastUpdate, Registered: n.RegistrationBlock}
		if a := n.Axon; a != nil && a.Host != "" && a.Port != 0 {
			row.Axon, row.TLS = net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10)), a.TlsFingerprint != ""
		}
		if n.Model != nil {
			row.ModelSHA256 = n.Model.Sha256
		}
		out.Neurons = append(out.Neurons, row)
	}
	return snap.Subnet.Name, out, nil
}

func (g *Gateway) dashWeights(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	netuid, aerr := pathNetuid(r)
	if aerr != nil {
		return "", nil, aerr
	}
	snap, aerr := g.metagraph(r.Context(), netuid)
	if aerr != nil {
		return "", nil, aerr
	}
	v, err := g.dashCache.get(r.Context(), "weights/"+strconv.FormatUint(uint64(netuid), 10), func(ctx context.Context) (any, error) {
		out := dashboard.Weights{Netuid: netuid, Height: snap.Height, Rows: []dashboard.WeightRow{}}
		req := &subnettypes.QueryWeightsRequest{Netuid: netuid, Pagination: &querytypes.PageRequest{Limit: 128}}
		for {
			res, err := g.query.Weights(ctx, req)
			if err != nil {
				return nil, err
			}
			for _, w := range res.Weights {
				row := dashboard.WeightRow{UID: w.Uid, UIDs: make([]uint32, 0, len(w.Row.Entries)),
					Weights: make([]uint32, 0, len(w.Row.Entries))}
				for _, e := range w.Row.Entries {
					row.UIDs, row.Weights = append(row.UIDs, e.Uid), append(row.Weights, e.Value)
				}
				out.Rows = append(out.Rows, row)
			}
			if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
				return out, nil
			}
			req.Pagination = &querytypes.PageRequest{Key: res.Pagination.NextKey, Limit: 128}
		}
	})
	if err != nil {
		return "", nil, chainError("the weights", err)
	}
	return snap.Subnet.Name, v, nil
}

func (g *Gateway) dashMiners(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	netuid, aerr := pathNetuid(r)
	if aerr != nil {
		return "", nil, aerr
	}
	sn := g.served(netuid)
	if sn == nil {
		return "", nil, errorf(http.StatusNotFound, "subnet %d is not served by this gateway", netuid)
	}
	st := sn.state.Load()
	if st == nil {
		return "", nil, errorf(http.StatusServiceUnavailable, "subnet %d: no metagraph read yet", netuid)
	}
	out := dashboard.Miners{Netuid: netuid, Miners: []dashboard.Miner{}}
	for _, ms := range sn.router.Stats() {
		m := dashboard.Miner{UID: ms.UID, Breaker: ms.Breaker, LatencyMS: float64(ms.EWMA.Microseconds()) / 1000,
			InFlight: ms.Inflight, Requests: ms.Requests, Failures: ms.Failures}
		if t, ok := st.miners[ms.Key]; ok {
			m.Hotkey, m.Address = t.target.Hotkey, t.target.Address
		}
		out.Miners = append(out.Miners, m)
	}
	slices.SortFunc(out.Miners, func(a, b dashboard.Miner) int { return int(a.UID) - int(b.UID) })
	return st.name, out, nil
}

func (g *Gateway) dashNetwork(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	v, err := g.dashCache.get(r.Context(), "network", g.readNetwork)
	if err != nil {
		return "", nil, chainError("the network", err)
	}
	out := v.(dashboard.Network) // a copy: the cached value is not touched
	out.Traffic = g.traffic.snapshot()
	return "", out, nil
}

// readNetwork reads the overview from the node.
func (g *Gateway) readNetwork(ctx context.Context) (any, error) {
	out := dashboard.Network{ChainID: g.cfg.Chain.ChainID, Subnets: []dashboard.SubnetSummary{}}
	cmt := cmtservice.NewServiceClient(g.chain.Conn())
	latest, err := cmt.GetLatestBlock(ctx, &cmtservice.GetLatestBlockRequest{})
	if err != nil {
		return nil, fmt.Errorf("latest block: %w", err)
	}
	hdr := latest.SdkBlock.GetHeader()
	out.Height, out.LatestBlockTime = hdr.Height, hdr.Time.UTC().Format(time.RFC3339Nano)
	if from := hdr.Height - blockTimeSpan; from >= 1 {
		// a pruned block leaves the block time unknown (0), not an error
		if b, err := cmt.GetBlockByHeight(ctx, &cmtservice.GetBlockByHeightRequest{Height: from}); err == nil {
			d := hdr.Time.Sub(b.SdkBlock.GetHeader().Time)
			out.BlockTimeMS = float64(d.Microseconds()) / 1000 / blockTimeSpan
		}
	}
	subnets, err := allSubnets(ctx, g.query)
	if err != nil {
		return nil, err
	}
	total := sdkmath.ZeroInt()
	for _, s := range subnets {
		em, err := g.query.Emission(ctx, &subnettypes.QueryEmissionRequest{Netuid: s.Netuid})
		if err != nil {
			return nil, fmt.Errorf("emission of subnet %d: %w", s.Netuid, err)
		}
		out.TotalEmitted = em.TotalIssued.String()
		snap, aerr := g.metagraph(ctx, s.Netuid)
		if aerr != nil {
			return nil, fmt.Errorf("metagraph of subnet %d: %s", s.Netuid, aerr.msg)
		}
		for _, ni := range snap.Neurons {
			total = total.Add(ni.Stake)
		}
		out.Subnets = append(out.Subnets, dashboard.SubnetSummary{Netuid: s.Netuid, Name: s.Name, Task: s.Task.Kind,
			Tempo: s.Hyperparams.Tempo, NextEpochBlock: em.NextEpochBlock, PendingEmission: em.Pending.String(),
			Neurons: len(snap.Neurons), MaxNeurons: s.Hyperparams.MaxAllowedUids, Served: g.served(s.Netuid) != nil})
	}
	out.TotalStake = total.String()
	supply, err := banktypes.NewQueryClient(g.chain.Conn()).SupplyOf(ctx, &banktypes.QuerySupplyOfRequest{Denom: subnettypes.DefaultDenom})
	if err != nil {
		return nil, fmt.Errorf("supply of %s: %w", subnettypes.DefaultDenom, err)
	}
	out.TotalIssuance = supply.Amount.Amount.String()
	return out, nil
}

func (g *Gateway) dashHistory(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	netuid, aerr := pathNetuid(r)
	if aerr != nil {
		return "", nil, aerr
	}
	q := r.URL.Query()
	limit := historyDefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > historyMaxLimit {
			return "", nil, errorf(http.StatusBadRequest, "limit %q: want 1 to %d", s, historyMaxLimit)
		}
		limit = n
	}
	var want []uint32
	if s := q.Get("uids"); s != "" {
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
			if err != nil {
				return "", nil, errorf(http.StatusBadRequest, "uids: %q is not a UID", f)
			}
			if !slices.Contains(want, uint32(n)) {
				want = append(want, uint32(n))
			}
		}
		if len(want) > historyMaxUIDs {
			return "", nil, errorf(http.StatusBadRequest, "uids: at most %d", historyMaxUIDs)
		}
	}
	recs, err := g.store.Epochs(r.Context(), netuid, 0, limit)
	if err != nil {
		return "", nil, errorf(http.StatusInternalServerError, "reading the epoch history: %v", err)
	}
	bodies := make([]epochBody, len(recs))
	for i, rec := range recs {
		if err := json.Unmarshal(rec.Body, &bodies[i]); err != nil {
			return "", nil, errorf(http.StatusInternalServerError, "epoch at height %d: stored body: %v", rec.Height, err)
		}
	}
	// by default the UIDs paid most in the newest epoch with neurons (a
	// pruned one has none)
	for i := len(bodies) - 1; want == nil && i >= 0; i-- {
		if len(bodies[i].UIDs) > 0 {
			want = topEmission(bodies[i], historyDefaultUIDs)
		}
	}
	out := dashboard.History{Netuid: netuid, UIDs: want, Epochs: make([]dashboard.Epoch, 0, len(bodies))}
	if out.UIDs == nil {
		out.UIDs = []uint32{}
	}
	for _, b := range bodies {
		e := dashboard.Epoch{Epoch: b.Epoch, Height: b.Height, DueHeight: b.DueHeight, Emission: b.Emission,
			OwnerCut: b.OwnerCut, ToMiners: b.ToMiners, ToValidators: b.ToValidators, Neurons: b.Neurons, Pruned: b.Pruned,
			Incentive: make([]uint32, len(want)), Dividends: make([]uint32, len(want)), UIDEmission: make([]string, len(want))}
		at := make(map[uint32]int, len(b.UIDs))
		for i, u := range b.UIDs {
			at[u] = i
		}
		for j, u := range want {
			e.UIDEmission[j] = "0"
			if i, ok := at[u]; ok {
				e.Incentive[j], e.Dividends[j], e.UIDEmission[j] = b.Incentive[i], b.Dividends[i], b.UIDEmission[i]
			}
		}
		out.Epochs = append(out.Epochs, e)
	}
	return "", out, nil
}

// topEmission returns up to n UIDs with the most emission in b, by UID.
func topEmission(b epochBody, n int) []uint32 {
	type ue struct {
		uid uint32
		em  sdkmath.Int
	}
	all := make([]ue, 0, len(b.UIDs))
	for i, u := range b.UIDs {
		em, ok := sdkmath.NewIntFromString(b.UIDEmission[i])
		if !ok {
			em = sdkmath.ZeroInt()
		}
		all = append(all, ue{u, em})
	}
	slices.SortStableFunc(all, func(a, b ue) int {
		if c := b.em.BigIntMut().Cmp(a.em.BigIntMut()); c != 0 {
			return c
		}
		return int(a.uid) - int(b.uid)
	})
	out := make([]uint32, 0, min(n, len(all)))
	for _, x := range all[:min(n, len(all))] {
		out = append(out, x.uid)
	}
	slices.Sort(out)
	return out
}

func (g *Gateway) dashVerify(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	id := r.PathValue("id")
	e, ok := g.receipts.get(id)
	if !ok {
		return "", nil, errorf(http.StatusNotFound, "unknown receipt %q (receipts are kept for the last %d answers)", id, g.cfg.ReceiptCache)
	}
	select {
	case <-e.done:
	case <-r.Context().Done():
		return "", nil, errorf(http.StatusGatewayTimeout, "request ended")
	}
	if e.err != nil {
		return "", nil, errorf(http.StatusBadGateway, "no valid receipt: %v", e.err)
	}
	v, err := g.verified.get(r.Context(), id, func(ctx context.Context) (any, error) {
		rc, err := axon.UnmarshalReceipt(e.receipt)
		if err != nil {
			return nil, err
		}
		rep := receiptcheck.Verify(ctx, receiptcheck.NewGRPC(g.chain.Conn()), rc)
		if !rep.Valid {
			return rep, errNotFinal // not kept: a node catching up may pass it later
		}
		return rep, nil
	})
	if err != nil {
		return "", nil, errorf(http.StatusInternalServerError, "receipt %s: %v", id, err)
	}
	return "", v, nil
}
