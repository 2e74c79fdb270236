package miner

import (
	"context"
	"errors"
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
// differs from what this miner serves. It reports whether it sent one.
func (m *Miner) announce(ctx context.Context, n subnettypes.Neuron, host string, port uint32) (bool, error) {
	want := subnettypes.MsgServeAxon{
		Hotkey: m.hotkey, Netuid: m.cfg.Netuid,
		Axon:  subnettypes.AxonInfo{Host: host, Port: port, Protocol: "grpc", TlsFingerprint: m.tlsFingerprint()},
		Model: subnettypes.ModelCommitment{Sha256: m.session.SHA256(), Size_: uint64(m.session.Size()), Uri: m.cfg.Announce.ModelURI},
	}
	if n.Axon != nil && n.Model != nil && n.Axon.Host == host && n.Axon.Port == port && n.Axon.Protocol == "grpc" &&
		n.Axon.TlsFingerprint == want.Axon.TlsFingerprint &&
		n.Model.Sha256 == want.Model.Sha256 && n.Model.Size_ == want.Model.Size_ && n.Model.Uri == want.Model.Uri {
		return false, nil
	}
	m.log.Info("announcing axon", "host", host, "port", port, "tls_fingerprint", want.Axon.TlsFingerprint,
		"sha256", want.Model.Sha256, "size", want.Model.Size_)
	res, err := m.chain.Broadcast(ctx, []string{m.cfg.Keyring.Hotkey}, &want)
	m.metrics.tx("serve_axon", err)
	if err != nil {
		return false, fmt.Errorf("announce axon %s:%d and model %s (MsgServeAxon is allowed once per serving_rate_limit blocks): %w",
			host, port, want.Model.Sha256, err)
	}
	// the metagraph may lag the block that holds the commitment: leaves
	// stamped from now on carry at least that block's height
	m.committedAt.Store(res.Height)
	if res.Height > m.meta.BlockHeight() {
		m.meta.SetBlockHeight(res.Height)
	}
	return true, nil
}

// servingRateLimited reports whether err is the chain refusing MsgServeAxon
// because the neuron served too recently (chainclient's typed errors match
// the registered error of the chain's codespace and code).
func servingRateLimited(err error) bool {
	return errors.Is(err, subnettypes.ErrServingRateLimit)
}

// watchSelf keeps the chain's record of this miner right after startup: when
// the hotkey was pruned it registers again (with register: true; otherwise it
// says so loudly at every refresh), and when the chain's axon or model differs
// from what is served (an announcement refused by the serving rate limit, or
// a new registration) it announces again once the rate limit allows.
func (m *Miner) watchSelf(ctx context.Context, infos []subnettypes.NeuronInfo, height int64) {
	var self *subnettypes.Neuron
	for i := range infos {
		if infos[i].Neuron.Hotkey == m.hotkey {
			self = &infos[i].Neuron
			break
		}
	}
	if self == nil {
		m.metrics.registered.Set(0)
		m.setServing(false)
		if !m.cfg.Register {
			m.log.Error("the hotkey is no longer registered in the subnet (pruned?): validators stop querying it; " +
				"set register: true to let the miner register again")
			return
		}
		m.log.Warn("the hotkey is no longer registered in the subnet (pruned?); registering again", "max_burn", m.cfg.MaxBurn)
		n, err := m.account.EnsureRegistered(ctx, true, m.cfg.MaxBurn)
		if err != nil {
			m.log.Error("registering again failed; retrying at the next refresh", "error", err)
			return
		}
		m.log.Info("hotkey registered in subnet again", "uid", n.Uid)
		self = &n
	}
	m.metrics.registered.Set(1)
	m.setServing(true)
	if height < m.announceAfter {
		return
	}
	if _, err := m.announce(ctx, *self, m.host, m.port); err != nil {
		m.announceAfter = m.nextAnnounce(ctx, *self, height, err)
	}
}

// nextAnnounce logs a failed announcement and returns the height from which
// to try again: the end of the serving rate limit when that was the reason,
// else the next refresh.
func (m *Miner) nextAnnounce(ctx context.Context, n subnettypes.Neuron, height int64, err error) int64 {
	if !servingRateLimited(err) {
		m.log.Warn("announcing the axon failed; retrying at the next refresh", "error", err)
		return 0
	}
	next := height + 1
	if res, qerr := m.account.Query.Subnet(ctx, &subnettypes.QuerySubnetRequest{Netuid: m.cfg.Netuid}); qerr == nil && n.Axon != nil {
		next = max(next, n.Axon.Block+int64(res.Subnet.Hyperparams.ServingRateLimit))
	}
	m.log.Warn("the chain refused the announcement for now (serving rate limit); serving anyway and announcing again",
		"from_height", next, "host", m.host, "port", m.port)
	return next
}

// refresh reads the metagraph now (see refreshed and serveMetagraph for
// what follows a read).
func (m *Miner) refresh(ctx context.Context) error {
	_, err := m.view.Refresh(ctx)
	return err
}

// refreshed follows every metagraph read: it counts it and, once the miner
// serves, keeps the chain's record of this miner right.
func (m *Miner) refreshed(ctx context.Context, snap *neuron.MetagraphSnapshot, err error) {
	if err != nil {
		m.metrics.refreshes.WithLabelValues("error").Inc()
		if m.host != "" && ctx.Err() == nil { // startup returns its own error
			m.log.Warn("metagraph refresh failed; keeping the previous one", "error", err)
		}
		return
	}
	m.metrics.refreshes.WithLabelValues("ok").Inc()
	m.metrics.refreshHeight.Set(float64(snap.Height))
	m.metrics.neurons.Set(float64(len(snap.Neurons)))
	m.lastRefresh.Store(m.now().UnixNano())
	if m.host != "" {
		m.watchSelf(ctx, snap.Neurons, snap.Height)
	}
}

// serveMetagraph is the axon's metagraph adapter: each changed snapshot
// replaces the axon's view of the subnet's neurons.
func (m *Miner) serveMetagraph(_, cur *neuron.MetagraphSnapshot) {
	neurons := make(map[string]axon.NeuronInfo, len(cur.Neurons))
	for _, ni := range cur.Neurons {
		neurons[ni.Neuron.Hotkey] = axon.NeuronInfo{UID: ni.Neuron.Uid, Stake: subnettypes.SaturatingUint64(ni.Stake), ValidatorPermit: ni.Neuron.ValidatorPermit}
	}
	m.meta.ReplaceSubnet(m.cfg.Netuid, neurons)
	m.meta.SetBlockHeight(max(cur.Height, m.committedAt.Load()))
	if srv := m.srv.Load(); srv != nil {
		srv.RefreshSessions() // a deregistered caller's sessions end now
	}
}

// tlsFingerprint is the served certificate's pin, "" with TLS off or before
// the axon server exists.
func (m *Miner) tlsFingerprint() string {
	if srv := m.srv.Load(); srv != nil {
		return srv.TLSFingerprint()
	}
	return ""
}

// setServing tells the axon's health service whether the miner serves: its
// hotkey is registered (the model is loaded before the axon exists).
func (m *Miner) setServing(serving bool) {
	if srv := m.srv.Load(); srv != nil && m.ready.Load() {
		srv.SetServing(serving)
	}
}
