package validator

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// fakeQuerier serves one page of neurons at a height, or err.
type fakeQuerier struct {
	height  int64
	neurons []subnettypes.NeuronInfo
	err     error
}

func (f *fakeQuerier) Subnet(_ context.Context, in *subnettypes.QuerySubnetRequest, _ ...grpc.CallOption) (*subnettypes.QuerySubnetResponse, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &subnettypes.QuerySubnetResponse{Subnet: subnettypes.Subnet{Netuid: in.Netuid, Hyperparams: subnettypes.Hyperparams{Tempo: 10}}}, nil
}

func (f *fakeQuerier) Metagraph(context.Context, *subnettypes.QueryMetagraphRequest, ...grpc.CallOption) (*subnettypes.QueryMetagraphResponse, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &subnettypes.QueryMetagraphResponse{Block: f.height, Neurons: f.neurons}, nil
}

// TestSyncThroughTheView: a metagraph read through the shared view
// becomes the validator's snapshot (self found, miners being the other
// neurons with an axon and a model), with its metrics; a failed read is
// counted and keeps the snapshot.
func TestSyncThroughTheView(t *testing.T) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	v := &Validator{hotkey: "self", scores: newScoreTable(0.1, nil), metrics: m, scorer: &scorer{},
		log: slog.New(slog.DiscardHandler), now: time.Now}
	axonAt := func(port uint32) *subnettypes.AxonInfo { return &subnettypes.AxonInfo{Host: "127.0.0.1", Port: port} }
	model := &subnettypes.ModelCommitment{Sha256: "ab", Size_: 3}
	q := &fakeQuerier{height: 12, neurons: []subnettypes.NeuronInfo{
		{Neuron: subnettypes.Neuron{Uid: 0, Hotkey: "self", ValidatorPermit: true}},
		{Neuron: subnettypes.Neuron{Uid: 1, Hotkey: "miner", Axon: axonAt(9001), Model: model}},
		{Neuron: subnettypes.Neuron{Uid: 2, Hotkey: "idle", Axon: axonAt(9002)}}, // no model: not queried
	}}
	v.view = neuron.NewMetagraphView(q, 1, neuron.MetagraphOptions{OnRefresh: v.synced})
	v.view.Subscribe(v.apply)
	if err := v.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := v.snap.Load()
	if snap == nil || snap.Height != 12 || !snap.SelfFound || snap.Self.UID != 0 || !snap.Self.Permit {
		t.Fatalf("snapshot = %+v, want height 12 with self at UID 0 holding a permit", snap)
	}
	if miners := snap.miners(); len(miners) != 1 || miners[0].Address != "127.0.0.1:9001" || miners[0].ModelSHA256 != "ab" {
		t.Errorf("miners = %+v, want UID 1 at 127.0.0.1:9001", miners)
	}
	for name, tc := range map[string]struct {
		c    prometheus.Collector
		want float64
	}{
		"syncs ok": {m.syncs.WithLabelValues("ok"), 1}, "neurons": {m.neurons, 3}, "miners": {m.miners, 1},
		"permit": {m.permit, 1}, "metagraph height": {m.metagraphHeight, 12},
	} {
		if got := value(tc.c); got != tc.want {
			t.Errorf("%s = %v, want %v", name, got, tc.want)
		}
	}
	q.err = errors.New("node down")
	if err := v.sync(context.Background()); !errors.Is(err, q.err) {
		t.Fatalf("sync = %v, want %v", err, q.err)
	}
	if v.snap.Load() != snap || value(m.syncs.WithLabelValues("error")) != 1 {
		t.Error("a failed read replaced the snapshot or was not counted")
	}
}
