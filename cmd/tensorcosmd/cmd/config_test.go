package cmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/cmd/tensorcosmd/cmd"
)

// TestInitWritesMinGasPrice: `tensorcosmd init` writes a non-zero
// minimum-gas-prices into app.toml, so a node does not relay or include
// free transactions unless its operator chooses to.
func TestInitWritesMinGasPrice(t *testing.T) {
	home := t.TempDir()
	if _, err := runCLI(t, "", "init", "node0", "--chain-id", "tensorcosm-test", "--home", home); err != nil {
		t.Fatal(err)
	}
	bz, err := os.ReadFile(filepath.Join(home, "config", "app.toml"))
	if err != nil {
		t.Fatal(err)
	}
	want := `minimum-gas-prices = "` + cmd.DefaultMinGasPrice + `"`
	if !strings.Contains(string(bz), want) {
		t.Fatalf("app.toml has no %s", want)
	}
	price, err := sdk.ParseDecCoins(cmd.DefaultMinGasPrice)
	if err != nil || !price.AmountOf("utensor").IsPositive() || len(price) != 1 {
		t.Fatalf("default min gas price %q (%v): want a non-zero utensor price", cmd.DefaultMinGasPrice, err)
	}
}
