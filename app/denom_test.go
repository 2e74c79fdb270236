package app_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/log"

	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/app"
)

// TestDefaultGenesisDenomMetadata starts the app from its default genesis
// (plus one validator, which a chain needs to start) and asks bank's
// DenomMetadata query about utensor, as a wallet would.
func TestDefaultGenesisDenomMetadata(t *testing.T) {
	a, err := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.EmptyAppOptions{})
	if err != nil {
		t.Fatal(err)
	}
	initFromDefaultGenesis(t, a)
	ctx := a.NewContext(false)

	res, err := a.BankKeeper.DenomMetadata(ctx, &banktypes.QueryDenomMetadataRequest{Denom: app.BondDenom})
	if err != nil {
		t.Fatalf("DenomMetadata(%s): %v", app.BondDenom, err)
	}
	md := res.Metadata
	if md.Base != app.BondDenom || md.Display != app.DisplayDenom || md.Symbol != app.CoinSymbol || md.Name != app.CoinName {
		t.Errorf("metadata base/display/symbol/name = %s/%s/%s/%s, want %s/%s/%s/%s",
			md.Base, md.Display, md.Symbol, md.Name, app.BondDenom, app.DisplayDenom, app.CoinSymbol, app.CoinName)
	}
	exponents := map[string]uint32{}
	for _, u := range md.DenomUnits {
		exponents[u.Denom] = u.Exponent
	}
	want := map[string]uint32{app.BondDenom: 0, app.DisplayDenom: app.DenomExponent}
	if len(exponents) != len(want) {
		t.Errorf("denom units %v, want %v", exponents, want)
	}
	for d, e := range want {
		if got, ok := exponents[d]; !ok || got != e {
			t.Errorf("denom unit %s: exponent %d (present %v), want %d", d, got, ok, e)
		}
	}
	if md.Description == "" {
		t.Error("metadata has no description")
	}
	if err := md.Validate(); err != nil {
		t.Errorf("metadata does not validate: %v", err)
	}

	all, err := a.BankKeeper.DenomsMetadata(ctx, &banktypes.QueryDenomsMetadataRequest{})
	if err != nil || len(all.Metadatas) != 1 {
		t.Errorf("DenomsMetadata: %v (%v), want exactly utensor's", all, err)
	}
}

// initFromDefaultGenesis runs InitChain and one block on a.DefaultGenesis()
// with a single validator and one funded account. The SDK's GenesisStateWithValSet writes a fresh
// bank genesis; only its balances and supply are taken, so the bank state
// under test stays the default one.
func initFromDefaultGenesis(t *testing.T, a *app.App) {
	t.Helper()
	valSet, err := simtestutil.CreateRandomValidatorSet()
	if err != nil {
		t.Fatal(err)
	}
	acc := simtestutil.DefaultStartUpConfig().GenesisAccounts[0]
	def := a.DefaultGenesis()
	withVals, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet,
		[]authtypes.GenesisAccount{acc.GenesisAccount},
		banktypes.Balance{Address: acc.GetAddress().String(), Coins: acc.Coins})
	if err != nil {
		t.Fatal(err)
	}
	var defBank, valBank banktypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(def[banktypes.ModuleName], &defBank)
	a.AppCodec().MustUnmarshalJSON(withVals[banktypes.ModuleName], &valBank)
	defBank.Balances, defBank.Supply = valBank.Balances, valBank.Supply
	withVals[banktypes.ModuleName] = a.AppCodec().MustMarshalJSON(&defBank)

	state, err := cmtjson.MarshalIndent(withVals, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(&abci.RequestInitChain{
		ConsensusParams: simtestutil.DefaultConsensusParams,
		AppStateBytes:   state,
	}); err != nil {
		t.Fatalf("InitChain: %v", err)
	}
	if _, err := a.FinalizeBlock(&abci.RequestFinalizeBlock{Height: 1, NextValidatorsHash: valSet.Hash()}); err != nil {
		t.Fatalf("FinalizeBlock: %v", err)
	}
}
