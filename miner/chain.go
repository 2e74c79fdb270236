package miner

import (
	"context"
	"fmt"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// ErrNotRegistered is returned by Run when the hotkey is not registered in
// the subnet and the miner may not register it.
var ErrNotRegistered = neuron.ErrNotRegistered

// ErrTaskMismatch is returned by Run when the model's inputs or outputs do
// not fit the subnet's task.
var ErrTaskMismatch = neuron.ErrTaskMismatch

// CheckTask checks a model's inputs and outputs against a subnet's task
// (see neuron.CheckTask).
var CheckTask = neuron.CheckTask

// announce sends MsgServeAxon when the chain's axon or model commitment
// differs from what this miner serves.
func (m *Miner) announce(ctx context.Context, n subnettypes.Neuron, host string, port uint32) error {
	want := subnettypes.MsgServeAxon{
		Hotkey: m.hotkey, Netuid: m.cfg.Netuid,
		Axon:  subnettypes.AxonInfo{Host: host, Port: port, Protocol: "grpc"},
		Model: subnettypes.ModelCommitment{Sha256: m.session.SHA256(), Size_: uint64(m.session.Size()), Uri: m.cfg.Announce.ModelURI},
	}
	if n.Axon != nil && n.Model != nil && n.Axon.Host == host && n.Axon.Port == port && n.Axon.Protocol == "grpc" &&
		n.Model.Sha256 == want.Model.Sha256 && n.Model.Size_ == want.Model.Size_ && n.Model.Uri == want.Model.Uri {
		m.log.Info("chain already holds this axon and model", "host", host, "port", port, "sha256", want.Model.Sha256)
		return nil
	}
	m.log.Info("announcing axon", "host", host, "port", port, "sha256", want.Model.Sha256, "size", want.Model.Size_)
	_, err := m.chain.Broadcast(ctx, []string{m.cfg.Keyring.Hotkey}, &want)
	m.metrics.tx("serve_axon", err)
	if err != nil {
		return fmt.Errorf("announce axon %s:%d and model %s (MsgServeAxon is allowed once per serving_rate_limit blocks): %w",
			host, port, want.Model.Sha256, err)
	}
	return nil
}

// refresh reads the subnet's neurons into the axon's metagraph.
func (m *Miner) refresh(ctx context.Context) error {
	infos, height, err := neuron.Metagraph(ctx, m.account.Query, m.cfg.Netuid)
	if err != nil {
		m.metrics.refreshes.WithLabelValues("error").Inc()
		return err
	}
	neurons := make(map[string]axon.NeuronInfo, len(infos))
	for _, ni := range infos {
		neurons[ni.Neuron.Hotkey] = axon.NeuronInfo{UID: ni.Neuron.Uid, Stake: subnettypes.SaturatingUint64(ni.Stake), ValidatorPermit: ni.Neuron.ValidatorPermit}
	}
	m.meta.ReplaceSubnet(m.cfg.Netuid, neurons)
	m.meta.SetBlockHeight(height)
	m.metrics.refreshes.WithLabelValues("ok").Inc()
	m.metrics.refreshHeight.Set(float64(height))
	m.metrics.neurons.Set(float64(len(neurons)))
	m.lastRefresh.Store(m.now().UnixNano())
	return nil
}
