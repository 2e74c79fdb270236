package keeper_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"cosmossdk.io/math"
	"github.com/hashicorp/go-metrics"
	metricsprom "github.com/hashicorp/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cosmos/cosmos-sdk/telemetry"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// telemetryOn routes the SDK's telemetry into a fresh registry through
// go-metrics' Prometheus sink, as a node with telemetry enabled and a
// prometheus-retention-time does, and turns it off when the test ends.
func telemetryOn(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	sink, err := metricsprom.NewPrometheusSinkFrom(metricsprom.PrometheusOpts{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	cfg := metrics.DefaultConfig("")
	cfg.EnableHostname, cfg.EnableRuntimeMetrics = false, false
	if _, err := metrics.NewGlobal(cfg, sink); err != nil {
		t.Fatal(err)
	}
	telemetry.EnableTelemetry()
	t.Cleanup(func() {
		_, _ = telemetry.New(telemetry.Config{}) // turns the SDK's telemetry off again
		_, _ = metrics.NewGlobal(cfg, &metrics.BlackholeSink{})
	})
	return reg
}

// samples returns reg's samples as `name{label="value",...}` -> value.
func samples(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetSummary() != nil:
				out[key] = float64(m.GetSummary().GetSampleCount())
			}
		}
	}
	return out
}

// epochObserver records the observer calls the keeper makes.
type epochObserver struct{ started, ok, failed []uint32 }

func (o *epochObserver) EpochStarted(netuid uint32) func(bool) {
	o.started = append(o.started, netuid)
	return func(ok bool) {
		if ok {
			o.ok = append(o.ok, netuid)
		} else {
			o.failed = append(o.failed, netuid)
		}
	}
}

func f32(x math.Int) float64 { return float64(float32(x.Int64())) }

