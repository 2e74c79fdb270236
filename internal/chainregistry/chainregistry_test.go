package chainregistry_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/app"
	"github.com/tensorcosm/tensorcosm/internal/chainregistry"
)

func devnet() chainregistry.Network {
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
	}
}

func mainnet() chainregistry.Network {
	n := devnet()
	n.ChainID, n.ChainName, n.PrettyName, n.NetworkType, n.Status = "tensorcosm-1", "tensorcosm", "Tensorcosm", "mainnet", "upcoming"
	n.RPC, n.REST, n.GRPC = "https://rpc.example.net", "https://rest.example.net", "grpc.example.net:443"
	n.Gas = chainregistry.GasPrices{Min: 0.025, Low: 0.025, Average: 0.03, High: 0.04}
	return n
}

// TestFilesValidateAgainstRegistrySchemas: the files of a devnet, a testnet
// and a mainnet pass the chain registry's schemas, with the $schema path the
// registry's layout needs (testnets and devnets one folder deeper).
func TestFilesValidateAgainstRegistrySchemas(t *testing.T) {
	testnet := mainnet()
	testnet.ChainID, testnet.ChainName, testnet.NetworkType = "tensorcosm-testnet-1", "tensorcosmtestnet", "testnet"
	for _, tc := range []struct {
		name       string
		n          chainregistry.Network
		schemaPath string
	}{
		{"devnet", devnet(), "../../"},
		{"testnet", testnet, "../../"},
		{"mainnet", mainnet(), "../"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := chainregistry.Files(tc.n)
			if err != nil {
				t.Fatal(err)
			}
			chain, assets := decode(t, files[chainregistry.ChainFile]), decode(t, files[chainregistry.AssetListFile])
			if got := chain["$schema"]; got != tc.schemaPath+"chain.schema.json" {
				t.Errorf("chain.json $schema %v", got)
			}
			if got := assets["$schema"]; got != tc.schemaPath+"assetlist.schema.json" {
				t.Errorf("assetlist.json $schema %v", got)
			}
			if chain["chain_id"] != tc.n.ChainID || chain["chain_name"] != tc.n.ChainName || assets["chain_name"] != tc.n.ChainName {
				t.Errorf("chain_id %v, chain_name %v / %v, want %s, %s", chain["chain_id"], chain["chain_name"], assets["chain_name"], tc.n.ChainID, tc.n.ChainName)
			}
		})
	}
}

