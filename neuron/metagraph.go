package neuron

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// MetagraphQuerier is the part of the subnet query service a MetagraphView
// reads; subnettypes.QueryClient has it, tests fake it.
type MetagraphQuerier interface {
	Subnet(ctx context.Context, in *subnettypes.QuerySubnetRequest, opts ...grpc.CallOption) (*subnettypes.QuerySubnetResponse, error)
	Metagraph(ctx context.Context, in *subnettypes.QueryMetagraphRequest, opts ...grpc.CallOption) (*subnettypes.QueryMetagraphResponse, error)
}

// MetagraphSnapshot is a subnet's state as read at one height: the subnet
// (its task spec and hyperparameters) and every neuron with its stake,
// validator permit, axon (host, port, protocol, tls_fingerprint) and model
// commitment. It is never changed once published: readers share it.
type MetagraphSnapshot struct {
	// Height is the highest block height the metagraph pages were read at.
	Height int64
	// Subnet holds the task spec (Subnet.Task) and the hyperparameters.
	Subnet subnettypes.Subnet
	// Neurons are in the chain's order (by UID).
	Neurons []subnettypes.NeuronInfo
	// ReadAt is when the read finished.
	ReadAt time.Time

	byHotkey map[string]int
}

// Neuron returns the neuron registered under hotkey.
func (s *MetagraphSnapshot) Neuron(hotkey string) (subnettypes.NeuronInfo, bool) {
	i, ok := s.byHotkey[hotkey]
	if !ok {
		return subnettypes.NeuronInfo{}, false
	}
	return s.Neurons[i], true
}

// sameState reports whether s and o hold the same chain state (ReadAt aside).
func (s *MetagraphSnapshot) sameState(o *MetagraphSnapshot) bool {
	return o != nil && s.Height == o.Height && reflect.DeepEqual(s.Subnet, o.Subnet) && reflect.DeepEqual(s.Neurons, o.Neurons)
}

// ReadMetagraph reads a subnet and its neurons once.
func ReadMetagraph(ctx context.Context, q MetagraphQuerier, netuid uint32, at func() time.Time) (*MetagraphSnapshot, error) {
	res, err := q.Subnet(ctx, &subnettypes.QuerySubnetRequest{Netuid: netuid})
	if err != nil {
		return nil, fmt.Errorf("query subnet %d: %w", netuid, err)
	}
	infos, height, err := Metagraph(ctx, q, netuid)
	if err != nil {
		return nil, err
	}
	s := &MetagraphSnapshot{Height: height, Subnet: res.Subnet, Neurons: infos, ReadAt: at(),
		byHotkey: make(map[string]int, len(infos))}
	for i, ni := range infos {
		s.byHotkey[ni.Neuron.Hotkey] = i
	}
	return s, nil
}

// MetagraphOptions tune a MetagraphView.
type MetagraphOptions struct {
	// Interval is how often Run reads the chain; 0 reads only on demand
	// (Refresh, RequestRefresh).
	Interval time.Duration
	// OnRefresh, when set, is called after every read, good or not, with
	// the new snapshot or the error (the published snapshot then stays the
	// last good one), and the context of the read. Reads never overlap, so
	// neither do the calls.
	OnRefresh func(context.Context, *MetagraphSnapshot, error)
	// Now is the clock of ReadAt; nil is time.Now.
	Now func() time.Time
}

// MetagraphView keeps one subnet's metagraph: an immutable snapshot behind
// an atomic pointer, refreshed every Interval by Run and on demand, with
// concurrent demands sharing one read. Subscribers hear of every change.
// A failed read keeps the last good snapshot.
type MetagraphView struct {
	q      MetagraphQuerier
	netuid uint32
	opts   MetagraphOptions

	snap    atomic.Pointer[MetagraphSnapshot]
	kick    chan struct{}
	mu      sync.Mutex
	flight  *flight
	subs    map[int]func(old, cur *MetagraphSnapshot)
	nextSub int
	joined  int // refreshes that shared a read in flight, for tests
}

// flight is one read in progress; done closes when snap and err are set.
type flight struct {
	done chan struct{}
	snap *MetagraphSnapshot
	err  error
}

// NewMetagraphView returns a view of subnet netuid read through q; it reads
// nothing until Refresh or Run.
func NewMetagraphView(q MetagraphQuerier, netuid uint32, opts MetagraphOptions) *MetagraphView {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &MetagraphView{q: q, netuid: netuid, opts: opts, kick: make(chan struct{}, 1),
		subs: make(map[int]func(old, cur *MetagraphSnapshot))}
}

// Netuid is the subnet the view reads.
func (v *MetagraphView) Netuid() uint32 { return v.netuid }

// Snapshot is the last good snapshot, nil before the first good read.
func (v *MetagraphView) Snapshot() *MetagraphSnapshot { return v.snap.Load() }

// Subscribe calls fn with the previous (nil at first) and the new snapshot
// each time a read publishes a changed state (height, subnet or neurons),
// synchronously in the reading goroutine, before Refresh returns; fn must
// not call Refresh. The returned function unsubscribes.
func (v *MetagraphView) Subscribe(fn func(old, cur *MetagraphSnapshot)) (unsubscribe func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	id := v.nextSub
	v.nextSub++
	v.subs[id] = fn
	return func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		delete(v.subs, id)
	}
}

// Refresh reads the chain now and returns the new snapshot. A call made
// while a read is in flight waits for that read and shares its result
// rather than starting another. On error the last good snapshot stays.
func (v *MetagraphView) Refresh(ctx context.Context) (*MetagraphSnapshot, error) {
	v.mu.Lock()
	f := v.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		v.flight = f
		v.mu.Unlock()
		v.read(ctx, f)
	} else {
		v.joined++
		v.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.snap, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// read runs one read for f, publishes it and tells the subscribers.
func (v *MetagraphView) read(ctx context.Context, f *flight) {
	snap, err := ReadMetagraph(ctx, v.q, v.netuid, v.opts.Now)
	var old *MetagraphSnapshot
	changed := false
	if err == nil {
		old = v.snap.Swap(snap)
		changed = !snap.sameState(old)
	}
	if changed {
		for _, fn := range v.subscribers() {
			fn(old, snap)
		}
	}
	if v.opts.OnRefresh != nil {
		v.opts.OnRefresh(ctx, snap, err)
	}
	v.mu.Lock()
	v.flight = nil
	v.mu.Unlock()
	f.snap, f.err = snap, err
	close(f.done)
}

func (v *MetagraphView) subscribers() []func(old, cur *MetagraphSnapshot) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ids := make([]int, 0, len(v.subs))
	for id := range v.subs {
		ids = append(ids, id)
	}
	slices.Sort(ids) // subscription order
	out := make([]func(old, cur *MetagraphSnapshot), len(ids))
	for i, id := range ids {
		out[i] = v.subs[id]
	}
	return out
}

// RequestRefresh asks Run for a read as soon as possible without waiting
// for it; requests made before that read starts are served by it.
func (v *MetagraphView) RequestRefresh() {
	select {
	case v.kick <- struct{}{}:
	default:
	}
}

// Run reads every Interval (when set) and on RequestRefresh until ctx
// ends; failed reads are left to OnRefresh and the next tick.
func (v *MetagraphView) Run(ctx context.Context) error {
	var tick <-chan time.Time
	if v.opts.Interval > 0 {
		t := time.NewTicker(v.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		case <-v.kick:
		}
		if _, err := v.Refresh(ctx); err != nil && ctx.Err() != nil {
			return nil
		}
	}
}
