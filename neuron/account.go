// Package neuron is what the tensorcosm daemons (miner, validator, and the
// gateway to come) share: one config section (Config: chain, keyring,
// subnet and registration, metrics, logging, shutdown), a neuron's own
// operations on chain (registration under a price cap, the hotkey's account,
// stake), the metagraph view (MetagraphView: immutable snapshots, refreshed
// in the background and on demand, subscribers told of changes), the subnet
// task check, and the daemon lifecycle (Lifecycle: /metrics, /healthz, the
// ready flag, ordered shutdown; RunUntilSignal).
package neuron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	sdkmath "cosmossdk.io/math"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Denom is the chain's fee, burn and stake denomination.
const Denom = "utensor"

// ErrNotRegistered is returned when the hotkey is not registered in the
// subnet and the daemon may not register it.
var ErrNotRegistered = errors.New("hotkey not registered in the subnet")

// Account is one neuron's hotkey (and optional coldkey) on a chain: what a
// daemon does on chain for itself at startup.
type Account struct {
	// Chain signs and broadcasts; Query reads x/subnet.
	Chain *chainclient.Client
	Query subnettypes.QueryClient
	// Keyring holds the keys named by HotkeyName and ColdkeyName.
	Keyring     keyring.Keyring
	HotkeyName  string
	ColdkeyName string
	// Hotkey is the bech32 address of HotkeyName.
	Hotkey string
	// Netuid is the subnet.
	Netuid uint32
	// Log receives progress; nil discards it.
	Log *slog.Logger
	// OnTx, when set, is told of every transaction sent: its kind
	// (fund_hotkey, register, add_stake) and error.
	OnTx func(kind string, err error)
}

// NewAccount builds an Account over chain for the keys named in k.
func NewAccount(chain *chainclient.Client, kr keyring.Keyring, k KeyringConfig, netuid uint32, log *slog.Logger) (*Account, error) {
	hot, err := KeyAddress(kr, k.Hotkey)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Account{Chain: chain, Query: subnettypes.NewQueryClient(chain.Conn()), Keyring: kr,
		HotkeyName: k.Hotkey, ColdkeyName: k.Coldkey, Hotkey: hot, Netuid: netuid, Log: log}, nil
}

func (a *Account) tx(kind string, err error) {
	if a.OnTx != nil {
		a.OnTx(kind, err)
	}
}

// Neuron returns the hotkey's neuron in the subnet; found is false when the
// chain says it is not registered.
func (a *Account) Neuron(ctx context.Context) (n subnettypes.Neuron, found bool, err error) {
	res, err := a.Query.NeuronByHotkey(ctx, &subnettypes.QueryNeuronByHotkeyRequest{Netuid: a.Netuid, Hotkey: a.Hotkey})
	if status.Code(err) == codes.NotFound {
		return subnettypes.Neuron{}, false, nil
	}
	if err != nil {
		return subnettypes.Neuron{}, false, fmt.Errorf("query neuron of hotkey %s: %w", a.Hotkey, err)
	}
	return res.Neuron.Neuron, true, nil
}

// EnsureRegistered returns the hotkey's neuron, registering it first when
// it is not registered and register is set, paying at most maxBurn utensor
// from the coldkey.
func (a *Account) EnsureRegistered(ctx context.Context, register bool, maxBurn uint64) (subnettypes.Neuron, error) {
	n, found, err := a.Neuron(ctx)
	if err != nil || found {
		return n, err
	}
	if !register {
		return n, fmt.Errorf("%w: hotkey %s in subnet %d (set register: true and max_burn to register it, or run `tensorcosmd tx subnet register`)",
			ErrNotRegistered, a.Hotkey, a.Netuid)
	}
	if err := a.register(ctx, maxBurn); err != nil {
		return n, err
	}
	n, found, err = a.Neuron(ctx)
	if err == nil && !found {
		err = fmt.Errorf("%w: hotkey %s still absent after registering", ErrNotRegistered, a.Hotkey)
	}
	return n, err
}

