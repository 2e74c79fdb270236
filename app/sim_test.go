package app

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log"
	"cosmossdk.io/math"
	pruningtypes "cosmossdk.io/store/pruning/types"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	simcli "github.com/cosmos/cosmos-sdk/x/simulation/client/cli"

	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// The simulator's flags: -NumBlocks, -BlockSize, -Seed, -Verbose, -Params,
// -ExportStatsPath, ... (go test ./app -run TestFullAppSimulation -args -h).
func init() {
	simcli.GetSimulatorFlags()
}

// Without flags, `go test ./app` runs a short simulation so that every test
// run exercises it; `make test-sim` and `make test-sim-long` pass
// -NumBlocks and -BlockSize for the long runs.
const (
	defaultNumBlocks = 150
	defaultBlockSize = 50
	// defaultGenesisTime is fixed (2026-01-01 UTC) unless -GenesisTime is
	// given, so that a seed replays the same run.
	defaultGenesisTime = 1_767_225_600
)

// simConfig is the simulator's config from the flags, with the short
// defaults for the flags not given.
func simConfig() simtypes.Config {
	cfg := simcli.NewConfigFromFlags()
	cfg.ChainID = simsx.SimAppChainID
	given := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["NumBlocks"] {
		cfg.NumBlocks = defaultNumBlocks
	}
	if !given["BlockSize"] {
		cfg.BlockSize = defaultBlockSize
	}
	if !given["GenesisTime"] {
		cfg.GenesisTime = defaultGenesisTime
	}
	cfg.Commit = true // the block checks run in Commit
	return cfg
}

// TestFullAppSimulation runs the SDK simulator on the whole app with random
// operations of every module, x/subnet's included, and checks x/subnet's
// invariants and epochs after every block (blockChecks). At the end it
// exports the state, imports it into a fresh app and compares the x/subnet
// stores, and prints how many operations of each x/subnet message ran.
func TestFullAppSimulation(t *testing.T) {
	cfg := simConfig()
	if cfg.ExportStatsPath == "" {
		cfg.ExportStatsPath = filepath.Join(t.TempDir(), "sim-stats.json")
	}
	checks := &blockChecks{fail: t.Fatalf, progress: t.Logf, total: cfg.NumBlocks, progressEvery: progressEvery(cfg.NumBlocks)}
	factory := func(logger log.Logger, db dbm.DB, trace io.Writer, loadLatest bool, opts servertypes.AppOptions, baseOpts ...func(*baseapp.BaseApp)) *App {
		return checkedApp(t, checks, logger, db, trace, loadLatest, opts, baseOpts...)
	}
	simsx.RunWithSeed(t, cfg, factory, simStateFactory, cfg.Seed, nil,
		func(tb testing.TB, ti simsx.TestInstance[*App], _ []simtypes.Account) {
			tb.Helper()
			require.Equal(tb, cfg.NumBlocks, checks.blocks, "blocks checked")
			printSubnetStats(tb, cfg.ExportStatsPath, cfg.Seed, checks.blockEvents)
		},
		checkExportImport,
	)
}

// progressEvery is how often a run of numBlocks prints its progress: about
// twenty lines for a long run, none for the short default one.
func progressEvery(numBlocks int) int {
	if numBlocks < 1000 {
		return 0
	}
	return numBlocks / 20
}

// TestSimulationBlockChecksFail shows that the block checks run in every
// block and can fail: a short simulation in which, at one height, coins
// appear in the x/subnet module account that no stake, lock or pending
// emission accounts for.
func TestSimulationBlockChecksFail(t *testing.T) {
	const brokenAt = 3
	cfg := simConfig()
	cfg.NumBlocks, cfg.BlockSize, cfg.ExportStatsPath = 5, 5, ""
	var failures recorder
	checks := &blockChecks{fail: failures.fail}
	var simApp *App
	checks.sabotage = func(ctx sdk.Context) {
		if ctx.BlockHeight() != brokenAt {
			return
		}
		coins := sdk.NewCoins(sdk.NewCoin(BondDenom, math.NewInt(7)))
		require.NoError(t, simApp.BankKeeper.MintCoins(ctx, subnettypes.ModuleName, coins))
	}
	factory := func(logger log.Logger, db dbm.DB, trace io.Writer, loadLatest bool, opts servertypes.AppOptions, baseOpts ...func(*baseapp.BaseApp)) *App {
		simApp = checkedApp(t, checks, logger, db, trace, loadLatest, opts, baseOpts...)
		return simApp
	}
	simsx.RunWithSeed(t, cfg, factory, simStateFactory, cfg.Seed, nil)
	require.Equal(t, cfg.NumBlocks, checks.blocks, "blocks checked")
	// The minted coins stay in the precommit context and are never
	// committed: exactly the sabotaged block fails.
	require.Len(t, failures, 1, "failures: %v", failures)
	require.Contains(t, failures[0], fmt.Sprintf("invariant broken at height %d", brokenAt))
	require.Contains(t, failures[0], "module balance")
}