// TestSchemasRejectBrokenFiles: the vendored schemas are really applied:
// each edit of a valid file breaks one of the registry's rules and fails.
func TestSchemasRejectBrokenFiles(t *testing.T) {
	files, err := chainregistry.Files(devnet())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, schema string
		edit               func(map[string]any)
		want               string
	}{
		{"chain without bech32 prefix", chainregistry.ChainFile, chainregistry.ChainSchema,
			func(m map[string]any) { delete(m, "bech32_prefix") }, "bech32_prefix"},
		{"unknown chain type", chainregistry.ChainFile, chainregistry.ChainSchema,
			func(m map[string]any) { m["chain_type"] = "tensor" }, "chain_type"},
		{"$schema not a relative registry path", chainregistry.ChainFile, chainregistry.ChainSchema,
			func(m map[string]any) { m["$schema"] = "chain.schema.json" }, "$schema"},
		{"unknown field", chainregistry.ChainFile, chainregistry.ChainSchema,
			func(m map[string]any) { m["block_time"] = "1s" }, "block_time"},
		{"fee price not a number", chainregistry.ChainFile, chainregistry.ChainSchema,
			func(m map[string]any) {
				m["fees"].(map[string]any)["fee_tokens"].([]any)[0].(map[string]any)["low_gas_price"] = "0.025"
			}, "low_gas_price"},
		{"asset without symbol", chainregistry.AssetListFile, chainregistry.AssetListSchema,
			func(m map[string]any) { delete(m["assets"].([]any)[0].(map[string]any), "symbol") }, "symbol"},
		{"denom unit with fractional exponent", chainregistry.AssetListFile, chainregistry.AssetListSchema,
			func(m map[string]any) {
				m["assets"].([]any)[0].(map[string]any)["denom_units"].([]any)[1].(map[string]any)["exponent"] = 6.5
			}, "exponent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := decode(t, files[tc.file])
			if err := chainregistry.ValidateJSON(tc.schema, files[tc.file]); err != nil {
				t.Fatalf("unedited %s: %v", tc.file, err)
			}
			tc.edit(doc)
			bz, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			err = chainregistry.ValidateJSON(tc.schema, bz)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestNetworkValidate: Files refuses a network a wallet or the registry
// could not use.
func TestNetworkValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*chainregistry.Network)
		want string
	}{
		{"empty chain ID", func(n *chainregistry.Network) { n.ChainID = "" }, "chain ID"},
		{"chain name with a dash", func(n *chainregistry.Network) { n.ChainName = "tensorcosm-local" }, "chain name"},
		{"unknown network type", func(n *chainregistry.Network) { n.NetworkType = "localnet" }, "network type"},
		{"unknown status", func(n *chainregistry.Network) { n.Status = "running" }, "status"},
		{"rpc without scheme", func(n *chainregistry.Network) { n.RPC = "127.0.0.1:26657" }, "rpc"},
		{"rest over tcp://", func(n *chainregistry.Network) { n.REST = "tcp://127.0.0.1:1317" }, "rest"},
		{"grpc without port", func(n *chainregistry.Network) { n.GRPC = "127.0.0.1" }, "grpc"},
		{"low under min", func(n *chainregistry.Network) { n.Gas.Min, n.Gas.Low = 0.03, 0.025 }, "gas prices"},
		{"average over high", func(n *chainregistry.Network) { n.Gas.Average = 1 }, "gas prices"},
		{"all zero", func(n *chainregistry.Network) { n.Gas = chainregistry.GasPrices{} }, "gas prices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := devnet()
			tc.edit(&n)
			_, err := chainregistry.Files(n)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
}

// TestKeplrChainInfo checks the Keplr ChainInfo's shape (every field
// experimentalSuggestChain requires, with JSON types Keplr expects) and
// that it says what chain.json and assetlist.json say.
func TestKeplrChainInfo(t *testing.T) {
	for _, n := range []chainregistry.Network{devnet(), mainnet()} {
		t.Run(n.NetworkType, func(t *testing.T) {
			files, err := chainregistry.Files(n)
			if err != nil {
				t.Fatal(err)
			}
			keplr := decode(t, files[chainregistry.KeplrFile])
			chain := decode(t, files[chainregistry.ChainFile])
			asset := decode(t, files[chainregistry.AssetListFile])["assets"].([]any)[0].(map[string]any)

			for _, key := range []string{"chainId", "chainName", "rpc", "rest"} {
				if s, ok := keplr[key].(string); !ok || s == "" {
					t.Errorf("%s = %v, want a non-empty string", key, keplr[key])
				}
			}
			for _, key := range []string{"bip44", "bech32Config", "stakeCurrency"} {
				if _, ok := keplr[key].(map[string]any); !ok {
					t.Errorf("%s = %v, want an object", key, keplr[key])
				}
			}
			for _, key := range []string{"currencies", "feeCurrencies"} {
				if l, ok := keplr[key].([]any); !ok || len(l) == 0 {
					t.Errorf("%s = %v, want a non-empty array", key, keplr[key])
				}
			}
			if t.Failed() {
				t.FailNow()
			}

			apis := chain["apis"].(map[string]any)
			same(t, "chainId", keplr["chainId"], chain["chain_id"])
			same(t, "chainName", keplr["chainName"], chain["pretty_name"])
			same(t, "rpc", keplr["rpc"], apis["rpc"].([]any)[0].(map[string]any)["address"])
			same(t, "rest", keplr["rest"], apis["rest"].([]any)[0].(map[string]any)["address"])
			same(t, "bip44.coinType", keplr["bip44"].(map[string]any)["coinType"], chain["slip44"])
			same(t, "bech32Config", keplr["bech32Config"], chain["bech32_config"])
			if keplr["bech32Config"].(map[string]any)["bech32PrefixAccAddr"] != app.Bech32Prefix {
				t.Errorf("bech32PrefixAccAddr %v, want %s", keplr["bech32Config"], app.Bech32Prefix)
			}

			// the display unit's exponent, from the asset list
			var decimals any
			for _, u := range asset["denom_units"].([]any) {
				if u.(map[string]any)["denom"] == asset["display"] {
					decimals = u.(map[string]any)["exponent"]
				}
			}
			want := map[string]any{"coinDenom": asset["display"], "coinMinimalDenom": asset["base"], "coinDecimals": decimals}
			currency := keplr["currencies"].([]any)[0].(map[string]any)
			same(t, "currencies[0]", currency, want)
			same(t, "stakeCurrency", keplr["stakeCurrency"], want)
			same(t, "stakeCurrency denom", keplr["stakeCurrency"].(map[string]any)["coinMinimalDenom"],
				chain["staking"].(map[string]any)["staking_tokens"].([]any)[0].(map[string]any)["denom"])

			fee := keplr["feeCurrencies"].([]any)[0].(map[string]any)
			token := chain["fees"].(map[string]any)["fee_tokens"].([]any)[0].(map[string]any)
			same(t, "feeCurrencies[0] denom", fee["coinMinimalDenom"], token["denom"])
			same(t, "feeCurrencies[0] decimals", fee["coinDecimals"], decimals)
			same(t, "gasPriceStep", fee["gasPriceStep"], map[string]any{
				"low": token["low_gas_price"], "average": token["average_gas_price"], "high": token["high_gas_price"],
			})
			if decimals != float64(app.DenomExponent) || asset["base"] != app.BondDenom {
				t.Errorf("asset base %v, display exponent %v: want %s and %d", asset["base"], decimals, app.BondDenom, app.DenomExponent)
			}
		})
	}
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: Keplr has %v, the registry files %v", what, got, want)
	}
}

func decode(t *testing.T, bz []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bz, &m); err != nil {
		t.Fatalf("%v\n%s", err, bz)
	}
	return m
}

// TestCodebaseVersionsMatchGoMod: chain.json's SDK and CometBFT versions are
// the ones go.mod builds the chain with.
func TestCodebaseVersionsMatchGoMod(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for module, want := range map[string]string{
		"github.com/cosmos/cosmos-sdk": chainregistry.SDKVersion,
		"github.com/cometbft/cometbft": chainregistry.ConsensusVersion,
	} {
		var got []string
		for _, line := range strings.Split(string(gomod), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == module {
				got = append(got, f[1])
			}
			if strings.Contains(line, module+" =>") {
				t.Errorf("go.mod replaces %s; the registry version would be wrong", module)
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("go.mod requires %s at %v, chain.json says %s", module, got, want)
		}
	}
}
