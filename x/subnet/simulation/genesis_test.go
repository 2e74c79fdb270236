package simulation

import (
	"encoding/json"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestRandomValuesValidate checks that every random params and
// hyperparameters value the simulation uses passes validation.
func TestRandomValuesValidate(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for range 2_000 {
		require.NoError(t, RandomParams(r).Validate())
		require.NoError(t, RandomHyperparams(r).Validate())
	}
}

// TestRandomizedGenStateValidates checks the random genesis over many
// seeds: it validates, owners and neurons are simulation accounts, and the
// module account needs no balance (nothing locked, staked or pending).
func TestRandomizedGenStateValidates(t *testing.T) {
	cdc := codec.NewProtoCodec(codectypes.NewInterfaceRegistry())
	sawNeurons := false
	for seed := range int64(200) {
		r := rand.New(rand.NewSource(seed))
		accs := simtypes.RandomAccounts(r, 2+r.Intn(10))
		simState := &module.SimulationState{Cdc: cdc, Rand: r, Accounts: accs, GenState: map[string]json.RawMessage{}}
		RandomizedGenState(simState)

		var gs types.GenesisState
		require.NoError(t, cdc.UnmarshalJSON(simState.GenState[types.ModuleName], &gs))
		require.NoError(t, gs.Validate(), "seed %d", seed)
		isAcc := map[string]bool{}
		for _, a := range accs {
			isAcc[a.AddressBech32] = true
		}
		for _, s := range gs.Subnets {
			require.True(t, isAcc[s.Owner], "seed %d: owner %s", seed, s.Owner)
			require.True(t, s.Locked.IsZero())
		}
		for i, n := range gs.Neurons {
			require.Equal(t, uint32(i), n.Uid, "UIDs are dense")
			require.True(t, isAcc[n.Hotkey] && isAcc[n.Coldkey])
			require.NotEqual(t, n.Hotkey, n.Coldkey)
			sawNeurons = true
		}
		require.Empty(t, gs.Stakes)
		require.Empty(t, gs.Pending)
		require.True(t, gs.TotalIssued.Equal(math.ZeroInt()))
	}
	require.True(t, sawNeurons, "some seed has genesis neurons")
}
