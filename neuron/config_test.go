package neuron_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/neuron"
)

func TestKeyringBackends(t *testing.T) {
	tests := []struct {
		name    string
		backend string
		dev     bool
		wantErr string // "" accepted
	}{
		{name: "file", backend: neuron.BackendFile},
		{name: "os", backend: neuron.BackendOS},
		{name: "test refused", backend: neuron.BackendTest, wantErr: "the test keyring stores keys unencrypted on disk; " +
			"use --keyring-backend file or os, or pass --dev for a local network"},
		{name: "test in dev mode", backend: neuron.BackendTest, dev: true},
		{name: "memory", backend: "memory", dev: true, wantErr: `keyring.backend "memory"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := neuron.KeyringConfig{Backend: tc.backend, Dir: "/keys", Hotkey: "hot"}
			err := k.Validate("", tc.dev)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if got := neuron.DefaultKeyringConfig().Backend; got != neuron.BackendFile {
		t.Fatalf("default backend %q, want file", got)
	}
}

func TestWarnDev(t *testing.T) {
	tests := []struct {
		name    string
		backend string
		dev     bool
		warns   int
	}{
		{"dev with the test keyring", neuron.BackendTest, true, 1},
		{"dev with the file keyring", neuron.BackendFile, true, 0},
		{"file keyring", neuron.BackendFile, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			neuron.KeyringConfig{Backend: tc.backend, Dir: "/keys"}.WarnDev(slog.New(slog.NewJSONHandler(&out, nil)), tc.dev)
			if got := strings.Count(out.String(), `"level":"WARN"`); got != tc.warns {
				t.Fatalf("%d warnings, want %d:\n%s", got, tc.warns, out.String())
			}
		})
	}
}

// TestChainAndKeyringValidate checks that the shared sections return one error naming
// every bad key, and that the unsafe keyring stays recognisable with errors.Is.
func TestChainAndKeyringValidate(t *testing.T) {
	good := neuron.DefaultChainConfig()
	good.ChainID = "tensorcosm-1"
	if err := good.Validate(); err != nil {
		t.Fatalf("valid chain section: %v", err)
	}
	bad := neuron.ChainConfig{GRPCAddress: "nowhere"}
	err := bad.Validate()
	for _, key := range []string{"chain.grpc_address", "chain.chain_id", "chain.tx_timeout"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %v, want it to name %s", err, key)
		}
	}
	k := neuron.KeyringConfig{Backend: neuron.BackendTest}
	err = k.Validate("register is true", false)
	if !errors.Is(err, neuron.ErrUnsafeKeyring) {
		t.Fatalf("Validate() = %v, want ErrUnsafeKeyring in it", err)
	}
	for _, key := range []string{"keyring.dir", "keyring.hotkey", "keyring.coldkey is required when register is true"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %v, want it to name %s", err, key)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() neuron.Config {
		c := neuron.DefaultConfig("127.0.0.1:9100")
		c.Chain.ChainID, c.Keyring.Hotkey, c.Netuid = "test-chain", "hot", 1
		return c
	}
	tests := []struct {
		name        string
		change      func(*neuron.Config)
		coldkeyWhen string
		wantErr     string // "" accepted
	}{
		{name: "defaults with the required keys", change: func(*neuron.Config) {}},
		{name: "netuid 0", change: func(c *neuron.Config) { c.Netuid = 0 }, wantErr: "netuid is required"},
		{name: "register without max_burn", change: func(c *neuron.Config) { c.Register, c.Keyring.Coldkey = true, "cold" },
			wantErr: "max_burn must be set"},
		{name: "coldkey needed", change: func(*neuron.Config) {}, coldkeyWhen: "stake is set",
			wantErr: "keyring.coldkey is required when stake is set"},
		{name: "chain section", change: func(c *neuron.Config) { c.Chain.ChainID = "" }, wantErr: "chain.chain_id is required"},
		{name: "metrics address", change: func(c *neuron.Config) { c.MetricsListenAddress = "9100" }, wantErr: "metrics_listen_address"},
		{name: "log level", change: func(c *neuron.Config) { c.LogLevel = "loud" }, wantErr: `log_level: unknown level "loud"`},
		{name: "shutdown timeout", change: func(c *neuron.Config) { c.ShutdownTimeout = 0 }, wantErr: "shutdown_timeout must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.change(&c)
			err := c.Validate(tc.coldkeyWhen)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
