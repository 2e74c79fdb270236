package app

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/codec"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/x/bank"
	bankcli "github.com/cosmos/cosmos-sdk/x/bank/client/cli"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

const (
	// CoinName is the coin's name as wallets and explorers show it.
	CoinName = "Tensor"

	// CoinSymbol is the coin's ticker symbol.
	CoinSymbol = DisplayDenom

	// CoinDescription says what the coin is for, in bank metadata and
	// the chain registry's asset list.
	CoinDescription = "The native coin of tensorcosm: it pays fees, secures the chain as stake and is minted as subnet emission."
)

// DenomMetadata is the bank metadata of the chain's coin: base BondDenom
// (exponent 0) and display DisplayDenom (exponent DenomExponent). It is in
// every default genesis, so wallets, explorers and SIGN_MODE_TEXTUAL can
// ask the chain how to show an amount of utensor.
func DenomMetadata() banktypes.Metadata {
	return banktypes.Metadata{
		Description: CoinDescription,
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0, Aliases: []string{"microtensor"}},
			{Denom: DisplayDenom, Exponent: DenomExponent},
		},
		Base:    BondDenom,
		Display: DisplayDenom,
		Name:    CoinName,
		Symbol:  CoinSymbol,
	}
}

// bankModuleBasic is x/bank's AppModuleBasic with DenomMetadata in its
// default genesis. `tensorcosmd init`, in-process test networks and the
// app's DefaultGenesis all build genesis from the module basics, so this
// one override reaches every path.
type bankModuleBasic struct {
	bank.AppModuleBasic
}

// DefaultGenesis returns bank's default genesis with DenomMetadata.
func (bankModuleBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	gs := banktypes.DefaultGenesisState()
	gs.DenomMetadata = []banktypes.Metadata{DenomMetadata()}
	return cdc.MustMarshalJSON(gs)
}

// GetTxCmd returns bank's tx commands. The embedded basic has no address
// codec (depinject sets it only on the full module), so it is given here.
func (bankModuleBasic) GetTxCmd() *cobra.Command {
	return bankcli.NewTxCmd(addresscodec.NewBech32Codec(Bech32Prefix))
}
