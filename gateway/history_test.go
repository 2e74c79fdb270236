package gateway_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/metadata"

	pruningtypes "cosmossdk.io/store/pruning/types"

	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"

	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/gateway/dashboard"
	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/testutil/network"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// history reads the gateway's epoch history of netuid.
func history(t *testing.T, addr string, netuid uint32, query string) dashboard.History {
	t.Helper()
	x := do(t, addr, "GET", "/v1/subnets/"+strconv.FormatUint(uint64(netuid), 10)+"/history"+query, nil, nil)
	if x.status != 200 {
		t.Fatalf("history: status %d: %s", x.status, x.body)
	}
	conforms(t, x)
	return decode[dashboard.History](t, x)
}

// conforms checks an exchange against /openapi.json.
func conforms(t *testing.T, x exchange) {
	t.Helper()
	if err := oip.ValidateExchange(x.req, x.reqBody, x.status, x.header, x.body); err != nil {
		t.Errorf("%s %s -> %d does not conform to /openapi.json: %v", x.req.Method, x.req.URL.String(), x.status, err)
	}
}

// TestHistorySurvivesRestart records epochs, stops the gateway while the
// chain runs more, and checks that a new gateway on the same database keeps
// the old epochs and backfills the ones that ran while it was down, each
// equal to the chain's state at its block.
func TestHistorySurvivesRestart(t *testing.T) {
	n := newTestNet(t)
	c := n.c
	_, _ = startMiner(t, c, "miner", n.modelPath, netuid)
	cfg := gatewayConfig(c, n.keyDir, "1")
	newGateway := func(name string) (*gateway.Gateway, *running) {
		g, err := gateway.New(cfg, neurontest.Logger(t).With("daemon", name), prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		r := start(t, g)
		until(t, name+" to listen", time.Minute, func() bool { return g.Addr() != "" })
		return g, r
	}
	period := int64(n.hp.Tempo) + 1

	g1, r1 := newGateway("gateway-1")
	var before dashboard.History
	until(t, "three recorded epochs", 2*time.Minute, func() bool {
		before = history(t, g1.Addr(), netuid, "?limit=1000")
		return len(before.Epochs) >= 3
	})
	if err := r1.stop(t); err != nil {
		t.Fatalf("gateway-1: %v", err)
	}
	last := before.Epochs[len(before.Epochs)-1]
	// let three more epochs run while no gateway is up
	downUntil := last.Height + 3*period
	until(t, "three epochs without a gateway", 2*time.Minute, func() bool {
		h, err := c.Net.LatestHeight()
		return err == nil && h > downUntil
	})

	g2, _ := newGateway("gateway-2")
	var after dashboard.History
	until(t, "the epochs that ran while the gateway was down", 2*time.Minute, func() bool {
		after = history(t, g2.Addr(), netuid, "?limit=1000")
		return len(after.Epochs) > 0 && after.Epochs[len(after.Epochs)-1].Height >= downUntil
	})
	t.Logf("epochs before the restart %d (last at height %d), after %d (last at height %d)", len(before.Epochs),
		last.Height, len(after.Epochs), after.Epochs[len(after.Epochs)-1].Height)
	// the old epochs are kept as they were
	at := map[int64]dashboard.Epoch{}
	for _, e := range after.Epochs {
		at[e.Height] = e
	}
	for _, e := range before.Epochs {
		if a, ok := at[e.Height]; !ok || a.Epoch != e.Epoch || a.Emission != e.Emission {
			t.Errorf("epoch %d at height %d lost or changed over the restart: %+v", e.Epoch, e.Height, a)
		}
	}
	// no gap: one epoch per index from the first to the last
	first := after.Epochs[0].Epoch
	for i, e := range after.Epochs {
		if e.Epoch != first+uint64(i) {
			t.Fatalf("epoch %d follows %d: the history has a gap", e.Epoch, after.Epochs[max(i-1, 0)].Epoch)
		}
		if e.Height < e.DueHeight || e.Height >= e.DueHeight+period || !subnettypes.IsEpochBlock(netuid, n.hp.Tempo, e.DueHeight) {
			t.Errorf("epoch %d: height %d, due %d", e.Epoch, e.Height, e.DueHeight)
		}
	}
	// a backfilled epoch equals the chain's state at its block
	var filled []dashboard.Epoch
	for _, e := range after.Epochs {
		if e.Height > last.Height {
			filled = append(filled, e)
		}
	}
	if len(filled) < 3 {
		t.Fatalf("%d epochs backfilled, want at least 3", len(filled))
	}
	uids := after.UIDs
	if len(uids) == 0 {
		t.Fatal("history names no UIDs")
	}
	for _, e := range filled {
		ctx := metadata.AppendToOutgoingContext(c.Ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(e.Height, 10))
		for j, uid := range uids {
			res, err := c.Query().Neuron(ctx, &subnettypes.QueryNeuronRequest{Netuid: netuid, Uid: uid})
			if err != nil {
				t.Fatalf("neuron %d at height %d: %v", uid, e.Height, err)
			}
			le := res.Neuron.Neuron.LastEpoch
			if le.Incentive != e.Incentive[j] || le.Dividends != e.Dividends[j] || le.Emission.String() != e.UIDEmission[j] {
				t.Errorf("epoch %d uid %d: recorded incentive %d dividends %d emission %s, chain at height %d: %d %d %s",
					e.Epoch, uid, e.Incentive[j], e.Dividends[j], e.UIDEmission[j], e.Height, le.Incentive, le.Dividends, le.Emission)
			}
		}
	}
	// the emission split adds up
	for _, e := range after.Epochs {
		if e.Emission == "" || e.ToMiners == "" || e.ToValidators == "" || e.OwnerCut == "" {
			t.Errorf("epoch %d: emission split missing: %+v", e.Epoch, e)
		}
	}
	// bad queries
	for _, q := range []string{"limit=0", "limit=1001", "uids=a"} {
		x := do(t, g2.Addr(), "GET", "/v1/subnets/1/history?"+q, nil, nil)
		if x.status != 400 {
			t.Errorf("%s: status %d", q, x.status)
		}
		conforms(t, x)
	}
	one := history(t, g2.Addr(), netuid, "?limit=2&uids=0")
	if len(one.Epochs) != 2 || len(one.UIDs) != 1 || one.UIDs[0] != 0 || one.Epochs[0].Height >= one.Epochs[1].Height ||
		len(one.Epochs[1].Incentive) != 1 {
		t.Errorf("limit=2&uids=0: %+v", one)
	}
}

// TestHistoryOnPruningNode backfills from a node that keeps only its last
// few states (pruning "everything": 2 recent, pruned every 10 blocks):
// epochs whose state is gone are recorded with their totals, from the
// block results, and marked pruned; epochs recorded while the node still
// held their state have every UID's results.
func TestHistoryOnPruningNode(t *testing.T) {
	n := newTestNet(t, func(c *network.Config) { c.PruningStrategy = pruningtypes.PruningOptionEverything })
	c := n.c
	period := int64(n.hp.Tempo) + 1
	// five epochs before any gateway runs
	until(t, "five epochs", 2*time.Minute, func() bool {
		h, err := c.Net.LatestHeight()
		return err == nil && h > 5*period
	})
	// the node has dropped the early states
	ctx := metadata.AppendToOutgoingContext(c.Ctx, grpctypes.GRPCBlockHeightHeader, "9")
	if _, err := c.Query().Subnet(ctx, &subnettypes.QuerySubnetRequest{Netuid: netuid}); err == nil {
		t.Fatal("the node still answers at height 9: not pruning")
	}
	g, err := gateway.New(gatewayConfig(c, n.keyDir, "1"), neurontest.Logger(t).With("daemon", "gateway"), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	start(t, g)
	until(t, "the gateway to listen", time.Minute, func() bool { return g.Addr() != "" })
	var h dashboard.History
	until(t, "backfilled epochs and two recorded live", 2*time.Minute, func() bool {
		h = history(t, g.Addr(), netuid, "?limit=1000")
		live := 0
		for _, e := range h.Epochs {
			if !e.Pruned {
				live++
			}
		}
		return len(h.Epochs) >= 5 && live >= 2
	})
	pruned := 0
	for i, e := range h.Epochs {
		if e.Epoch != h.Epochs[0].Epoch+uint64(i) {
			t.Fatalf("epoch %d at index %d: the history has a gap", e.Epoch, i)
		}
		if e.Emission == "" || e.ToValidators == "" || e.OwnerCut == "" {
			t.Errorf("epoch %d: totals missing: %+v", e.Epoch, e)
		}
		if e.Pruned {
			pruned++
			for j := range e.Incentive {
				if e.Incentive[j] != 0 || e.Dividends[j] != 0 || e.UIDEmission[j] != "0" {
					t.Errorf("pruned epoch %d has per-UID values: %+v", e.Epoch, e)
				}
			}
		}
	}
	if pruned == 0 || h.Epochs[0].Height > 2*period {
		t.Errorf("want the first epochs backfilled from block results and marked pruned: %+v", h.Epochs)
	}
	if len(h.UIDs) == 0 {
		t.Error("no UIDs chosen from the epochs that have them")
	}
	t.Logf("%d epochs, %d backfilled with totals only (state pruned), the rest with every UID", len(h.Epochs), pruned)
}