// TestTelemetryWeightsAndRegistrations checks the counters of weight
// messages by kind and result, the registrations and the neuron gauge, and
// that simulated messages (gas estimation) are not counted.
func TestTelemetryWeightsAndRegistrations(t *testing.T) {
	reg := telemetryOn(t)
	e, netuid, hots := weightsEnv(t, false)
	set := func(ctx sdk.Context, values []uint32) {
		_, _ = e.Msgs.SetWeights(ctx, &types.MsgSetWeights{Hotkey: hots[0], Netuid: netuid, Uids: []uint32{1, 2}, Values: values})
	}
	set(e.Ctx, []uint32{90, 10})
	set(e.Ctx, []uint32{90}) // lengths differ: refused
	set(e.Ctx.WithExecMode(sdk.ExecModeSimulate), []uint32{90})

	commitRevealFlow(t)
	got := samples(t, reg)
	want := map[string]float64{
		`subnet_weights_txs_total{kind="set",result="ok"}`:       1,
		`subnet_weights_txs_total{kind="set",result="error"}`:    1,
		`subnet_weights_txs_total{kind="commit",result="ok"}`:    1,
		`subnet_weights_txs_total{kind="commit",result="error"}`: 1,
		`subnet_weights_txs_total{kind="reveal",result="ok"}`:    1,
		`subnet_weights_txs_total{kind="reveal",result="error"}`: 1,
		// two subnets with netuid 1 (one per fixture), four neurons each
		`subnet_registrations_total{netuid="1"}`: 8,
		`subnet_neurons{netuid="1"}`:             4,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// commitRevealFlow runs one commit-reveal round on a fresh fixture:
// a commit, a refused second commit, a reveal too early and one in time.
func commitRevealFlow(t *testing.T) (*env, uint32, []string) {
	t.Helper()
	e, netuid, hots := weightsEnv(t, true)
	uids, values, salt := []uint32{1, 2}, []uint32{3, 1}, []byte("pepper")
	hash := types.CommitHash(hots[0], netuid, uids, values, salt, 0)
	if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: hash}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Msgs.CommitWeights(e.Ctx, &types.MsgCommitWeights{Hotkey: hots[0], Netuid: netuid, CommitHash: hash}); err == nil {
		t.Fatal("a second commit within the rate limit was accepted")
	}
	reveal := &types.MsgRevealWeights{Hotkey: hots[0], Netuid: netuid, Uids: uids, Values: values, Salt: salt}
	if _, err := e.Msgs.RevealWeights(e.Ctx, reveal); err == nil {
		t.Fatal("a reveal in the commit's epoch was accepted")
	}
	e.SetHeight(e.Ctx.BlockHeight() + 11)
	if _, err := e.Msgs.RevealWeights(e.Ctx, reveal); err != nil {
		t.Fatal(err)
	}
	return e, netuid, hots
}

// TestTelemetryEpochs runs blocks until two epochs ran and checks the
// observer saw each, the epoch counter, the neuron gauge, the pending
// emission gauge against the store and the paid counter against what the
// epochs took from the pending emission.
func TestTelemetryEpochs(t *testing.T) {
	reg := telemetryOn(t)
	e, netuid, _ := commitRevealFlow(t)
	obs := &epochObserver{}
	e.Keeper.SetEpochObserver(obs)
	paid := math.ZeroInt()
	var paidMetric float64
	for len(obs.ok) < 2 {
		e.SetHeight(e.Ctx.BlockHeight() + 1)
		if err := e.Keeper.BeginBlocker(e.Ctx); err != nil {
			t.Fatal(err)
		}
		before, err := e.Keeper.Pending(e.Ctx, netuid)
		if err != nil {
			t.Fatal(err)
		}
		if got := samples(t, reg)[`subnet_pending_emission{netuid="1"}`]; got != f32(before) {
			t.Fatalf("block %d: pending emission metric %v after the mint, store %s", e.Ctx.BlockHeight(), got, before)
		}
		ran := len(obs.ok)
		if err := e.Keeper.EndBlocker(e.Ctx); err != nil {
			t.Fatal(err)
		}
		if len(obs.ok) == ran {
			continue
		}
		after, err := e.Keeper.Pending(e.Ctx, netuid)
		if err != nil {
			t.Fatal(err)
		}
		paid = paid.Add(before.Sub(after))
		paidMetric += f32(before.Sub(after))
		got := samples(t, reg)
		if got[`subnet_pending_emission{netuid="1"}`] != f32(after) {
			t.Errorf("pending emission metric %v after the epoch, store %s", got[`subnet_pending_emission{netuid="1"}`], after)
		}
	}
	got := samples(t, reg)
	if !paid.IsPositive() {
		t.Fatal("the epochs paid nothing")
	}
	if v := got[`subnet_paid_emission_total{netuid="1"}`]; v != paidMetric {
		t.Errorf("paid emission metric %v, the epochs paid %s", v, paid)
	}
	if v := got[`subnet_epochs_total{netuid="1",result="ok"}`]; v != 2 {
		t.Errorf("epochs metric %v, want 2", v)
	}
	if v := got[`subnet_neurons{netuid="1"}`]; v != 4 {
		t.Errorf("neurons metric %v, want 4", v)
	}
	if fmt.Sprint(obs.started) != "[1 1]" || len(obs.failed) != 0 {
		t.Errorf("observer: started %v, ok %v, failed %v; want two epochs of subnet 1, none failed", obs.started, obs.ok, obs.failed)
	}

	_, owner := e.Addr(t, "owner")
	if _, err := e.Msgs.DissolveSubnet(e.Ctx, &types.MsgDissolveSubnet{Signer: owner, Netuid: netuid}); err != nil {
		t.Fatal(err)
	}
	got = samples(t, reg)
	if got[`subnet_neurons{netuid="1"}`] != 0 || got[`subnet_pending_emission{netuid="1"}`] != 0 {
		t.Errorf("after dissolving: neurons %v, pending %v; want 0 and 0",
			got[`subnet_neurons{netuid="1"}`], got[`subnet_pending_emission{netuid="1"}`])
	}
}

// TestTelemetryOffRecordsNothing checks a node with telemetry off records
// nothing: the keeper's calls return before touching go-metrics.
func TestTelemetryOffRecordsNothing(t *testing.T) {
	reg := prometheus.NewRegistry()
	sink, err := metricsprom.NewPrometheusSinkFrom(metricsprom.PrometheusOpts{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	cfg := metrics.DefaultConfig("")
	cfg.EnableHostname, cfg.EnableRuntimeMetrics = false, false
	if _, err := metrics.NewGlobal(cfg, sink); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = metrics.NewGlobal(cfg, &metrics.BlackholeSink{}) })
	commitRevealFlow(t)
	if got := samples(t, reg); len(got) != 0 {
		t.Errorf("telemetry off, yet recorded %v", got)
	}
}
