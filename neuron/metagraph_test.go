package neuron_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// fakeChain answers the subnet and metagraph queries from fields the test
// sets; gate, when set, holds every metagraph query until it is closed.
type fakeChain struct {
	mu      sync.Mutex
	height  int64
	hotkeys []string
	err     error
	gate    chan struct{}
	reads   atomic.Int32
	started chan struct{} // receives once per metagraph query, when set
}

func (f *fakeChain) Subnet(_ context.Context, in *subnettypes.QuerySubnetRequest, _ ...grpc.CallOption) (*subnettypes.QuerySubnetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return &subnettypes.QuerySubnetResponse{Subnet: subnettypes.Subnet{Netuid: in.Netuid,
		Task: subnettypes.TaskSpec{Kind: "digits-classification"}, Hyperparams: subnettypes.Hyperparams{Tempo: 10}}}, nil
}

// Metagraph answers in pages of one neuron, to exercise the paging.
func (f *fakeChain) Metagraph(ctx context.Context, in *subnettypes.QueryMetagraphRequest, _ ...grpc.CallOption) (*subnettypes.QueryMetagraphResponse, error) {
	if len(in.Pagination.Key) == 0 {
		f.reads.Add(1)
		if f.started != nil {
			f.started <- struct{}{}
		}
		if f.gate != nil {
			select {
			case <-f.gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	i := 0
	if len(in.Pagination.Key) > 0 {
		i = int(in.Pagination.Key[0])
	}
	res := &subnettypes.QueryMetagraphResponse{Block: f.height, Pagination: &query.PageResponse{}}
	if i < len(f.hotkeys) {
		res.Neurons = []subnettypes.NeuronInfo{{Neuron: subnettypes.Neuron{Uid: uint32(i), Hotkey: f.hotkeys[i],
			Axon: &subnettypes.AxonInfo{Host: "127.0.0.1", Port: 9000 + uint32(i), TlsFingerprint: "fp"}}}}
	}
	if i+1 < len(f.hotkeys) {
		res.Pagination.NextKey = []byte{byte(i + 1)}
	}
	return res, nil
}

func (f *fakeChain) set(height int64, err error, hotkeys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.height, f.err, f.hotkeys = height, err, hotkeys
}

func TestMetagraphViewRefresh(t *testing.T) {
	chain := &fakeChain{}
	chain.set(7, nil, "alice", "bob", "carol")
	v := neuron.NewMetagraphView(chain, 3, neuron.MetagraphOptions{})
	if v.Snapshot() != nil {
		t.Fatal("a snapshot before any read")
	}
	snap, err := v.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.Snapshot() != snap {
		t.Error("Snapshot is not the one Refresh returned")
	}
	if snap.Height != 7 || snap.Subnet.Netuid != 3 || snap.Subnet.Task.Kind != "digits-classification" || len(snap.Neurons) != 3 {
		t.Fatalf("snapshot = height %d netuid %d task %q %d neurons", snap.Height, snap.Subnet.Netuid, snap.Subnet.Task.Kind, len(snap.Neurons))
	}
	n, ok := snap.Neuron("bob")
	if !ok || n.Neuron.Uid != 1 || n.Neuron.Axon.Port != 9001 || n.Neuron.Axon.TlsFingerprint != "fp" {
		t.Errorf("Neuron(bob) = %+v, %v", n, ok)
	}
	if _, ok := snap.Neuron("mallory"); ok {
		t.Error("Neuron(mallory) found")
	}
}

func TestMetagraphViewErrorKeepsLastGood(t *testing.T) {
	chain := &fakeChain{}
	chain.set(5, nil, "alice")
	var seen []error
	v := neuron.NewMetagraphView(chain, 1, neuron.MetagraphOptions{OnRefresh: func(_ context.Context, _ *neuron.MetagraphSnapshot, err error) {
		seen = append(seen, err)
	}})
	good, err := v.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("node down")
	chain.set(6, boom, "alice", "bob")
	if _, err := v.Refresh(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("Refresh error = %v, want %v", err, boom)
	}
	if v.Snapshot() != good {
		t.Error("a failed read replaced the last good snapshot")
	}
	if len(seen) != 2 || seen[0] != nil || !errors.Is(seen[1], boom) {
		t.Errorf("OnRefresh saw %v, want [nil, %v]", seen, boom)
	}
}

func TestMetagraphViewNotifiesOnChange(t *testing.T) {
	chain := &fakeChain{}
	chain.set(5, nil, "alice")
	v := neuron.NewMetagraphView(chain, 1, neuron.MetagraphOptions{})
	type change struct{ old, cur int64 }
	var got []change
	unsubscribe := v.Subscribe(func(old, cur *neuron.MetagraphSnapshot) {
		c := change{-1, cur.Height}
		if old != nil {
			c.old = old.Height
		}
		got = append(got, c)
	})
	refresh := func() {
		t.Helper()
		if _, err := v.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	refresh() // the first read: a change from nothing
	refresh() // the same state: no call
	chain.set(6, nil, "alice")
	refresh() // a new height: a call
	chain.set(6, nil, "alice", "bob")
	refresh() // a neuron joined at the same height: a call
	chain.set(6, errors.New("down"), "carol")
	_, _ = v.Refresh(context.Background()) // a failed read: no call
	unsubscribe()
	chain.set(9, nil, "alice")
	refresh() // unsubscribed: no call
	want := []change{{-1, 5}, {5, 6}, {6, 6}}
	if len(got) != len(want) {
		t.Fatalf("notifications = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("notifications = %v, want %v", got, want)
		}
	}
}

func TestMetagraphViewCoalescesRefreshes(t *testing.T) {
	chain := &fakeChain{gate: make(chan struct{}), started: make(chan struct{}, 8)}
	chain.set(5, nil, "alice")
	v := neuron.NewMetagraphView(chain, 1, neuron.MetagraphOptions{})
	const callers = 5
	results := make(chan *neuron.MetagraphSnapshot, callers)
	go func() {
		s, _ := v.Refresh(context.Background())
		results <- s
	}()
	<-chain.started // the first read is in flight, held at the gate
	for range callers - 1 {
		go func() {
			s, _ := v.Refresh(context.Background())
			results <- s
		}()
	}
	for neuron.JoinedRefreshes(v) < callers-1 {
		time.Sleep(time.Millisecond) // until every caller waits on the read in flight
	}
	close(chain.gate)
	first := <-results
	for range callers - 1 {
		if s := <-results; s != first {
			t.Fatal("callers during one read got different snapshots")
		}
	}
	if first == nil || chain.reads.Load() != 1 {
		t.Errorf("%d reads for %d concurrent refreshes, want 1", chain.reads.Load(), callers)
	}
	if _, err := v.Refresh(context.Background()); err != nil || chain.reads.Load() != 2 {
		t.Errorf("a refresh after the read finished made %d reads in all (err %v), want 2", chain.reads.Load(), err)
	}
}

func TestMetagraphViewRunRefreshes(t *testing.T) {
	chain := &fakeChain{}
	chain.set(5, nil, "alice")
	refreshed := make(chan int64, 16)
	v := neuron.NewMetagraphView(chain, 1, neuron.MetagraphOptions{Interval: 10 * time.Millisecond,
		OnRefresh: func(_ context.Context, s *neuron.MetagraphSnapshot, err error) {
			if err == nil {
				refreshed <- s.Height
			}
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	if h := <-refreshed; h != 5 {
		t.Errorf("first background read at height %d, want 5", h)
	}
	chain.set(8, nil, "alice")
	for h := <-refreshed; h != 8; h = <-refreshed {
	}
	if v.Snapshot().Height != 8 {
		t.Errorf("snapshot height %d after the chain moved to 8", v.Snapshot().Height)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil when ctx ends", err)
	}
}

func TestMetagraphViewRequestRefresh(t *testing.T) {
	chain := &fakeChain{}
	chain.set(5, nil, "alice")
	refreshed := make(chan struct{}, 4)
	v := neuron.NewMetagraphView(chain, 1, neuron.MetagraphOptions{ // no interval: on demand only
		OnRefresh: func(context.Context, *neuron.MetagraphSnapshot, error) { refreshed <- struct{}{} }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = v.Run(ctx) }()
	v.RequestRefresh()
	select {
	case <-refreshed:
	case <-time.After(5 * time.Second):
		t.Fatal("RequestRefresh did not make Run read")
	}
	if v.Snapshot() == nil || chain.reads.Load() != 1 {
		t.Errorf("reads = %d after one request", chain.reads.Load())
	}
}
