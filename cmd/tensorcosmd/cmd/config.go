package cmd

import (
	cmtcfg "github.com/cometbft/cometbft/config"

	serverconfig "github.com/cosmos/cosmos-sdk/server/config"

	"github.com/tensorcosm/tensorcosm/app"
)

// initCometBFTConfig returns CometBFT's defaults; localnet scripts shorten
// the block time in config.toml instead of changing the production default.
func initCometBFTConfig() *cmtcfg.Config {
	return cmtcfg.DefaultConfig()
}

// initAppConfig returns the app.toml template and defaults. A node refuses
// zero-fee spam only if the operator sets a price, so the default accepts
// free transactions in utensor, which is what a local network wants.
func initAppConfig() (string, interface{}) {
	srvCfg := serverconfig.DefaultConfig()
	srvCfg.MinGasPrices = "0" + app.BondDenom
	return serverconfig.DefaultConfigTemplate, *srvCfg
}
