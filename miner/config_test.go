package miner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/miner"
)

func validConfig() miner.Config {
	cfg := miner.DefaultConfig()
	cfg.Chain.ChainID = "tensorcosm-1"
	cfg.Keyring.Hotkey, cfg.Keyring.Coldkey = "hot", "cold"
	cfg.Netuid, cfg.StateDir = 1, "/var/lib/miner"
	cfg.Model.Path = "digits.onnx"
	return cfg
}

func TestDefaultConfig(t *testing.T) {
	cfg := miner.DefaultConfig()
	checks := []struct {
		name      string
		got, want any
	}{
		{"axon listen", cfg.Axon.ListenAddress, "127.0.0.1:8091"},
		{"metrics listen", cfg.MetricsListenAddress, "127.0.0.1:9101"},
		{"device", cfg.Model.Device, "cpu"},
		{"keyring backend", cfg.Keyring.Backend, "file"},
		{"dev", cfg.Dev, false},
		{"register", cfg.Register, false},
		{"announce host", cfg.Announce.Host, ""},
		{"refresh", cfg.MetagraphRefresh, 12 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The defaults lack only what no default can supply.
	err := cfg.Validate()
	for _, want := range []string{"chain.chain_id is required", "keyring.hotkey is required", "netuid is required", "model.path is required", "state_dir is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to contain %q", err, want)
		}
	}
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*miner.Config)
		wantErr string
	}{
		{"bad grpc address", func(c *miner.Config) { c.Chain.GRPCAddress = "localhost" }, `chain.grpc_address "localhost"`},
		{"zero tx timeout", func(c *miner.Config) { c.Chain.TxTimeout = 0 }, "chain.tx_timeout must be positive"},
		{"unknown keyring backend", func(c *miner.Config) { c.Keyring.Backend = "memory" }, `keyring.backend "memory"`},
		{"no keyring dir", func(c *miner.Config) { c.Keyring.Dir = "" }, "keyring.dir is required"},
		{"test keyring without dev", func(c *miner.Config) { c.Keyring.Backend = "test" },
			"the test keyring stores keys unencrypted on disk; use --keyring-backend file or os, or pass --dev for a local network"},
		{"no state dir", func(c *miner.Config) { c.StateDir = "" }, "state_dir is required"},
		{"register without coldkey", func(c *miner.Config) { c.Register, c.MaxBurn, c.Keyring.Coldkey = true, 1, "" }, "keyring.coldkey is required"},
		{"register without max burn", func(c *miner.Config) { c.Register = true }, "max_burn must be set"},
		{"bad axon listen", func(c *miner.Config) { c.Axon.ListenAddress = "8091" }, "axon: listen_address"},
		{"axon workers", func(c *miner.Config) { c.Axon.Workers = 0 }, "workers must be positive"},
		{"all interfaces without announce host", func(c *miner.Config) { c.Axon.ListenAddress = "0.0.0.0:8091" }, "announce.host is required"},
		{"empty host without announce host", func(c *miner.Config) { c.Axon.ListenAddress = ":8091" }, "announce.host is required"},
		{"announce port too big", func(c *miner.Config) { c.Announce.Port = 70000 }, "announce.port 70000"},
		{"unknown device", func(c *miner.Config) { c.Model.Device = "tpu" }, `model.device: unknown device "tpu"`},
		{"negative device id", func(c *miner.Config) { c.Model.DeviceID = -1 }, "must not be negative"},
		{"fast refresh", func(c *miner.Config) { c.MetagraphRefresh = time.Millisecond }, "metagraph_refresh must be at least 100ms"},
		{"bad metrics address", func(c *miner.Config) { c.MetricsListenAddress = "9101" }, "metrics_listen_address"},
		{"bad log level", func(c *miner.Config) { c.LogLevel = "loud" }, `log_level: unknown level "loud"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			tc.mutate(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	t.Run("test keyring with dev", func(t *testing.T) {
		cfg := validConfig()
		cfg.Keyring.Backend, cfg.Dev = "test", true
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("all interfaces with announce host", func(t *testing.T) {
		cfg := validConfig()
		cfg.Axon.ListenAddress, cfg.Announce.Host = "0.0.0.0:8091", "miner.example.org"
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}
