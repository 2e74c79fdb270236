package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/app"
	"github.com/tensorcosm/tensorcosm/internal/chainregistry"
)

func init() {
	extraCommands = append(extraCommands, registryCommand)
}

// registryPresets are the networks `tensorcosmd registry write --preset`
// knows. deploy/chain-registry/<preset>/ holds each one's files, kept
// current by TestRegistryFilesAreCurrent.
var registryPresets = map[string]func() (chainregistry.Network, error){
	"localnet": localnetNetwork,
	"public":   publicNetwork,
}

// localnetNetwork is scripts/localnet.sh's chain on its default ports
// (LOCALNET_PORT_BASE 26600). Its nodes take free transactions, so the
// lowest gas price step is 0.
func localnetNetwork() (chainregistry.Network, error) {
	return chainregistry.Network{
		ChainID:     "tensorcosm-local",
		ChainName:   "tensorcosmlocal",
		PrettyName:  "Tensorcosm Localnet",
		NetworkType: "devnet",
		Status:      "live",
		RPC:         "http://127.0.0.1:26657",
		REST:        "http://127.0.0.1:26617",
		GRPC:        "127.0.0.1:26690",
		Provider:    "localnet",
		Gas:         chainregistry.GasPrices{Min: 0, Low: 0, Average: 0.025, High: 0.04},
	}, nil
}

// publicNetwork is the template for a public network: the endpoints are
// placeholders to replace, the minimum gas price is what `tensorcosmd init`
// writes into app.toml (DefaultMinGasPrice), and wallets offer it, 1.2 and
// 1.6 times it.
func publicNetwork() (chainregistry.Network, error) {
	price, err := sdk.ParseDecCoin(DefaultMinGasPrice)
	if err != nil {
		return chainregistry.Network{}, err
	}
	// steps in decimal, so 1.2 x 0.025 is 0.03 and not 0.030000000000000002
	var steps [3]float64
	for i, factor := range []int64{10, 12, 16} {
		if steps[i], err = price.Amount.Mul(math.LegacyNewDecWithPrec(factor, 1)).Float64(); err != nil {
			return chainregistry.Network{}, err
		}
	}
	return chainregistry.Network{
		ChainID:     "tensorcosm-1",
		ChainName:   app.Name,
		PrettyName:  "Tensorcosm",
		NetworkType: "mainnet",
		Status:      "upcoming",
		RPC:         "https://rpc.tensorcosm.example",
		REST:        "https://rest.tensorcosm.example",
		GRPC:        "grpc.tensorcosm.example:443",
		Provider:    "tensorcosm",
		Gas:         chainregistry.GasPrices{Min: steps[0], Low: steps[0], Average: steps[1], High: steps[2]},
	}, nil
}

// registryCommand is `tensorcosmd registry`: wallet and registry files for
// a network.
func registryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Chain registry and Keplr files for a tensorcosm network (offline)",
		// Offline: no node home to read. The root's pre-run would also bind
		// flags to same-named config keys ([rpc], [grpc], chain-id) and
		// overwrite them with the home's values.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(registryWriteCommand())
	return cmd
}

func registryWriteCommand() *cobra.Command {
	var preset string
	var n chainregistry.Network
	cmd := &cobra.Command{
		Use:   "write DIR",
		Short: "Write chain.json, assetlist.json and a Keplr chain info for a network into DIR",
		Long: `Writes three files into DIR, all from one description of the network and
the chain's own constants (bech32 prefix, denoms, genesis denom metadata):

  chain.json              the Cosmos chain registry's chain file
  assetlist.json          the chain registry's asset list (utensor / TENSOR)
  keplr-chain-info.json   a ChainInfo for window.keplr.experimentalSuggestChain

chain.json and assetlist.json are validated against the chain registry's
JSON schemas before they are written. --preset picks the defaults
(` + strings.Join(presetNames(), ", ") + `); every other flag overrides one field.`,
		Example: `tensorcosmd registry write ./registry --preset localnet --rpc http://127.0.0.1:26657 --rest http://127.0.0.1:26617`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			build, ok := registryPresets[preset]
			if !ok {
				return fmt.Errorf("unknown preset %q: want one of %s", preset, strings.Join(presetNames(), ", "))
			}
			base, err := build()
			if err != nil {
				return err
			}
			applyRegistryFlags(cmd, &base, n)
			if err := chainregistry.Write(args[0], base); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s, %s and %s for %s (%s) into %s\n",
				chainregistry.ChainFile, chainregistry.AssetListFile, chainregistry.KeplrFile, base.ChainID, base.NetworkType, args[0])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&preset, "preset", "localnet", "defaults: "+strings.Join(presetNames(), " or "))
	f.StringVar(&n.ChainID, "chain-id", "", "chain ID")
	f.StringVar(&n.ChainName, "chain-name", "", "registry chain name (lower-case letters and digits)")
	f.StringVar(&n.PrettyName, "pretty-name", "", "name wallets show")
	f.StringVar(&n.NetworkType, "network-type", "", "mainnet, testnet or devnet")
	f.StringVar(&n.Status, "status", "", "live, upcoming or killed")
	f.StringVar(&n.RPC, "rpc", "", "CometBFT RPC URL")
	f.StringVar(&n.REST, "rest", "", "REST (API) URL")
	f.StringVar(&n.GRPC, "grpc", "", "gRPC address, host:port")
	f.StringVar(&n.Provider, "provider", "", "who runs the endpoints")
	f.Float64Var(&n.Gas.Min, "min-gas-price", 0, "nodes' minimum gas price in utensor")
	f.Float64Var(&n.Gas.Low, "gas-price-low", 0, "wallets' low gas price step in utensor")
	f.Float64Var(&n.Gas.Average, "gas-price-average", 0, "wallets' average gas price step in utensor")
	f.Float64Var(&n.Gas.High, "gas-price-high", 0, "wallets' high gas price step in utensor")
	return cmd
}

// applyRegistryFlags copies into dst the fields of set whose flags were
// given on the command line.
func applyRegistryFlags(cmd *cobra.Command, dst *chainregistry.Network, set chainregistry.Network) {
	strs := map[string]struct{ dst, val *string }{
		"chain-id": {&dst.ChainID, &set.ChainID}, "chain-name": {&dst.ChainName, &set.ChainName},
		"pretty-name": {&dst.PrettyName, &set.PrettyName}, "network-type": {&dst.NetworkType, &set.NetworkType},
		"status": {&dst.Status, &set.Status}, "rpc": {&dst.RPC, &set.RPC}, "rest": {&dst.REST, &set.REST},
		"grpc": {&dst.GRPC, &set.GRPC}, "provider": {&dst.Provider, &set.Provider},
	}
	floats := map[string]struct{ dst, val *float64 }{
		"min-gas-price": {&dst.Gas.Min, &set.Gas.Min}, "gas-price-low": {&dst.Gas.Low, &set.Gas.Low},
		"gas-price-average": {&dst.Gas.Average, &set.Gas.Average}, "gas-price-high": {&dst.Gas.High, &set.Gas.High},
	}
	for name, p := range strs {
		if cmd.Flags().Changed(name) {
			*p.dst = *p.val
		}
	}
	for name, p := range floats {
		if cmd.Flags().Changed(name) {
			*p.dst = *p.val
		}
	}
}

func presetNames() []string {
	names := make([]string, 0, len(registryPresets))
	for name := range registryPresets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
