package grafana

import (
	"testing"

	"cosmossdk.io/math"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cosmos/cosmos-sdk/telemetry"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/app"
	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
	testkeeper "github.com/tensorcosm/tensorcosm/testutil/keeper"
	"github.com/tensorcosm/tensorcosm/validator"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// exportedMetrics collects the metric names the code exports, from the
// code itself: the daemons' collectors (descriptors, so vectors with no
// sample count too) and their registry's Go and process collectors;
// CometBFT's collectors as a node builds them; and the node's default
// registry after x/subnet ran with telemetry on, which holds what
// go-metrics' Prometheus sink made of x/subnet's keys and the Go and
// process collectors the node serves.
func exportedMetrics(t *testing.T) exported {
	t.Helper()
	e := exported{names: map[string]int32{}}
	ch := make(chan *prometheus.Desc)
	go func() {
		miner.DescribeMetrics(ch)
		validator.DescribeMetrics(ch)
		gateway.DescribeMetrics(ch)
		close(ch)
	}()
	for d := range ch {
		e.addDesc(d)
	}
	e.addGathered(t, cliconfig.NewRegistry())
	cometBFTMetrics(e)
	runSubnetWithTelemetry(t)
	e.addGathered(t, prometheus.DefaultGatherer)
	return e
}

// runSubnetWithTelemetry turns on the SDK's telemetry as tensorcosmd does
// with the localnet's app.toml (Prometheus sink on the default registry,
// a chain_id label), then runs x/subnet on a keeper fixture through
// registrations, a weights message and an epoch timed by the app's
// EpochTimer, so every x/subnet metric has a sample.
func runSubnetWithTelemetry(t *testing.T) {
	t.Helper()
	if _, err := telemetry.New(telemetry.Config{Enabled: true, PrometheusRetentionTime: 600,
		GlobalLabels: [][]string{{"chain_id", "test-chain"}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = telemetry.New(telemetry.Config{}) })
	f := testkeeper.NewSubnetFixture(t)
	f.Keeper.SetEpochObserver(app.EpochTimer{})
	funded := func(name string) string {
		addr, s := f.Addr(t, name)
		f.Bank.Fund(addr, sdk.NewCoins(sdk.NewInt64Coin(types.DefaultDenom, 1_000_000_000_000)))
		return s
	}
	hp := types.DefaultHyperparams()
	hp.Tempo, hp.CommitReveal, hp.MaxRegistrationsPerBlock = 10, false, 8
	task := types.TaskSpec{Kind: "digits-classification", Scoring: "accuracy",
		Inputs:  []types.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []types.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}}}
	res, err := f.Msgs.CreateSubnet(f.Ctx, &types.MsgCreateSubnet{Creator: funded("owner"), Name: "digits", Task: task, Hyperparams: &hp})
	if err != nil {
		t.Fatal(err)
	}
	var hots []string
	for _, name := range []string{"a", "b"} {
		_, hot := f.Addr(t, "hot-"+name)
		msg := &types.MsgRegister{Coldkey: funded("cold-" + name), Hotkey: hot, Netuid: res.Netuid, MaxBurn: math.NewInt(1 << 62)}
		if _, err := f.Msgs.Register(f.Ctx, msg); err != nil {
			t.Fatal(err)
		}
		hots = append(hots, hot)
	}
	_, _ = f.Msgs.SetWeights(f.Ctx, &types.MsgSetWeights{Hotkey: hots[0], Netuid: res.Netuid, Uids: []uint32{1}, Values: []uint32{1}})
	start := f.Ctx.BlockHeight()
	for h := start + 1; h <= start+3*int64(hp.Tempo); h++ {
		f.SetHeight(h)
		if err := f.Keeper.BeginBlocker(f.Ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.Keeper.EndBlocker(f.Ctx); err != nil {
			t.Fatal(err)
		}
	}
}
