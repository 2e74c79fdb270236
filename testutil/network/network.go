// Package network starts an in-process tensorcosm network of one or more
// validators for tests, built on the Cosmos SDK's testutil/network with the
// real tensorcosm application (app.New) behind every validator.
package network

import (
	"fmt"
	"testing"
	"time"

	pruningtypes "cosmossdk.io/store/pruning/types"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/cosmos/cosmos-sdk/baseapp"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdknetwork "github.com/cosmos/cosmos-sdk/testutil/network"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"

	"github.com/tensorcosm/tensorcosm/app"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

type (
	// Network is a running in-process network.
	Network = sdknetwork.Network
	// Config configures a Network.
	Config = sdknetwork.Config
	// Validator is one validator of a Network.
	Validator = sdknetwork.Validator
)

// DefaultConfig returns a network config for the tensorcosm app: chain
// "tensorcosm-test", denom utensor, free transactions, 500 ms blocks, and
// the test stake delays of ShortStakeDelays.
func DefaultConfig(numValidators int) (Config, error) {
	cfg, err := sdknetwork.DefaultConfigWithAppConfig(app.AppConfig)
	if err != nil {
		return Config{}, fmt.Errorf("network config: %w", err)
	}
	var gs subnettypes.GenesisState
	if err := cfg.Codec.UnmarshalJSON(cfg.GenesisState[subnettypes.ModuleName], &gs); err != nil {
		return Config{}, fmt.Errorf("network config: subnet genesis: %w", err)
	}
	ShortStakeDelays(&gs.Params)
	if cfg.GenesisState[subnettypes.ModuleName], err = cfg.Codec.MarshalJSON(&gs); err != nil {
		return Config{}, fmt.Errorf("network config: subnet genesis: %w", err)
	}
	cfg.NumValidators = numValidators
	cfg.ChainID = "tensorcosm-test"
	cfg.BondDenom = app.BondDenom
	// free transactions on the test network; a new node's app.toml gets a
	// non-zero price (cmd.DefaultMinGasPrice)
	cfg.MinGasPrices = "0" + app.BondDenom
	cfg.TimeoutCommit = 500 * time.Millisecond
	cfg.AppConstructor = func(val sdknetwork.ValidatorI) servertypes.Application {
		a, err := app.New(
			val.GetCtx().Logger,
			dbm.NewMemDB(),
			nil,
			true,
			simtestutil.NewAppOptionsWithFlagHome(val.GetCtx().Config.RootDir),
			baseapp.SetPruning(pruningtypes.NewPruningOptionsFromString(val.GetAppConfig().Pruning)),
			baseapp.SetMinGasPrices(val.GetAppConfig().MinGasPrices),
			baseapp.SetChainID(cfg.ChainID),
		)
		if err != nil {
			// The SDK's constructor type has no error return; a wiring
			// error here is a bug in app/, not in the test.
			panic(err)
		}
		return a
	}
	return cfg, nil
}

// TestMaxTempo is the longest tempo on test networks: the module's default
// tempo (100), so subnets created with default hyperparameters still fit.
const TestMaxTempo = 100

// ShortStakeDelays sets the stake delays of test networks: max_tempo 100
// and a warm-up of as many blocks (the chain requires warm-up >= max_tempo),
// 20 blocks of unbonding and no stake rate limit. A test that needs
// counted stake waits stake_warmup_blocks after staking.
func ShortStakeDelays(p *subnettypes.Params) {
	p.MaxTempo, p.StakeWarmupBlocks = TestMaxTempo, TestMaxTempo
	p.UnbondingBlocks, p.StakeRateLimit = 20, 0
}

// New starts a network with cfg in a temporary directory and stops it when
// the test ends.
func New(t testing.TB, cfg Config) *Network {
	t.Helper()
	net, err := sdknetwork.New(t, t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("start network: %v", err)
	}
	t.Cleanup(net.Cleanup)
	return net
}
