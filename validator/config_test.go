package validator_test

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/validator"
)

func validConfig() validator.Config {
	cfg := validator.DefaultConfig()
	cfg.Chain.ChainID = "tensorcosm-1"
	cfg.Keyring.Hotkey, cfg.Keyring.Coldkey = "hot", "cold"
	cfg.Netuid, cfg.StateDir = 1, "/var/lib/validator"
	return cfg
}

// tasks returns a mutation setting tasks.<kind>.<key> to value.
func tasks(kind, key string, value any) func(*validator.Config) {
	return func(c *validator.Config) { c.Tasks = map[string]map[string]any{kind: {key: value}} }
}

func TestDefaultConfig(t *testing.T) {
	cfg := validator.DefaultConfig()
	checks := []struct {
		name      string
		got, want any
	}{
		{"task settings (every kind's defaults)", len(cfg.Tasks), 0},
		{"step interval", cfg.StepInterval, 2 * time.Second},
		{"sample size", cfg.SampleSize, 0},
		{"verify", cfg.Verify.Enabled, validator.VerifyAuto},
		{"metrics listen", cfg.MetricsListenAddress, "127.0.0.1:9102"},
		{"keyring backend", cfg.Keyring.Backend, "file"},
		{"dev", cfg.Dev, false},
		{"stake", cfg.Stake, uint64(0)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The defaults lack only what no default can supply.
	err := cfg.Validate()
	for _, want := range []string{"chain.chain_id is required", "keyring.hotkey is required", "netuid is required", "state_dir is required"} {
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
		mutate  func(*validator.Config)
		wantErr string
	}{
		{"bad grpc address", func(c *validator.Config) { c.Chain.GRPCAddress = "localhost" }, `chain.grpc_address "localhost"`},
		{"register without max burn", func(c *validator.Config) { c.Register = true }, "max_burn must be set"},
		{"test keyring without dev", func(c *validator.Config) { c.Keyring.Backend = "test" },
			"the test keyring stores keys unencrypted on disk; use --keyring-backend file or os, or pass --dev for a local network"},
		{"register without coldkey", func(c *validator.Config) { c.Register, c.MaxBurn, c.Keyring.Coldkey = true, 1, "" }, "keyring.coldkey is required when register is true"},
		{"stake without coldkey", func(c *validator.Config) { c.Stake, c.Keyring.Coldkey = 5, "" }, "keyring.coldkey is required when stake is set"},
		{"no sync", func(c *validator.Config) { c.SyncBlocks = 0 }, "sync_blocks must be at least 1"},
		{"fast steps", func(c *validator.Config) { c.StepInterval = time.Millisecond }, "step_interval must be at least 100ms"},
		{"negative sample", func(c *validator.Config) { c.SampleSize = -1 }, "sample_size must not be negative"},
		{"no concurrency", func(c *validator.Config) { c.Concurrency = 0 }, "concurrency must be at least 1"},
		{"no timeout", func(c *validator.Config) { c.QueryTimeout = 0 }, "query_timeout must be positive"},
		{"huge batch", func(c *validator.Config) { c.ChallengeBatch = 5000 }, "challenge_batch must be in [1, 1024]"},
		{"alpha zero", func(c *validator.Config) { c.EMAAlpha = 0 }, "ema_alpha must be in (0, 1]"},
		{"alpha above one", func(c *validator.Config) { c.EMAAlpha = 1.5 }, "ema_alpha must be in (0, 1]"},
		{"unknown task kind", tasks("image-to-text", "noise", 1), `tasks.image-to-text: unknown task kind "image-to-text" (known kinds: ` + digits.Kind},
		{"unknown setting", tasks(digits.Kind, "blur", 1), `tasks.digits-classification: unknown setting "blur"`},
		{"noise", tasks(digits.Kind, "noise", 17), "tasks.digits-classification: noise must be in [0, 16]"},
		{"negative rotation", tasks(digits.Kind, "rotate", -1), "rotate must be in [0, 30]"},
		{"stroke not a number", tasks(digits.Kind, "stroke", math.NaN()), "stroke must be in [0, 1]"},
		{"setting of the wrong type", tasks(digits.Kind, "scale", []int{1}), "scale: want a number"},
		{"verify mode", func(c *validator.Config) { c.Verify.Enabled = "yes" }, `verify.enabled "yes": want auto, true or false`},
		{"verify sample above the batch", func(c *validator.Config) { c.Verify.Sample = 17 }, "verify.sample must be in [1, challenge_batch]"},
		{"tolerance", func(c *validator.Config) { c.Verify.Tolerance = 0 }, "verify.tolerance must be in (0, 1)"},
		{"negative permit grace", func(c *validator.Config) { c.Verify.PermitGrace = -time.Second }, "verify.permit_grace must not be negative"},
		{"no refusals", func(c *validator.Config) { c.Verify.MaxRefusals = 0 }, "verify.max_refusals must be at least 1"},
		{"no busy bound", func(c *validator.Config) { c.Verify.BusyBound = 0 }, "verify.busy_bound must be positive"},
		{"bad metrics address", func(c *validator.Config) { c.MetricsListenAddress = "9102" }, "metrics_listen_address"},
		{"bad log level", func(c *validator.Config) { c.LogLevel = "loud" }, `log_level: unknown level "loud"`},
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
}

func TestNewRefusesBadSetups(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(t *testing.T, c *validator.Config)
		wantErr string
	}{
		{name: "invalid config", mutate: func(_ *testing.T, c *validator.Config) { c.Netuid = 0 }, wantErr: "validator: invalid config"},
		{name: "no such hotkey", mutate: func(_ *testing.T, c *validator.Config) { c.Keyring.Hotkey = "nope" }, wantErr: "validator: hotkey"},
		{name: "no such coldkey", mutate: func(_ *testing.T, c *validator.Config) { c.Stake, c.Keyring.Coldkey = 1, "nope" }, wantErr: "validator: coldkey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			tc.mutate(t, &cfg)
			if _, err := validator.New(cfg, nil, nil); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	t.Run("state_dir in use", func(t *testing.T) {
		cfg := testConfig(t)
		v, err := validator.New(cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = v.Run(canceled()) }() // releases state_dir
		if _, err := validator.New(cfg, nil, nil); err == nil || !strings.Contains(err.Error(), validator.ErrStateDirInUse.Error()) {
			t.Fatalf("second New on one state_dir = %v, want ErrStateDirInUse", err)
		}
	})
}

// TestNewWarnsInDevMode checks the one startup warning of dev mode with
// the test keyring, and that New refuses that keyring without dev mode.
func TestNewWarnsInDevMode(t *testing.T) {
	cfg := testConfig(t) // the test keyring, dev: true
	var logs bytes.Buffer
	v, err := validator.New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = v.Run(canceled()) // releases state_dir
	if n := strings.Count(logs.String(), `"level":"WARN","msg":"dev mode: the test keyring stores keys unencrypted on disk`); n != 1 {
		t.Fatalf("%d dev-mode warnings, want 1:\n%s", n, logs.String())
	}
	cfg.Dev = false
	if _, err := validator.New(cfg, nil, nil); !errors.Is(err, neuron.ErrUnsafeKeyring) {
		t.Fatalf("New with the test keyring without dev = %v, want ErrUnsafeKeyring", err)
	}
}