func (a *Account) register(ctx context.Context, maxBurnUtensor uint64) error {
	cold, err := KeyAddress(a.Keyring, a.ColdkeyName)
	if err != nil {
		return err
	}
	price, err := a.Query.RegistrationPrice(ctx, &subnettypes.QueryRegistrationPriceRequest{Netuid: a.Netuid})
	if err != nil {
		return fmt.Errorf("query registration price: %w", err)
	}
	maxBurn := sdkmath.NewIntFromUint64(maxBurnUtensor)
	if price.Price.GT(maxBurn) {
		return fmt.Errorf("registration in subnet %d costs %s%s, above max_burn %s%s", a.Netuid, price.Price, Denom, maxBurn, Denom)
	}
	if err := a.fundHotkey(ctx, cold); err != nil {
		return err
	}
	a.Log.Info("registering hotkey", "coldkey", cold, "price", price.Price.String(), "max_burn", maxBurn.String())
	_, err = a.Chain.Broadcast(ctx, []string{a.ColdkeyName, a.HotkeyName},
		&subnettypes.MsgRegister{Coldkey: cold, Hotkey: a.Hotkey, Netuid: a.Netuid, MaxBurn: maxBurn})
	a.tx("register", err)
	if err != nil {
		return fmt.Errorf("register hotkey %s in subnet %d: %w", a.Hotkey, a.Netuid, err)
	}
	a.Log.Info("hotkey registered")
	return nil
}

// fundHotkey sends 1utensor from the coldkey to a hotkey without an
// account: MsgRegister is signed by the hotkey, and a signer's account must
// exist.
func (a *Account) fundHotkey(ctx context.Context, cold string) error {
	_, err := authtypes.NewQueryClient(a.Chain.Conn()).AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: a.Hotkey})
	if err == nil {
		return nil
	}
	if status.Code(err) != codes.NotFound {
		return fmt.Errorf("query hotkey account %s: %w", a.Hotkey, err)
	}
	a.Log.Info("creating the hotkey account", "coldkey", cold, "amount", "1"+Denom)
	msg := &banktypes.MsgSend{FromAddress: cold, ToAddress: a.Hotkey, Amount: sdk.NewCoins(sdk.NewInt64Coin(Denom, 1))}
	_, err = a.Chain.Broadcast(ctx, []string{a.ColdkeyName}, msg)
	a.tx("fund_hotkey", err)
	if err != nil {
		return fmt.Errorf("fund hotkey account %s from coldkey %s: %w", a.Hotkey, cold, err)
	}
	return nil
}

// EnsureStake tops the hotkey's total stake up to target utensor with stake
// from the coldkey; it does nothing when target is 0 or already reached.
// Stake still warming up (it counts stake_warmup_blocks after it was added)
// is part of the total here, so a restart does not stake it twice.
func (a *Account) EnsureStake(ctx context.Context, target uint64) error {
	if target == 0 {
		return nil
	}
	res, err := a.Query.StakeByHotkey(ctx, &subnettypes.QueryStakeByHotkeyRequest{Hotkey: a.Hotkey})
	if err != nil {
		return fmt.Errorf("query stake of hotkey %s: %w", a.Hotkey, err)
	}
	want := sdkmath.NewIntFromUint64(target)
	have := res.Total
	if !res.Warming.IsNil() {
		have = have.Add(res.Warming)
	}
	if have.GTE(want) {
		a.Log.Info("hotkey stake already at target", "stake", res.Total.String(), "warming", res.Warming.String(), "target", want.String())
		return nil
	}
	cold, err := KeyAddress(a.Keyring, a.ColdkeyName)
	if err != nil {
		return err
	}
	add := want.Sub(have)
	a.Log.Info("adding stake", "coldkey", cold, "amount", add.String(), "stake", res.Total.String(), "warming", res.Warming.String(), "target", want.String())
	_, err = a.Chain.Broadcast(ctx, []string{a.ColdkeyName}, &subnettypes.MsgAddStake{Staker: cold, Hotkey: a.Hotkey, Amount: add})
	a.tx("add_stake", err)
	if err != nil {
		return fmt.Errorf("add %s%s stake on hotkey %s from coldkey %s: %w", add, Denom, a.Hotkey, cold, err)
	}
	return nil
}

// Metagraph reads every neuron of a subnet with its stake, page by page, and
// the highest block height the pages were read at.
func Metagraph(ctx context.Context, q MetagraphQuerier, netuid uint32) ([]subnettypes.NeuronInfo, int64, error) {
	var (
		neurons []subnettypes.NeuronInfo
		height  int64
		key     []byte
	)
	for {
		res, err := q.Metagraph(ctx, &subnettypes.QueryMetagraphRequest{Netuid: netuid, Pagination: &query.PageRequest{Key: key}})
		if err != nil {
			return nil, 0, fmt.Errorf("query metagraph of subnet %d: %w", netuid, err)
		}
		height = max(height, res.Block)
		neurons = append(neurons, res.Neurons...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return neurons, height, nil
		}
		key = res.Pagination.NextKey
	}
}
