package subnet

import (
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/core/store"
	"cosmossdk.io/depinject"

	"github.com/cosmos/cosmos-sdk/codec"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/keeper"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
	modulev1 "github.com/tensorcosm/tensorcosm/x/subnet/types/module"
)

// The module's depinject wiring: app/app_config.go names the module config
// (modulev1.Module) and depinject calls ProvideModule with the inputs below.

func init() {
	appmodule.Register(&modulev1.Module{}, appmodule.Provide(ProvideModule))
}

// ModuleInputs are what depinject gives the module.
type ModuleInputs struct {
	depinject.In

	Config       *modulev1.Module
	StoreService store.KVStoreService
	Cdc          codec.Codec
	AddressCodec address.Codec
	BankKeeper   types.BankKeeper
}

// ModuleOutputs are what the module gives depinject.
type ModuleOutputs struct {
	depinject.Out

	SubnetKeeper keeper.Keeper
	Module       appmodule.AppModule
}

// ProvideModule builds the keeper and the module. The authority defaults to
// the gov module account and the denom to utensor.
func ProvideModule(in ModuleInputs) (ModuleOutputs, error) {
	authority := authtypes.NewModuleAddress(govtypes.ModuleName)
	if in.Config.Authority != "" {
		authority = authtypes.NewModuleAddressOrBech32Address(in.Config.Authority)
	}
	authorityStr, err := in.AddressCodec.BytesToString(authority)
	if err != nil {
		return ModuleOutputs{}, err
	}
	denom := in.Config.Denom
	if denom == "" {
		denom = types.DefaultDenom
	}
	k, err := keeper.NewKeeper(in.Cdc, in.StoreService, in.AddressCodec, in.BankKeeper, authorityStr, denom)
	if err != nil {
		return ModuleOutputs{}, err
	}
	return ModuleOutputs{SubnetKeeper: k, Module: NewAppModule(in.Cdc, k)}, nil
}
