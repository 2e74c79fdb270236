package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/grpc/metadata"

	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	querytypes "github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/gateway/store"
	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// epochBody is the JSON the recorder stores for one epoch (store.EpochRecord
// Body): the chain's EventEpoch and every neuron's results read at the
// epoch's block. The per-neuron slices are indexed alike.
type epochBody struct {
	Version      int      `json:"v"`
	Netuid       uint32   `json:"netuid"`
	Epoch        uint64   `json:"epoch"`
	Height       int64    `json:"height"`
	DueHeight    int64    `json:"due_height"`
	Emission     string   `json:"emission"`
	OwnerCut     string   `json:"owner_cut"`
	ToMiners     string   `json:"to_miners"`
	ToValidators string   `json:"to_validators"`
	Dust         string   `json:"dust"`
	Neurons      uint32   `json:"neurons"`
	UIDs         []uint32 `json:"uids"`
	Hotkeys      []string `json:"hotkeys"`
	Incentive    []uint32 `json:"incentive"`
	Dividends    []uint32 `json:"dividends"`
	Trust        []uint32 `json:"trust"`
	Consensus    []uint32 `json:"consensus"`
	VTrust       []uint32 `json:"validator_trust"`
	UIDEmission  []string `json:"uid_emission"`
	// Pruned is set when the node no longer held the state at Height, so
	// only the event's totals are known.
	Pruned bool `json:"pruned,omitempty"`
}

// chainRPC is what the recorder asks the node's CometBFT RPC.
type chainRPC interface {
	// heights returns the node's earliest and latest block heights.
	heights(ctx context.Context) (earliest, latest int64, err error)
	// epochEvent finds netuid's EventEpoch (or EventEpochFailed: failed is
	// true) in block h's results; found is false when the block has neither.
	epochEvent(ctx context.Context, h int64, netuid uint32) (ev *subnettypes.EventEpoch, failed, found bool, err error)
	// blockTimes returns the header times of blocks [from, to].
	blockTimes(ctx context.Context, from, to int64) ([]time.Time, error)
}

// cometRPC is chainRPC over CometBFT's HTTP RPC.
type cometRPC struct{ c *rpchttp.HTTP }

func newCometRPC(addr string) (*cometRPC, error) {
	c, err := rpchttp.New(addr, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("rpc %s: %w", addr, err)
	}
	return &cometRPC{c: c}, nil
}

func (r *cometRPC) heights(ctx context.Context) (int64, int64, error) {
	st, err := r.c.Status(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("node status: %w", err)
	}
	return st.SyncInfo.EarliestBlockHeight, st.SyncInfo.LatestBlockHeight, nil
}

func (r *cometRPC) epochEvent(ctx context.Context, h int64, netuid uint32) (*subnettypes.EventEpoch, bool, bool, error) {
	res, err := r.c.BlockResults(ctx, &h)
	if err != nil {
		return nil, false, false, fmt.Errorf("results of block %d: %w", h, err)
	}
	epochType := "tensorcosm.subnet.v1.EventEpoch"
	failedType := "tensorcosm.subnet.v1.EventEpochFailed"
	for _, e := range res.FinalizeBlockEvents {
		if e.Type != epochType && e.Type != failedType {
			continue
		}
		// FinalizeBlock adds a plain "mode" attribute (BeginBlock,
		// EndBlock) that is not part of the typed event's JSON
		ev := abci.Event{Type: e.Type}
		for _, a := range e.Attributes {
			if a.Key != "mode" {
				ev.Attributes = append(ev.Attributes, a)
			}
		}
		msg, err := sdk.ParseTypedEvent(ev)
		if err != nil {
			return nil, false, false, fmt.Errorf("block %d: %s: %w", h, e.Type, err)
		}
		switch ev := msg.(type) {
		case *subnettypes.EventEpoch:
			if ev.Netuid == netuid {
				return ev, false, true, nil
			}
		case *subnettypes.EventEpochFailed:
			if ev.Netuid == netuid {
				return nil, true, true, nil
			}
		}
	}
	return nil, false, false, nil
}

func (r *cometRPC) blockTimes(ctx context.Context, from, to int64) ([]time.Time, error) {
	res, err := r.c.BlockchainInfo(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("block headers %d..%d: %w", from, to, err)
	}
	out := make([]time.Time, 0, len(res.BlockMetas))
	for _, m := range res.BlockMetas {
		out = append(out, m.Header.Time)
	}
	return out, nil
}

// atHeight asks a gRPC query for the state after block h.
func atHeight(ctx context.Context, h int64) context.Context {
	return metadata.AppendToOutgoingContext(ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(h, 10))
}

// isPruned reports a node's answer for a height whose state it dropped.
func isPruned(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "failed to load state at height") ||
		strings.Contains(err.Error(), "version does not exist"))
}

// recorder stores every epoch of the chain's subnets in the store: on
// start it fills what ran while the gateway was down (as far as the node
// still holds it), then follows the chain.
type recorder struct {
	g        *Gateway
	rpc      chainRPC
	query    subnettypes.QueryClient
	interval time.Duration
	backfill int
	// next is, per netuid, the first height not yet scanned.
	next map[uint32]int64
}

