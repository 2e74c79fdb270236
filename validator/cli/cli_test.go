package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/validator/cli"
)

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := cli.NewRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestRunConfigLayers checks the precedence defaults < file < environment <
// flags through --print-config.
func TestRunConfigLayers(t *testing.T) {
	dir := t.TempDir()
	yamlFile := filepath.Join(dir, "validator.yaml")
	writeFile(t, yamlFile, `netuid: 3
chain: {chain_id: from-file, grpc_address: "file:9090"}
state_dir: /state
sample_size: 8
verify: {enabled: true, sample: 2}
tasks: {digits-classification: {noise: 0.5}}
step_interval: 3s
`)
	tomlFile := filepath.Join(dir, "validator.toml")
	writeFile(t, tomlFile, "netuid = 4\nema_alpha = 0.25\n[verify]\nenabled = false\n")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    []string
		wantErr string
	}{
		{name: "defaults", want: []string{"metrics_listen_address: 127.0.0.1:9102", "step_interval: 2s", "sample_size: 0",
			"enabled: auto", "ema_alpha: 0.1", "challenge_batch: 16", "backend: file", "dev: false", "sync_blocks: 3"}},
		{name: "yaml file over defaults", args: []string{"--config", yamlFile}, want: []string{
			"chain_id: from-file", "netuid: 3", "state_dir: /state", "sample_size: 8", "enabled: \"true\"", "sample: 2",
			"noise: 0.5", "step_interval: 3s", "query_timeout: 1s"}},
		{name: "toml file", args: []string{"--config", tomlFile}, want: []string{"netuid: 4", "ema_alpha: 0.25", "enabled: \"false\""}},
		{name: "environment over file", args: []string{"--config", yamlFile},
			env: map[string]string{"TENSORCOSM_VALIDATOR_CHAIN_CHAIN_ID": "from-env", "TENSORCOSM_VALIDATOR_VERIFY_ENABLED": "auto",
				"TENSORCOSM_VALIDATOR_STAKE": "42", "TENSORCOSM_VALIDATOR_STEP_INTERVAL": "5s"},
			want: []string{"chain_id: from-env", "enabled: auto", "stake: 42", "step_interval: 5s", "grpc_address: file:9090"}},
		{name: "flags over environment", args: []string{"--config", yamlFile, "--chain-id", "from-flag", "--sample-size", "2",
			"--ema-alpha", "0.5", "--verify", "false", "--state-dir", "/other", "--query-timeout", "700ms"},
			env:  map[string]string{"TENSORCOSM_VALIDATOR_CHAIN_CHAIN_ID": "from-env", "TENSORCOSM_VALIDATOR_SAMPLE_SIZE": "9"},
			want: []string{"chain_id: from-flag", "sample_size: 2", "ema_alpha: 0.5", "enabled: \"false\"", "state_dir: /other", "query_timeout: 700ms"}},
		{name: "task settings flag over file", args: []string{"--config", yamlFile, "--task-setting", "digits-classification.rotate=20",
			"--task-setting", "textline.font_size=30"},
			want: []string{"digits-classification:", "noise: 0.5", `rotate: "20"`, "textline:", `font_size: "30"`}},
		{name: "bad task setting flag", args: []string{"--task-setting", "noise=1"}, wantErr: `--task-setting "noise=1": want KIND.KEY=VALUE`},
		{name: "dev flag", args: []string{"--dev"}, want: []string{"dev: true"}},
		{name: "dev from the environment", env: map[string]string{"TENSORCOSM_VALIDATOR_DEV": "true"}, want: []string{"dev: true"}},
		{name: "missing config file", args: []string{"--config", filepath.Join(dir, "none.yaml")}, wantErr: "read config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			out, err := execute(t, append([]string{"run", "--print-config"}, tc.args...)...)
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
// before touching the keyring or the chain.
func TestRunInvalidConfig(t *testing.T) {
	_, err := execute(t, "run", "--hotkey", "hot", "--verify", "maybe")
	for _, w := range []string{"chain.chain_id is required", "netuid is required", "state_dir is required", `verify.enabled "maybe"`} {
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
		{name: "test keyring with TENSORCOSM_VALIDATOR_DEV", args: []string{"--keyring-backend", "test"}, env: map[string]string{"TENSORCOSM_VALIDATOR_DEV": "true"}},
		{name: "os keyring", args: []string{"--keyring-backend", "os"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			// the config stays invalid otherwise, so run stops before any keyring
			_, err := execute(t, append([]string{"run", "--hotkey", "hot"}, tc.args...)...)
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
