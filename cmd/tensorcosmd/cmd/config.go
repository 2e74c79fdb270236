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

// DefaultMinGasPrice is the minimum-gas-prices a new node's app.toml gets
// (utensor per unit of gas). With it a 200,000-gas transaction pays 5,000
// utensor (0.005 TENSOR, half a percent of a block's emission), a
// 4096-entry SetWeights (about 1.5M gas) about 37,500, and the weight rows
// of a 4096-validator subnet (some 6 billion gas) about 150 TENSOR: cheap
// for a neuron's few transactions a tempo, dear for flooding the mempool or
// filling the epoch work of the biggest subnets. At zero, which the SDK
// default and this node used to write, a node relays and includes spam for
// free. Local and in-process test networks set 0 explicitly.
const DefaultMinGasPrice = "0.025" + app.BondDenom

// initAppConfig returns the app.toml template and defaults: the SDK's, with
// a non-zero minimum gas price in utensor (DefaultMinGasPrice).
func initAppConfig() (string, interface{}) {
	srvCfg := serverconfig.DefaultConfig()
	srvCfg.MinGasPrices = DefaultMinGasPrice
	return serverconfig.DefaultConfigTemplate, *srvCfg
}