// run records until ctx ends; a failed pass is logged and retried.
func (r *recorder) run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		if err := r.pass(ctx); err != nil && ctx.Err() == nil {
			r.g.metrics.historyErrors.Inc()
			r.g.log.Warn("epoch history: pass failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// pass records, for every subnet on chain, the epochs that ran since the
// last one recorded.
func (r *recorder) pass(ctx context.Context) error {
	earliest, latest, err := r.rpc.heights(ctx)
	if err != nil {
		return err
	}
	subnets, err := allSubnets(ctx, r.query)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range subnets {
		if err := r.subnet(ctx, s, max(earliest, 1), latest); err != nil {
			errs = append(errs, fmt.Errorf("netuid %d: %w", s.Netuid, err))
		}
	}
	return errors.Join(errs...)
}

// subnet records s's epochs up to latest. The first pass over a subnet
// starts after the newest stored epoch (filling what ran while the gateway
// was down), or backfill epochs back when none is stored, but never below
// what the node holds or the subnet's creation.
func (r *recorder) subnet(ctx context.Context, s subnettypes.Subnet, earliest, latest int64) error {
	if s.Hyperparams.Tempo == 0 {
		return nil // epochs off
	}
	first := false
	if _, ok := r.next[s.Netuid]; !ok {
		first = true
		from := latest - int64(r.backfill)*(int64(s.Hyperparams.Tempo)+1)
		h, _, err := r.g.store.LastEpoch(ctx, s.Netuid)
		switch {
		case err == nil:
			from = h + 1
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		r.next[s.Netuid] = max(from, earliest, s.CreatedBlock)
	}
	from := r.next[s.Netuid]
	n, err := r.scan(ctx, s, latest)
	if n > 0 {
		lvl := slog.LevelDebug
		if first {
			lvl = slog.LevelInfo
		}
		r.g.log.Log(ctx, lvl, "epoch history: recorded", "netuid", s.Netuid, "epochs", n, "from_height", from,
			"to_height", r.next[s.Netuid]-1, "backfill", first)
	}
	return err
}

// scan walks s's due epochs from r.next[s] to latest and stores each one
// found; an epoch is looked for at its due block and, when the chain's
// per-block work limit deferred it, in the blocks after (up to a tempo).
func (r *recorder) scan(ctx context.Context, s subnettypes.Subnet, latest int64) (recorded int, err error) {
	period := int64(s.Hyperparams.Tempo) + 1
	for {
		from := r.next[s.Netuid]
		due := subnettypes.NextEpochBlock(s.Netuid, s.Hyperparams.Tempo, from)
		if due > latest {
			return recorded, nil
		}
		found := false
		for h := due; h <= min(latest, due+period-1); h++ {
			ev, failed, ok, err := r.rpc.epochEvent(ctx, h, s.Netuid)
			if err != nil {
				return recorded, err
			}
			if !ok {
				continue
			}
			found = true
			if !failed {
				if err := r.record(ctx, s, ev, due); err != nil {
					return recorded, err
				}
				recorded++
			}
			r.next[s.Netuid] = h + 1
			break
		}
		if !found {
			if due+period-1 > latest {
				return recorded, nil // may still run: look again next pass
			}
			r.next[s.Netuid] = due + period // none ran (subnet not yet created, or dissolved)
		}
		if ctx.Err() != nil {
			return recorded, ctx.Err()
		}
	}
}

// record reads the neurons' results at ev's block and stores the epoch.
func (r *recorder) record(ctx context.Context, s subnettypes.Subnet, ev *subnettypes.EventEpoch, due int64) error {
	b := epochBody{Version: 1, Netuid: s.Netuid, Height: ev.Height, DueHeight: ev.DueHeight, Emission: ev.Emission,
		OwnerCut: ev.OwnerCut, ToMiners: ev.ToMiners, ToValidators: ev.ToValidators, Dust: ev.Dust, Neurons: ev.Neurons,
		Epoch: subnettypes.EpochIndex(s.Netuid, s.Hyperparams.Tempo, due)}
	if b.DueHeight == 0 {
		b.DueHeight = due
	}
	infos, _, err := neuron.Metagraph(atHeight(ctx, ev.Height), r.query, s.Netuid)
	switch {
	case isPruned(err):
		b.Pruned = true
	case err != nil:
		return fmt.Errorf("metagraph at height %d: %w", ev.Height, err)
	}
	for _, ni := range infos {
		n := ni.Neuron
		b.UIDs = append(b.UIDs, n.Uid)
		b.Hotkeys = append(b.Hotkeys, n.Hotkey)
		b.Incentive = append(b.Incentive, n.LastEpoch.Incentive)
		b.Dividends = append(b.Dividends, n.LastEpoch.Dividends)
		b.Trust = append(b.Trust, n.LastEpoch.Trust)
		b.Consensus = append(b.Consensus, n.LastEpoch.Consensus)
		b.VTrust = append(b.VTrust, n.LastEpoch.ValidatorTrust)
		b.UIDEmission = append(b.UIDEmission, n.LastEpoch.Emission.String())
	}
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	inserted, err := r.g.store.PutEpoch(ctx, store.EpochRecord{Netuid: s.Netuid, Height: ev.Height, Epoch: b.Epoch, Body: body})
	if err != nil {
		return fmt.Errorf("storing epoch at height %d: %w", ev.Height, err)
	}
	if inserted {
		r.g.metrics.epochsRecorded.WithLabelValues(strconv.FormatUint(uint64(s.Netuid), 10)).Inc()
		r.g.log.Debug("epoch recorded", "netuid", s.Netuid, "epoch", b.Epoch, "height", ev.Height, "pruned", b.Pruned)
	}
	return nil
}

// allSubnets reads every subnet on chain, by netuid.
func allSubnets(ctx context.Context, q subnettypes.QueryClient) ([]subnettypes.Subnet, error) {
	var out []subnettypes.Subnet
	req := &subnettypes.QuerySubnetsRequest{}
	for {
		res, err := q.Subnets(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("query subnets: %w", err)
		}
		out = append(out, res.Subnets...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			break
		}
		req.Pagination = &querytypes.PageRequest{Key: res.Pagination.NextKey}
	}
	slices.SortFunc(out, func(a, b subnettypes.Subnet) int { return int(a.Netuid) - int(b.Netuid) })
	return out, nil
}
