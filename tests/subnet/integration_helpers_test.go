package subnet

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	"github.com/cosmos/cosmos-sdk/types/query"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/cmd/tensorcosmd/cmd"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// newAccounts creates a key per name and funds them all in one transaction.
func (h *harness) newAccounts(amount int64, names ...string) {
	val := h.net.Validators[0]
	msgs := make([]sdk.Msg, 0, len(names))
	for _, name := range names {
		rec, _, err := h.kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
		require.NoError(h.t, err)
		addr, err := rec.GetAddress()
		require.NoError(h.t, err)
		h.addrs[name] = sdk.MustBech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
		msgs = append(msgs, banktypes.NewMsgSend(val.Address, addr, sdk.NewCoins(sdk.NewInt64Coin("utensor", amount))))
	}
	h.exec([]string{val.Moniker}, msgs...)
}

// snapshot is the chain state of one subnet at one height, as the queries return it.
type snapshot struct {
	height   int64
	subnet   types.Subnet
	neurons  []types.NeuronInfo
	weights  map[uint32]types.WeightsRow
	bonds    map[uint32]types.BondsRow
	pending  math.Int
	issued   math.Int
	balances map[string]math.Int // by account name
	staked   map[string]math.Int // by account name: its stake on every hotkey
}

// waitCommitted waits until the app has committed height: CometBFT stores
// a block (what height() and WaitForHeight see) before the app commits
// it, and a query at that height in between is refused as "in the future".
func (h *harness) waitCommitted(ctx context.Context, q types.QueryClient, height int64) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := q.Params(ctx, &types.QueryParamsRequest{})
		if err == nil || !strings.Contains(err.Error(), "in the future") || time.Now().After(deadline) {
			require.NoError(h.t, err, "query at height %d", height)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// snapshotAt reads the subnet and the named accounts at height over gRPC.
func (h *harness) snapshotAt(height int64, netuid uint32, names []string) snapshot {
	h.t.Helper()
	ctx := metadata.AppendToOutgoingContext(h.ctx, grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(height, 10))
	q := types.NewQueryClient(h.client.Conn())
	h.waitCommitted(ctx, q, height)
	s := snapshot{height: height, weights: map[uint32]types.WeightsRow{}, bonds: map[uint32]types.BondsRow{},
		balances: map[string]math.Int{}, staked: map[string]math.Int{}}
	sub, err := q.Subnet(ctx, &types.QuerySubnetRequest{Netuid: netuid})
	require.NoError(h.t, err)
	s.subnet = sub.Subnet
	mg, err := q.Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: netuid})
	require.NoError(h.t, err)
	require.Equal(h.t, height, mg.Block, "metagraph read at the wrong height")
	s.neurons = mg.Neurons
	require.NoError(h.t, neuron.AllPages(ctx, func(page *query.PageRequest) (*query.PageResponse, error) {
		ws, err := q.Weights(ctx, &types.QueryWeightsRequest{Netuid: netuid, Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, w := range ws.Weights {
			s.weights[w.Uid] = w.Row
		}
		return ws.Pagination, nil
	}))
	require.NoError(h.t, neuron.AllPages(ctx, func(page *query.PageRequest) (*query.PageResponse, error) {
		bs, err := q.Bonds(ctx, &types.QueryBondsRequest{Netuid: netuid, Pagination: page})
		if err != nil {
			return nil, err
		}
		for _, b := range bs.Bonds {
			s.bonds[b.Uid] = b.Row
		}
		return bs.Pagination, nil
	}))
	em, err := q.Emission(ctx, &types.QueryEmissionRequest{Netuid: netuid})
	require.NoError(h.t, err)
	s.pending, s.issued = em.Pending, em.TotalIssued
	bank := banktypes.NewQueryClient(h.client.Conn())
	for _, name := range names {
		bal, err := bank.Balance(ctx, &banktypes.QueryBalanceRequest{Address: h.addrs[name], Denom: "utensor"})
		require.NoError(h.t, err)
		s.balances[name] = bal.Balance.Amount
		st, err := q.StakeByStaker(ctx, &types.QueryStakeByStakerRequest{Staker: h.addrs[name]})
		require.NoError(h.t, err)
		total := math.ZeroInt()
		for _, x := range st.Stakes {
			total = total.Add(x.Amount)
		}
		s.staked[name] = total
	}
	return s
}

// scenarioJSON is the `yuma simulate` scenario format (x/subnet/yuma/README.md).
type scenarioJSON struct {
	N        int                        `json:"n"`
	Stakes   []uint64                   `json:"stakes"`
	Emission uint64                     `json:"emission"`
	OwnerUID *uint32                    `json:"owner_uid"`
	Params   map[string]json.RawMessage `json:"params"`
	State    scenarioStateJSON          `json:"state"`
	Epochs   []scenarioEpochJSON        `json:"epochs"`
}

type scenarioStateJSON struct {
	RegisteredAt    []uint64                        `json:"registered_at"`
	LastUpdate      []uint64                        `json:"last_update"`
	ValidatorPermit []bool                          `json:"validator_permit"`
	Weights         map[string][][2]uint32          `json:"weights"`
	Bonds           map[string][][2]json.RawMessage `json:"bonds"`
}

type scenarioEpochJSON struct {
	Block    int64    `json:"block"`
	Emission uint64   `json:"emission"`
	Stakes   []uint64 `json:"stakes,omitempty"`
}

// stakes returns the stake behind each UID as the epoch reads it (saturated to u64).
func (s snapshot) stakes() []uint64 {
	out := make([]uint64, len(s.neurons))
	for i, n := range s.neurons {
		out[i] = types.SaturatingUint64(n.Stake)
	}
	return out
}

// scenarioFrom writes the scenario that replays the epochs at the blocks after each
// snapshot in pre (taken one block before its epoch), from the first snapshot's state:
// stakes, registration and update blocks, permits, weights and bonds, the subnet's
// hyperparameters with fractions written exactly, and each epoch's emission after the
// owner's cut. Weights are not changed between the epochs, so only stakes are updated.
func scenarioFrom(t *testing.T, pre []snapshot, emissions []uint64) []byte {
	first := pre[0]
	hp := first.subnet.Hyperparams
	frac := func(u uint32) json.RawMessage { return json.RawMessage(yuma.FromU16(uint16(u)).String()) }
	num := func(v uint64) json.RawMessage { return json.RawMessage(strconv.FormatUint(v, 10)) }
	flag := func(b bool) json.RawMessage { return json.RawMessage(strconv.FormatBool(b)) }
	sc := scenarioJSON{
		N: len(first.neurons), Stakes: first.stakes(), Emission: emissions[0],
		Params: map[string]json.RawMessage{
			"kappa": frac(hp.Kappa), "bonds_moving_average": num(hp.BondsMovingAverage),
			"bonds_penalty": frac(hp.BondsPenalty), "activity_cutoff": num(hp.ActivityCutoff),
			"max_allowed_validators": num(uint64(min(hp.MaxAllowedValidators, 65535))),
			"tempo":                  num(uint64(hp.Tempo)), "yuma3": flag(hp.Yuma3),
			"liquid_alpha": flag(hp.LiquidAlpha),
			"alpha_low":    frac(hp.AlphaLow), "alpha_high": frac(hp.AlphaHigh),
			"alpha_sigmoid_steepness": num(min(hp.AlphaSigmoidSteepness, 32767)),
		},
		State: scenarioStateJSON{Weights: map[string][][2]uint32{}, Bonds: map[string][][2]json.RawMessage{}},
	}
	for i, n := range first.neurons {
		nr := n.Neuron
		sc.State.RegisteredAt = append(sc.State.RegisteredAt, uint64(nr.RegistrationBlock))
		sc.State.LastUpdate = append(sc.State.LastUpdate, uint64(nr.LastUpdate))
		sc.State.ValidatorPermit = append(sc.State.ValidatorPermit, nr.ValidatorPermit)
		if first.subnet.OwnerHotkey != "" && nr.Hotkey == first.subnet.OwnerHotkey && nr.Coldkey == first.subnet.Owner {
			uid := uint32(i)
			sc.OwnerUID = &uid
		}
		key := strconv.Itoa(i)
		for _, e := range first.weights[uint32(i)].Entries {
			sc.State.Weights[key] = append(sc.State.Weights[key], [2]uint32{e.Uid, e.Value})
		}
		for _, e := range first.bonds[uint32(i)].Entries {
			bond := [2]json.RawMessage{num(uint64(e.Uid)), json.RawMessage(yuma.Fixed(e.Value).String())}
			sc.State.Bonds[key] = append(sc.State.Bonds[key], bond)
		}
	}
	for k, p := range pre {
		ep := scenarioEpochJSON{Block: p.height + 1, Emission: emissions[k]}
		if k > 0 {
			ep.Stakes = p.stakes()
		}
		sc.Epochs = append(sc.Epochs, ep)
	}
	bz, err := json.Marshal(sc)
	require.NoError(t, err)
	return bz
}

// simEpoch is one epoch of `yuma simulate`'s output, numbers kept as printed.
type simEpoch struct {
	Block           int64           `json:"block"`
	ValidatorPermit []bool          `json:"validator_permit"`
	Consensus       []json.Number   `json:"consensus"`
	Trust           []json.Number   `json:"trust"`
	ValidatorTrust  []json.Number   `json:"validator_trust"`
	Rank            []json.Number   `json:"rank"`
	Incentive       []json.Number   `json:"incentive"`
	Dividends       []json.Number   `json:"dividends"`
	Bonds           [][]json.Number `json:"bonds"`
	Emission        []json.Number   `json:"emission"`
}

// yumaSimulate runs `tensorcosmd yuma simulate -` in-process on the scenario.
func yumaSimulate(t *testing.T, scenario []byte) []simEpoch {
	t.Helper()
	root, err := cmd.NewRootCmd()
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(bytes.NewReader(scenario))
	// main adds --home through svrcmd.Execute; point it at a temp dir
	root.PersistentFlags().String(flags.FlagHome, t.TempDir(), "node home")
	root.SetArgs([]string{"yuma", "simulate", "-"})
	require.NoError(t, root.Execute(), "yuma simulate: %s\nscenario: %s", errOut.String(), scenario)
	var doc struct {
		Epochs []simEpoch `json:"epochs"`
	}
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&doc), "yuma simulate printed %s", out.String())
	return doc.Epochs
}

// quantised returns the range of u16 values that the exact fraction behind a printed
// decimal can have: the simulator prints the exact value rounded half up to
// yuma.JSONPlaces places, so it lies within half a unit of the last place.
func quantised(t *testing.T, printed json.Number) (lo, hi uint32) {
	t.Helper()
	f, err := yuma.ParseFixed(string(printed))
	require.NoError(t, err)
	half, err := yuma.FromRatio(1, 2*10_000_000_000)
	require.NoError(t, err)
	half++ // FromRatio rounds down
	low := yuma.Fixed(0)
	if f > half {
		low = f - half
	}
	return uint32(low.ToU16()), uint32((f + half).ToU16())
}

func mustInt(t *testing.T, s string) math.Int {
	t.Helper()
	v, ok := math.NewIntFromString(s)
	require.True(t, ok, "not an integer: %q", s)
	return v
}
