package miner

import (
	"math"
	"testing"

	sdkmath "cosmossdk.io/math"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestServeMetagraphFeedsTheAxon: each changed snapshot replaces the
// axon's neurons of the miner's subnet (a neuron gone from the chain is
// gone from the axon) and its block height; stake saturates at MaxUint64.
func TestServeMetagraphFeedsTheAxon(t *testing.T) {
	m := &Miner{meta: axon.NewStaticMetagraph()}
	m.cfg.Netuid = 2
	huge := sdkmath.NewIntFromUint64(math.MaxUint64).AddRaw(1)
	m.serveMetagraph(nil, &neuron.MetagraphSnapshot{Height: 40, Neurons: []subnettypes.NeuronInfo{
		{Neuron: subnettypes.Neuron{Uid: 0, Hotkey: "val", ValidatorPermit: true}, Stake: huge},
		{Neuron: subnettypes.Neuron{Uid: 1, Hotkey: "old"}, Stake: sdkmath.NewInt(5)},
	}})
	if n, ok := m.meta.Neuron(2, "val"); !ok || n.UID != 0 || !n.ValidatorPermit || n.Stake != math.MaxUint64 {
		t.Errorf("val = %+v, %v; want UID 0 with a permit and saturated stake", n, ok)
	}
	m.serveMetagraph(nil, &neuron.MetagraphSnapshot{Height: 41, Neurons: []subnettypes.NeuronInfo{
		{Neuron: subnettypes.Neuron{Uid: 1, Hotkey: "new"}, Stake: sdkmath.NewInt(7)},
	}})
	if _, ok := m.meta.Neuron(2, "old"); ok {
		t.Error("a neuron gone from the chain is still in the axon's metagraph")
	}
	if _, ok := m.meta.Neuron(2, "val"); ok {
		t.Error("a neuron gone from the chain is still in the axon's metagraph")
	}
	if n, ok := m.meta.Neuron(2, "new"); !ok || n.UID != 1 || n.Stake != 7 {
		t.Errorf("new = %+v, %v; want UID 1 with stake 7", n, ok)
	}
	if h := m.meta.BlockHeight(); h != 41 {
		t.Errorf("axon height = %d, want 41", h)
	}
}
