package miner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdkmath "cosmossdk.io/math"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/model"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// denom is the chain's fee and burn denomination.
const denom = "utensor"

// ErrNotRegistered is returned by Run when the hotkey is not registered in
// the subnet and the miner may not register it.
var ErrNotRegistered = errors.New("hotkey not registered in the subnet")

// ErrTaskMismatch is returned by Run when the model's inputs or outputs do
// not fit the subnet's task.
var ErrTaskMismatch = errors.New("model does not fit the subnet's task")

// keyAddress returns the bech32 account address of a keyring key.
func keyAddress(kr keyring.Keyring, name string) (string, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return "", fmt.Errorf("keyring key %q: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return "", fmt.Errorf("keyring key %q: %w", name, err)
	}
	return sdk.Bech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
}

// CheckTask checks a model's inputs and outputs against a subnet's task:
// the same names in the same order, the same dtypes and ranks, each fixed
// task dimension fixed to the same size or dynamic in the model, and each
// dynamic task dimension dynamic in the model.
func CheckTask(task subnettypes.TaskSpec, inputs, outputs []model.TensorInfo) error {
	errs := append(checkSpecs("input", task.Inputs, inputs), checkSpecs("output", task.Outputs, outputs)...)
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w %q: %s", ErrTaskMismatch, task.Kind, strings.Join(errs, "; "))
}

func checkSpecs(kind string, want []subnettypes.TensorSpec, got []model.TensorInfo) []string {
	if len(want) != len(got) {
		return []string{fmt.Sprintf("the task has %d %ss %v, the model %d %v", len(want), kind, want, len(got), got)}
	}
	var errs []string
	for i, w := range want {
		g := got[i]
		if w.Name != g.Name || w.Dtype != string(g.DType) || !dimsFit(w.Shape, g.Shape) {
			errs = append(errs, fmt.Sprintf("%s %d: the task wants %s %s %v, the model has %s", kind, i, w.Name, w.Dtype, w.Shape, g))
		}
	}
	return errs
}

func dimsFit(want, got []int64) bool {
	if len(want) != len(got) {
		return false
	}
	for i, w := range want {
		if got[i] != w && !(w >= 0 && got[i] < 0) {
			return false
		}
	}
	return true
}

// neuron returns the hotkey's neuron in the subnet; found is false when the
// chain says it is not registered.
func (m *Miner) neuron(ctx context.Context) (n subnettypes.Neuron, found bool, err error) {
	res, err := m.query.NeuronByHotkey(ctx, &subnettypes.QueryNeuronByHotkeyRequest{Netuid: m.cfg.Netuid, Hotkey: m.hotkey})
	if status.Code(err) == codes.NotFound {
		return subnettypes.Neuron{}, false, nil
	}
	if err != nil {
		return subnettypes.Neuron{}, false, fmt.Errorf("query neuron of hotkey %s: %w", m.hotkey, err)
	}
	return res.Neuron.Neuron, true, nil
}

// ensureRegistered returns the hotkey's neuron, registering it first when
// it is not registered and the config allows it.
func (m *Miner) ensureRegistered(ctx context.Context) (subnettypes.Neuron, error) {
	n, found, err := m.neuron(ctx)
	if err != nil || found {
		return n, err
	}
	if !m.cfg.Register {
		return n, fmt.Errorf("%w: hotkey %s in subnet %d (set register: true and max_burn to register it, or run `tensorcosmd tx subnet register`)",
			ErrNotRegistered, m.hotkey, m.cfg.Netuid)
	}
	if err := m.register(ctx); err != nil {
		return n, err
	}
	n, found, err = m.neuron(ctx)
	if err == nil && !found {
		err = fmt.Errorf("%w: hotkey %s still absent after registering", ErrNotRegistered, m.hotkey)
	}
	return n, err
}

func (m *Miner) register(ctx context.Context) error {
	cold, err := keyAddress(m.keyring, m.cfg.Keyring.Coldkey)
	if err != nil {
		return err
	}
	price, err := m.query.RegistrationPrice(ctx, &subnettypes.QueryRegistrationPriceRequest{Netuid: m.cfg.Netuid})
	if err != nil {
		return fmt.Errorf("query registration price: %w", err)
	}
	maxBurn := sdkmath.NewIntFromUint64(m.cfg.MaxBurn)
	if price.Price.GT(maxBurn) {
		return fmt.Errorf("registration in subnet %d costs %s%s, above max_burn %s%s", m.cfg.Netuid, price.Price, denom, maxBurn, denom)
	}
	if err := m.fundHotkey(ctx, cold); err != nil {
		return err
	}
	m.log.Info("registering hotkey", "coldkey", cold, "price", price.Price.String(), "max_burn", maxBurn.String())
	_, err = m.chain.Broadcast(ctx, []string{m.cfg.Keyring.Coldkey, m.cfg.Keyring.Hotkey},
		&subnettypes.MsgRegister{Coldkey: cold, Hotkey: m.hotkey, Netuid: m.cfg.Netuid, MaxBurn: maxBurn})
	m.metrics.tx("register", err)
	if err != nil {
		return fmt.Errorf("register hotkey %s in subnet %d: %w", m.hotkey, m.cfg.Netuid, err)
	}
	m.log.Info("hotkey registered")
	return nil
}

// fundHotkey sends 1utensor from the coldkey to a hotkey without an
// account: MsgRegister is signed by the hotkey, and a signer's account must
// exist.
func (m *Miner) fundHotkey(ctx context.Context, cold string) error {
	_, err := authtypes.NewQueryClient(m.chain.Conn()).AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: m.hotkey})
	if err == nil {
		return nil
	}
	if status.Code(err) != codes.NotFound {
		return fmt.Errorf("query hotkey account %s: %w", m.hotkey, err)
	}
	m.log.Info("creating the hotkey account", "coldkey", cold, "amount", "1"+denom)
	msg := &banktypes.MsgSend{FromAddress: cold, ToAddress: m.hotkey, Amount: sdk.NewCoins(sdk.NewInt64Coin(denom, 1))}
	_, err = m.chain.Broadcast(ctx, []string{m.cfg.Keyring.Coldkey}, msg)
	m.metrics.tx("fund_hotkey", err)
	if err != nil {
		return fmt.Errorf("fund hotkey account %s from coldkey %s: %w", m.hotkey, cold, err)
	}
	return nil
}

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
	neurons := make(map[string]axon.NeuronInfo)
	var height int64
	var key []byte
	for {
		res, err := m.query.Metagraph(ctx, &subnettypes.QueryMetagraphRequest{Netuid: m.cfg.Netuid, Pagination: &query.PageRequest{Key: key}})
		if err != nil {
			m.metrics.refreshes.WithLabelValues("error").Inc()
			return fmt.Errorf("query metagraph of subnet %d: %w", m.cfg.Netuid, err)
		}
		height = max(height, res.Block)
		for _, ni := range res.Neurons {
			neurons[ni.Neuron.Hotkey] = axon.NeuronInfo{UID: ni.Neuron.Uid, Stake: subnettypes.SaturatingUint64(ni.Stake), ValidatorPermit: ni.Neuron.ValidatorPermit}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			break
		}
		key = res.Pagination.NextKey
	}
	m.meta.ReplaceSubnet(m.cfg.Netuid, neurons)
	m.meta.SetBlockHeight(height)
	m.metrics.refreshes.WithLabelValues("ok").Inc()
	m.metrics.refreshHeight.Set(float64(height))
	m.metrics.neurons.Set(float64(len(neurons)))
	m.lastRefresh.Store(m.now().UnixNano())
	return nil
}
