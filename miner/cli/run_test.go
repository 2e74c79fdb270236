package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunConfigLayers checks the precedence defaults < file < environment <
// flags through --print-config, one key per layer boundary.
func TestRunConfigLayers(t *testing.T) {
	dir := t.TempDir()
	yamlFile := filepath.Join(dir, "miner.yaml")
	writeFile(t, yamlFile, "netuid: 3\nchain:\n  chain_id: from-file\n  grpc_address: file:9090\naxon:\n  workers: 7\n  request_timeout: 5s\nmodel:\n  device: auto\n")
	tomlFile := filepath.Join(dir, "miner.toml")
	writeFile(t, tomlFile, "netuid = 4\n[axon]\nqueue_size = 11\n")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    []string
		wantErr string
	}{
		{name: "defaults", want: []string{"listen_address: 127.0.0.1:8091", "metrics_listen_address: 127.0.0.1:9101",
			"device: cpu", "metagraph_refresh: 12s", "backend: file", "dev: false"}},
		{name: "yaml file over defaults", args: []string{"--config", yamlFile}, want: []string{
			"chain_id: from-file", "workers: 7", "request_timeout: 5s", "device: auto", "netuid: 3", "listen_address: 127.0.0.1:8091"}},
		{name: "toml file", args: []string{"--config", tomlFile}, want: []string{"netuid: 4", "queue_size: 11"}},
		{name: "environment over file", args: []string{"--config", yamlFile},
			env:  map[string]string{"TENSORCOSM_MINER_CHAIN_CHAIN_ID": "from-env", "TENSORCOSM_MINER_AXON_WORKERS": "9", "TENSORCOSM_MINER_REGISTER": "true"},
			want: []string{"chain_id: from-env", "workers: 9", "register: true", "grpc_address: file:9090"}},
		{name: "flags over environment", args: []string{"--config", yamlFile, "--chain-id", "from-flag", "--listen", "0.0.0.0:1", "--metagraph-refresh", "3s"},
			env:  map[string]string{"TENSORCOSM_MINER_CHAIN_CHAIN_ID": "from-env", "TENSORCOSM_MINER_AXON_LISTEN_ADDRESS": "10.0.0.1:2"},
			want: []string{"chain_id: from-flag", "listen_address: 0.0.0.0:1", "metagraph_refresh: 3s"}},
		{name: "dev flag", args: []string{"--dev", "--state-dir", "/state"}, want: []string{"dev: true", "state_dir: /state"}},
		{name: "dev from the environment", env: map[string]string{"TENSORCOSM_MINER_DEV": "true"}, want: []string{"dev: true"}},
		{name: "missing config file", args: []string{"--config", filepath.Join(dir, "none.yaml")}, wantErr: "read config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			out, _, err := execute(t, append([]string{"run", "--print-config"}, tc.args...)...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("config lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestRunInvalidConfig checks that `run` refuses an incomplete config
// before touching the model or the chain.
func TestRunInvalidConfig(t *testing.T) {
	_, _, err := execute(t, "run", "--hotkey", "hot")
	for _, w := range []string{"chain.chain_id is required", "netuid is required", "model.path is required"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v, want it to contain %q", err, w)
		}
	}
}

// TestRunTestKeyringNeedsDev checks that `run` refuses the test keyring,
// saying why, unless dev mode is on (flag or environment).
func TestRunTestKeyringNeedsDev(t *testing.T) {
	const why = "the test keyring stores keys unencrypted on disk; use --keyring-backend file or os, or pass --dev for a local network"
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		refused bool
	}{
		{name: "test keyring", args: []string{"--keyring-backend", "test"}, refused: true},
		{name: "test keyring with --dev", args: []string{"--keyring-backend", "test", "--dev"}},
		{name: "test keyring with TENSORCOSM_MINER_DEV", args: []string{"--keyring-backend", "test"}, env: map[string]string{"TENSORCOSM_MINER_DEV": "true"}},
		{name: "file keyring", args: []string{"--keyring-backend", "file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			// the config stays invalid otherwise, so run stops before any keyring
			_, _, err := execute(t, append([]string{"run", "--hotkey", "hot"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), "netuid is required") {
				t.Fatalf("err = %v, want an invalid config", err)
			}
			if got := strings.Contains(err.Error(), why); got != tc.refused {
				t.Fatalf("err = %v; refuses the test keyring: %v, want %v", err, got, tc.refused)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
