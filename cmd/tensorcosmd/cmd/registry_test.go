package cmd_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/viper"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/cmd/tensorcosmd/cmd"
	"github.com/tensorcosm/tensorcosm/internal/chainregistry"
)

var updateRegistry = flag.Bool("update-registry", false, "rewrite deploy/chain-registry from `tensorcosmd registry write`")

var registryDir = filepath.Join("..", "..", "..", "deploy", "chain-registry")

// TestRegistryFilesAreCurrent: the committed files under
// deploy/chain-registry/<preset>/ are what `tensorcosmd registry write
// --preset <preset>` writes today (go test -run TestRegistryFilesAreCurrent
// -update-registry rewrites them), and the registry ones pass the registry's schemas.
func TestRegistryFilesAreCurrent(t *testing.T) {
	for _, preset := range []string{"localnet", "public"} {
		t.Run(preset, func(t *testing.T) {
			dir := t.TempDir()
			if out, err := runCLI(t, "", "registry", "write", dir, "--preset", preset); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, name := range []string{chainregistry.ChainFile, chainregistry.AssetListFile, chainregistry.KeplrFile} {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				committed := filepath.Join(registryDir, preset, name)
				if *updateRegistry {
					if err := os.WriteFile(committed, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(committed)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s is stale: rerun with -update-registry\n--- generated\n%s", committed, got)
				}
			}
			for name, schema := range map[string]string{
				chainregistry.ChainFile:     chainregistry.ChainSchema,
				chainregistry.AssetListFile: chainregistry.AssetListSchema,
			} {
				bz, err := os.ReadFile(filepath.Join(registryDir, preset, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := chainregistry.ValidateJSON(schema, bz); err != nil {
					t.Errorf("committed %s/%s: %v", preset, name, err)
				}
			}
		})
	}
}

// TestRegistryWriteFlags: flags override the preset's fields in all three
// files, and bad values are refused before anything is written.
func TestRegistryWriteFlags(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "", "registry", "write", dir, "--preset", "localnet", "--chain-id", "tensorcosm-dev-7",
		"--rpc", "http://127.0.0.1:30057", "--rest", "http://127.0.0.1:30017", "--grpc", "127.0.0.1:30090")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var chain struct {
		ChainID string `json:"chain_id"`
		APIs    map[string][]struct {
			Address string `json:"address"`
		} `json:"apis"`
	}
	var keplr struct {
		ChainID string `json:"chainId"`
		RPC     string `json:"rpc"`
		REST    string `json:"rest"`
	}
	readJSON(t, filepath.Join(dir, chainregistry.ChainFile), &chain)
	readJSON(t, filepath.Join(dir, chainregistry.KeplrFile), &keplr)
	if chain.ChainID != "tensorcosm-dev-7" || keplr.ChainID != "tensorcosm-dev-7" {
		t.Errorf("chain IDs %q / %q, want tensorcosm-dev-7", chain.ChainID, keplr.ChainID)
	}
	for api, want := range map[string]string{"rpc": "http://127.0.0.1:30057", "rest": "http://127.0.0.1:30017", "grpc": "127.0.0.1:30090"} {
		if got := chain.APIs[api]; len(got) != 1 || got[0].Address != want {
			t.Errorf("chain.json apis.%s = %v, want %s", api, got, want)
		}
	}
	if keplr.RPC != "http://127.0.0.1:30057" || keplr.REST != "http://127.0.0.1:30017" {
		t.Errorf("keplr rpc %q rest %q", keplr.RPC, keplr.REST)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown preset", []string{"--preset", "testnet"}, `unknown preset "testnet"`},
		{"RPC without a scheme", []string{"--rpc", "127.0.0.1:26657"}, "rpc"},
		{"chain name the registry refuses", []string{"--chain-name", "Tensor-Cosm"}, "chain name"},
		{"gas steps out of order", []string{"--gas-price-high", "0.01"}, "gas prices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "reg")
			_, err := runCLI(t, "", append([]string{"registry", "write", bad}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
			if _, err := os.Stat(bad); !os.IsNotExist(err) {
				t.Errorf("%s was created for a refused network", bad)
			}
		})
	}
}

// TestPublicTemplateGasPrice: the public template asks for the minimum gas
// price that `tensorcosmd init` writes into app.toml.
func TestPublicTemplateGasPrice(t *testing.T) {
	var chain struct {
		Fees struct {
			FeeTokens []struct {
				Denom string  `json:"denom"`
				Min   float64 `json:"fixed_min_gas_price"`
			} `json:"fee_tokens"`
		} `json:"fees"`
	}
	readJSON(t, filepath.Join(registryDir, "public", chainregistry.ChainFile), &chain)
	price, err := sdk.ParseDecCoin(cmd.DefaultMinGasPrice)
	if err != nil {
		t.Fatal(err)
	}
	want, err := price.Amount.Float64()
	if err != nil {
		t.Fatal(err)
	}
	if len(chain.Fees.FeeTokens) != 1 || chain.Fees.FeeTokens[0].Denom != price.Denom || chain.Fees.FeeTokens[0].Min != want {
		t.Fatalf("fee tokens %+v, want one %s at %v", chain.Fees.FeeTokens, price.Denom, want)
	}
}

// TestInitDefaults: `tensorcosmd init` writes a genesis with the coin's
// denom metadata, and a node config with CORS off on both the CometBFT RPC
// and the REST API (only the localnet script turns it on).
func TestInitDefaults(t *testing.T) {
	home := t.TempDir()
	if out, err := runCLI(t, "", "init", "node0", "--chain-id", "tensorcosm-test", "--home", home); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var genesis struct {
		AppState struct {
			Bank struct {
				DenomMetadata []struct {
					Base       string `json:"base"`
					Display    string `json:"display"`
					DenomUnits []struct {
						Denom    string `json:"denom"`
						Exponent uint32 `json:"exponent"`
					} `json:"denom_units"`
				} `json:"denom_metadata"`
			} `json:"bank"`
		} `json:"app_state"`
	}
	readJSON(t, filepath.Join(home, "config", "genesis.json"), &genesis)
	md := genesis.AppState.Bank.DenomMetadata
	if len(md) != 1 || md[0].Base != "utensor" || md[0].Display != "TENSOR" || len(md[0].DenomUnits) != 2 ||
		md[0].DenomUnits[1].Denom != "TENSOR" || md[0].DenomUnits[1].Exponent != 6 {
		t.Errorf("genesis denom metadata %+v, want utensor(0)/TENSOR(6)", md)
	}

	for _, tc := range []struct{ file, key string }{
		{"config.toml", "rpc.cors_allowed_origins"},
		{"app.toml", "api.enabled-unsafe-cors"},
	} {
		v := viper.New()
		v.SetConfigFile(filepath.Join(home, "config", tc.file))
		if err := v.ReadInConfig(); err != nil {
			t.Fatal(err)
		}
		if !v.IsSet(tc.key) {
			t.Errorf("%s has no %s", tc.file, tc.key)
			continue
		}
		switch val := v.Get(tc.key).(type) {
		case bool:
			if val {
				t.Errorf("%s: %s = true, want CORS off", tc.file, tc.key)
			}
		case []any:
			if len(val) != 0 {
				t.Errorf("%s: %s = %v, want no origins", tc.file, tc.key, val)
			}
		default:
			t.Errorf("%s: %s = %#v (%T)", tc.file, tc.key, val, val)
		}
	}
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	bz, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bz, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}
