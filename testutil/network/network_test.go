package network_test

import (
	"context"
	"testing"
	"time"

	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/tensorcosm/tensorcosm/app"
	"github.com/tensorcosm/tensorcosm/testutil/network"
)

// TestFourValidatorsReachHeight3 starts four validators in-process and checks
// that they make blocks and serve gRPC queries with tensorcosm's denom.
func TestFourValidatorsReachHeight3(t *testing.T) {
	cfg, err := network.DefaultConfig(4)
	if err != nil {
		t.Fatal(err)
	}
	net := network.New(t, cfg)

	h, err := net.WaitForHeightWithTimeout(3, 60*time.Second)
	if err != nil {
		t.Fatalf("network stuck at height %d: %v", h, err)
	}

	// Only the first validator serves gRPC and REST; it answers for all.
	q := banktypes.NewQueryClient(net.Validators[0].ClientCtx)
	for i, val := range net.Validators {
		res, err := q.Balance(context.Background(),
			&banktypes.QueryBalanceRequest{Address: val.Address.String(), Denom: app.BondDenom})
		if err != nil {
			t.Fatalf("validator %d balance query: %v", i, err)
		}
		if res.Balance.Amount.IsZero() {
			t.Errorf("validator %d has no %s", i, app.BondDenom)
		}
		if got := val.Address.String()[:len(app.Bech32Prefix)]; got != app.Bech32Prefix {
			t.Errorf("validator %d address %s lacks prefix %q", i, val.Address, app.Bech32Prefix)
		}
	}
}
