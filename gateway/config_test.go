package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway"
)

func validConfig(t *testing.T) gateway.Config {
	cfg := gateway.DefaultConfig()
	cfg.Chain.ChainID = "tensorcosm-test"
	cfg.Keyring.Backend, cfg.Dev, cfg.Keyring.Hotkey = "test", true, "gw"
	cfg.Subnets, cfg.DataDir = "1, 2", t.TempDir()
	return cfg
}

func TestConfigValidate(t *testing.T) {
	cfg := validConfig(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	ns, err := cfg.Netuids()
	if err != nil || len(ns) != 2 || ns[0] != 1 || ns[1] != 2 {
		t.Fatalf("Netuids %v %v", ns, err)
	}
	if got := cfg.StoreDSN(); !strings.HasSuffix(got, "/gateway.db") {
		t.Errorf("default SQLite DSN %q", got)
	}
	cases := []struct {
		name string
		edit func(*gateway.Config)
		want string
	}{
		{"no subnets", func(c *gateway.Config) { c.Subnets = "" }, "subnets is required"},
		{"netuid 0", func(c *gateway.Config) { c.Subnets = "0" }, `"0" is not a netuid`},
		{"bad netuid", func(c *gateway.Config) { c.Subnets = "1,x" }, `"x" is not a netuid`},
		{"no chain id", func(c *gateway.Config) { c.Chain.ChainID = "" }, "chain.chain_id is required"},
		{"test keyring outside dev", func(c *gateway.Config) { c.Dev = false }, "keyring.backend test refused"},
		{"listen", func(c *gateway.Config) { c.ListenAddress = "8090" }, "listen_address"},
		{"driver", func(c *gateway.Config) { c.Store.Driver = "mysql" }, `store.driver "mysql"`},
		{"postgres without dsn", func(c *gateway.Config) { c.Store.Driver = "postgres" }, "store.dsn is required for the postgres store"},
		{"timeouts", func(c *gateway.Config) { c.MaxRequestTimeout = time.Second }, "at most max_request_timeout"},
		{"body", func(c *gateway.Config) { c.MaxBodyBytes = 10 }, "max_body_bytes"},
		{"redundancy", func(c *gateway.Config) { c.MaxRedundancy = 0 }, "max_redundancy"},
		{"receipt cache", func(c *gateway.Config) { c.ReceiptCache = 0 }, "receipt_cache"},
		{"breaker", func(c *gateway.Config) { c.Route.BreakerFailures = -1 }, "route:"},
		{"log level", func(c *gateway.Config) { c.LogLevel = "loud" }, "log_level"},
		{"shutdown", func(c *gateway.Config) { c.ShutdownTimeout = 0 }, "shutdown_timeout"},
		{"rpc address", func(c *gateway.Config) { c.Dashboard.RPCAddress = "127.0.0.1:26657" }, "dashboard: rpc_address"},
		{"history interval", func(c *gateway.Config) { c.Dashboard.HistoryInterval = 0 }, "dashboard: history_interval"},
		{"backfill", func(c *gateway.Config) { c.Dashboard.BackfillEpochs = -1 }, "dashboard: backfill_epochs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig(t)
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// the history may be turned off
	off := validConfig(t)
	off.Dashboard.RPCAddress = ""
	if err := off.Validate(); err != nil {
		t.Errorf("empty dashboard.rpc_address refused: %v", err)
	}
	// every problem at once, not only the first
	c := validConfig(t)
	c.Subnets, c.LogLevel, c.MaxBodyBytes = "", "loud", 1
	if err := c.Validate(); err == nil || strings.Count(err.Error(), "\n") < 2 {
		t.Errorf("want three joined errors, got %v", err)
	}
}
