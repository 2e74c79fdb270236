package axon

import "sync"

// NeuronInfo is what the axon needs to know about a caller.
type NeuronInfo struct {
	// UID is the neuron's slot in the subnet.
	UID uint32
	// Stake is the hotkey's total stake; it orders the server's work.
	Stake uint64
	// ValidatorPermit tells whether the neuron may act as a validator.
	ValidatorPermit bool
}

// Metagraph is the axon's view of the chain: who is registered where, and
// the height receipts are signed at. Implementations must be safe for
// concurrent use.
type Metagraph interface {
	// Neuron returns the neuron registered under hotkey in netuid.
	Neuron(netuid uint32, hotkey string) (NeuronInfo, bool)
	// BlockHeight is the latest block height the metagraph has seen.
	BlockHeight() int64
}

// StaticMetagraph is an in-memory Metagraph: tests fill it by hand and the
// miner refreshes it from chain queries.
type StaticMetagraph struct {
	mu      sync.RWMutex
	neurons map[uint32]map[string]NeuronInfo
	height  int64
}

var _ Metagraph = (*StaticMetagraph)(nil)

// NewStaticMetagraph returns an empty metagraph at height 0.
func NewStaticMetagraph() *StaticMetagraph {
	return &StaticMetagraph{neurons: make(map[uint32]map[string]NeuronInfo)}
}

// Neuron implements Metagraph.
func (m *StaticMetagraph) Neuron(netuid uint32, hotkey string) (NeuronInfo, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, ok := m.neurons[netuid][hotkey]
	return n, ok
}

// BlockHeight implements Metagraph.
func (m *StaticMetagraph) BlockHeight() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.height
}

// SetNeuron registers or updates one neuron.
func (m *StaticMetagraph) SetNeuron(netuid uint32, hotkey string, n NeuronInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sub, ok := m.neurons[netuid]
	if !ok {
		sub = make(map[string]NeuronInfo)
		m.neurons[netuid] = sub
	}
	sub[hotkey] = n
}

// RemoveNeuron deregisters one neuron.
func (m *StaticMetagraph) RemoveNeuron(netuid uint32, hotkey string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.neurons[netuid], hotkey)
}

// ReplaceSubnet swaps a subnet's whole neuron set at once, so a refresh from
// the chain is never seen half done. The map is copied.
func (m *StaticMetagraph) ReplaceSubnet(netuid uint32, neurons map[string]NeuronInfo) {
	sub := make(map[string]NeuronInfo, len(neurons))
	for k, v := range neurons {
		sub[k] = v
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.neurons[netuid] = sub
}

// SetBlockHeight records the latest block height.
func (m *StaticMetagraph) SetBlockHeight(h int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.height = h
}