// checkedApp builds the app with the block checks installed. With an
// on-disk database (-DBBackend=goleveldb, as the make targets use) it keeps
// only the latest store versions, so a long run holds neither gigabytes of
// old versions in memory nor on disk. The in-memory database (the default)
// keeps every version: IAVL's background pruning deadlocks on it.
func checkedApp(t *testing.T, checks *blockChecks, logger log.Logger, db dbm.DB, trace io.Writer, loadLatest bool, opts servertypes.AppOptions, baseOpts ...func(*baseapp.BaseApp)) *App {
	baseOpts = append(baseOpts, checks.option)
	if _, inMemory := db.(*dbm.MemDB); !inMemory {
		baseOpts = append(baseOpts, baseapp.SetPruning(pruningtypes.NewPruningOptions(pruningtypes.PruningEverything)))
	}
	app, err := New(logger, db, trace, loadLatest, opts, baseOpts...)
	require.NoError(t, err)
	checks.keeper = app.SubnetKeeper
	return app
}

// simStateFactory gives the simulator the app's genesis, accounts and
// balances.
func simStateFactory(app *App) simsx.SimStateFactory {
	blocked := map[string]bool{}
	for _, perm := range moduleAccPerms {
		blocked[authtypes.NewModuleAddress(perm.Account).String()] = true
	}
	return simsx.SimStateFactory{
		Codec:         app.AppCodec(),
		AppStateFn:    simtestutil.AppStateFn(app.AppCodec(), app.SimulationManager(), app.DefaultGenesis()),
		BlockedAddr:   blocked,
		AccountSource: app.AccountKeeper,
		BalanceSource: app.BankKeeper,
	}
}

// checkExportImport exports the simulated state, imports it into a fresh
// app and checks that the x/subnet store is the same, key for key.
func checkExportImport(tb testing.TB, ti simsx.TestInstance[*App], _ []simtypes.Account) {
	tb.Helper()
	app := ti.App
	exported, err := app.ExportAppStateAndValidators(false, nil, nil)
	require.NoError(tb, err)
	var genesis map[string]json.RawMessage
	require.NoError(tb, json.Unmarshal(exported.AppState, &genesis))

	fresh, err := New(log.NewNopLogger(), dbm.NewMemDB(), nil, true,
		simtestutil.AppOptionsMap{flags.FlagHome: tb.TempDir()}, baseapp.SetChainID(ti.Cfg.ChainID))
	require.NoError(tb, err)
	header := cmtproto.Header{Height: app.LastBlockHeight(), ChainID: ti.Cfg.ChainID}
	ctxA, ctxB := app.NewContextLegacy(true, header), fresh.NewContextLegacy(true, header)
	_, err = fresh.ModuleManager.InitGenesis(ctxB, fresh.AppCodec(), genesis)
	require.NoError(tb, err)

	storeA := ctxA.KVStore(app.GetKey(subnettypes.StoreKey))
	storeB := ctxB.KVStore(fresh.GetKey(subnettypes.StoreKey))
	diffA, diffB := simtestutil.DiffKVStores(storeA, storeB, nil)
	require.Empty(tb, diffA, simtestutil.GetSimulationLog(subnettypes.StoreKey, app.SimulationManager().StoreDecoders, diffA, diffB))
	require.Empty(tb, diffB, simtestutil.GetSimulationLog(subnettypes.StoreKey, app.SimulationManager().StoreDecoders, diffA, diffB))
}

// printSubnetStats prints, from the simulator's statistics file, how many
// operations of each x/subnet message were delivered and how many were
// skipped (no valid input in that state), then the x/subnet events of the
// blocks themselves. Delivered operations all succeeded: a failed delivery
// stops the simulation.
func printSubnetStats(tb testing.TB, path string, seed int64, blockEvents map[string]int) {
	tb.Helper()
	bz, err := os.ReadFile(path)
	require.NoError(tb, err)
	var stats map[string]map[string]map[string]int
	require.NoError(tb, json.Unmarshal(bz, &stats))
	ops := stats[subnettypes.ModuleName]
	names := slices.Sorted(maps.Keys(ops))
	var sb strings.Builder
	fmt.Fprintf(&sb, "x/subnet operations (seed %d):\n%-45s %9s %9s\n", seed, "message", "delivered", "skipped")
	total := [2]int{}
	for _, name := range names {
		ok, skipped := ops[name]["ok"], ops[name]["failure"]
		total[0], total[1] = total[0]+ok, total[1]+skipped
		fmt.Fprintf(&sb, "%-45s %9d %9d\n", name, ok, skipped)
	}
	fmt.Fprintf(&sb, "%-45s %9d %9d\n", "total", total[0], total[1])
	fmt.Fprintf(&sb, "x/subnet events in begin/end block (epochs, proposals run by gov):\n")
	for _, name := range slices.Sorted(maps.Keys(blockEvents)) {
		fmt.Fprintf(&sb, "%-45s %9d\n", name, blockEvents[name])
	}
	fmt.Print(sb.String())
}
