package app

import (
	runtimev1alpha1 "cosmossdk.io/api/cosmos/app/runtime/v1alpha1"
	appv1alpha1 "cosmossdk.io/api/cosmos/app/v1alpha1"
	authmodulev1 "cosmossdk.io/api/cosmos/auth/module/v1"
	bankmodulev1 "cosmossdk.io/api/cosmos/bank/module/v1"
	consensusmodulev1 "cosmossdk.io/api/cosmos/consensus/module/v1"
	distrmodulev1 "cosmossdk.io/api/cosmos/distribution/module/v1"
	genutilmodulev1 "cosmossdk.io/api/cosmos/genutil/module/v1"
	govmodulev1 "cosmossdk.io/api/cosmos/gov/module/v1"
	slashingmodulev1 "cosmossdk.io/api/cosmos/slashing/module/v1"
	stakingmodulev1 "cosmossdk.io/api/cosmos/staking/module/v1"
	txconfigv1 "cosmossdk.io/api/cosmos/tx/config/v1"
	upgrademodulev1 "cosmossdk.io/api/cosmos/upgrade/module/v1"
	"cosmossdk.io/depinject"
	"cosmossdk.io/depinject/appconfig"
	_ "cosmossdk.io/x/upgrade" // registers the upgrade module with depinject
	upgradetypes "cosmossdk.io/x/upgrade/types"

	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/types/module"
	_ "github.com/cosmos/cosmos-sdk/x/auth" // registers the auth module with depinject
	_ "github.com/cosmos/cosmos-sdk/x/auth/tx/config"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	_ "github.com/cosmos/cosmos-sdk/x/bank" // registers the bank module with depinject
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	_ "github.com/cosmos/cosmos-sdk/x/consensus" // registers the consensus module with depinject
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	_ "github.com/cosmos/cosmos-sdk/x/distribution" // registers the distribution module with depinject
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	"github.com/cosmos/cosmos-sdk/x/gov"
	govclient "github.com/cosmos/cosmos-sdk/x/gov/client"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	_ "github.com/cosmos/cosmos-sdk/x/slashing" // registers the slashing module with depinject
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	_ "github.com/cosmos/cosmos-sdk/x/staking" // registers the staking module with depinject
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	_ "github.com/tensorcosm/tensorcosm/x/subnet" // registers x/subnet with depinject
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
	subnetmodulev1 "github.com/tensorcosm/tensorcosm/x/subnet/types/module"
)

// moduleAccPerms lists the module accounts and what they may do with coins.
// x/subnet mints the block emission, holds stake, subnet locks and pending
// emission, and burns registration fees.
var moduleAccPerms = []*authmodulev1.ModuleAccountPermission{
	{Account: subnettypes.ModuleName, Permissions: []string{authtypes.Minter, authtypes.Burner}},
	{Account: authtypes.FeeCollectorName},
	{Account: distrtypes.ModuleName},
	{Account: stakingtypes.BondedPoolName, Permissions: []string{authtypes.Burner, stakingtypes.ModuleName}},
	{Account: stakingtypes.NotBondedPoolName, Permissions: []string{authtypes.Burner, stakingtypes.ModuleName}},
	{Account: govtypes.ModuleName, Permissions: []string{authtypes.Burner}},
}

// blockAccAddrs are module accounts that may not receive coins from users.
// The gov account is left out so deposits can reach it. x/subnet is blocked
// so its balance always equals the stake and locks it records.
var blockAccAddrs = []string{
	subnettypes.ModuleName,
	authtypes.FeeCollectorName,
	distrtypes.ModuleName,
	stakingtypes.BondedPoolName,
	stakingtypes.NotBondedPoolName,
}

// Module order: x/subnet's BeginBlocker (emission) runs before distribution
// so the CometBFT validators' share is distributed in the same block; its
// EndBlocker (epochs) after staking; its genesis after bank.
var (
	preBlockers   = []string{upgradetypes.ModuleName, authtypes.ModuleName}
	beginBlockers = []string{subnettypes.ModuleName, distrtypes.ModuleName, slashingtypes.ModuleName, stakingtypes.ModuleName}
	endBlockers   = []string{govtypes.ModuleName, stakingtypes.ModuleName, subnettypes.ModuleName}
	// genutil must come after staking (pools funded from genesis accounts)
	// and after auth (it reads auth params).
	initGenesis = []string{
		authtypes.ModuleName,
		banktypes.ModuleName,
		distrtypes.ModuleName,
		stakingtypes.ModuleName,
		slashingtypes.ModuleName,
		govtypes.ModuleName,
		genutiltypes.ModuleName,
		upgradetypes.ModuleName,
		consensustypes.ModuleName,
		subnettypes.ModuleName,
	}
)

// AppConfig is the depinject configuration of the tensorcosm application.
var AppConfig = depinject.Configs(appconfig.Compose(&appv1alpha1.Config{
	Modules: []*appv1alpha1.ModuleConfig{
		{
			Name: runtime.ModuleName,
			Config: appconfig.WrapAny(&runtimev1alpha1.Module{
				AppName:       Name,
				PreBlockers:   preBlockers,
				BeginBlockers: beginBlockers,
				EndBlockers:   endBlockers,
				InitGenesis:   initGenesis,
				OverrideStoreKeys: []*runtimev1alpha1.StoreKeyConfig{
					{ModuleName: authtypes.ModuleName, KvStoreKey: "acc"},
				},
			}),
		},
		{
			Name: authtypes.ModuleName,
			Config: appconfig.WrapAny(&authmodulev1.Module{
				Bech32Prefix:             Bech32Prefix,
				ModuleAccountPermissions: moduleAccPerms,
			}),
		},
		{
			Name: banktypes.ModuleName,
			Config: appconfig.WrapAny(&bankmodulev1.Module{
				BlockedModuleAccountsOverride: blockAccAddrs,
			}),
		},
		{
			Name: stakingtypes.ModuleName,
			Config: appconfig.WrapAny(&stakingmodulev1.Module{
				Bech32PrefixValidator: Bech32PrefixValAddr,
				Bech32PrefixConsensus: Bech32PrefixConsAddr,
			}),
		},
		{Name: slashingtypes.ModuleName, Config: appconfig.WrapAny(&slashingmodulev1.Module{})},
		{Name: "tx", Config: appconfig.WrapAny(&txconfigv1.Config{})},
		{Name: genutiltypes.ModuleName, Config: appconfig.WrapAny(&genutilmodulev1.Module{})},
		{Name: upgradetypes.ModuleName, Config: appconfig.WrapAny(&upgrademodulev1.Module{})},
		{Name: distrtypes.ModuleName, Config: appconfig.WrapAny(&distrmodulev1.Module{})},
		{Name: govtypes.ModuleName, Config: appconfig.WrapAny(&govmodulev1.Module{})},
		{Name: consensustypes.ModuleName, Config: appconfig.WrapAny(&consensusmodulev1.Module{})},
		{Name: subnettypes.ModuleName, Config: appconfig.WrapAny(&subnetmodulev1.Module{Denom: BondDenom})},
	},
}),
	depinject.Supply(
		// genutil and gov need module basics with constructor arguments;
		// bank's adds the coin's denom metadata to the default genesis.
		map[string]module.AppModuleBasic{
			genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
			govtypes.ModuleName:     gov.NewAppModuleBasic([]govclient.ProposalHandler{}),
			banktypes.ModuleName:    bankModuleBasic{},
		},
		// the simulator's genesis accounts, without vesting accounts
		authtypes.RandomGenesisAccountsFn(simGenesisAccounts),
	),
)
