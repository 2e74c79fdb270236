package validator

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/task"
)

// Config configures a Validator. The mapstructure tags are the keys of the
// config file and, upper-cased with "." as "_" behind
// TENSORCOSM_VALIDATOR_, of the environment.
type Config struct {
	// Config is the section every daemon shares (its keys stay top-level):
	// the chain, the keyring (the coldkey is needed to register or stake),
	// netuid (the subnet scored), register and max_burn, dev,
	// metrics_listen_address, log_level and shutdown_timeout.
	neuron.Config `mapstructure:",squash"`
	// Stake, in utensor: at startup, when the hotkey's total stake is below
	// it, the coldkey stakes the difference on the hotkey. 0 does nothing.
	Stake uint64 `mapstructure:"stake"`
	// StateDir holds the scores and the commit-reveal state, so that a
	// restart resumes; one validator per directory.
	StateDir string `mapstructure:"state_dir"`
	// ONNXRuntimeLib is the ONNX Runtime library used to re-run miners'
	// models; empty uses $ONNXRUNTIME_SHARED_LIBRARY_PATH or the cache.
	ONNXRuntimeLib string `mapstructure:"onnxruntime_lib"`
	// SyncBlocks is how many blocks may pass before the metagraph is read
	// again.
	SyncBlocks uint64 `mapstructure:"sync_blocks"`
	// StepInterval is the time between two scoring steps.
	StepInterval time.Duration `mapstructure:"step_interval"`
	// SampleSize is how many miners each step queries, least recently
	// scored first; 0 queries every miner.
	SampleSize int `mapstructure:"sample_size"`
	// Concurrency bounds the queries in flight.
	Concurrency int `mapstructure:"concurrency"`
	// QueryTimeout bounds each query, signing and receipt check included.
	QueryTimeout time.Duration `mapstructure:"query_timeout"`
	// ChallengeBatch is the number of items (rows) in one challenge.
	ChallengeBatch int `mapstructure:"challenge_batch"`
	// Tasks holds per task kind (the subnet's TaskSpec.kind) the settings
	// of that kind, as tasks.<kind>.<setting>; each kind documents its own
	// (task/digits: data_path and the challenge perturbation) and rejects
	// unknown ones. A kind without an entry uses its defaults.
	Tasks map[string]map[string]any `mapstructure:"tasks"`
	// EMAAlpha is the weight of the newest score in each UID's moving
	// average.
	EMAAlpha float64 `mapstructure:"ema_alpha"`
	// VersionKey is sent with the weights; 0 sends the subnet's
	// weights_version_key.
	VersionKey uint64 `mapstructure:"version_key"`
	// Verify configures model verification.
	Verify VerifyConfig `mapstructure:"verify"`
}

// Verification modes.
const (
	VerifyAuto  = "auto"
	VerifyTrue  = "true"
	VerifyFalse = "false"
)

// VerifyConfig configures the re-execution of miners' committed models.
type VerifyConfig struct {
	// Enabled is auto (verify where the subnet has model_download on),
	// true (required: startup fails if the subnet does not allow it) or
	// false.
	Enabled string `mapstructure:"enabled"`
	// Sample is how many rows of each answered challenge are re-run on
	// the miner's committed model.
	Sample int `mapstructure:"sample"`
	// Tolerance is the largest difference allowed between a value of a
	// miner's float32 outputs and the local one (integer outputs must be
	// equal).
	Tolerance float64 `mapstructure:"tolerance"`
	// MaxModelBytes bounds the models downloaded; a miner committing a
	// larger one cannot be verified and scores 0.
	MaxModelBytes uint64 `mapstructure:"max_model_bytes"`
	// PermitGrace is how long after this validator is first seen holding a
	// permit a miner may refuse it downloads (PermissionDenied,
	// Unauthenticated) without that counting: miners' metagraphs lag the
	// chain (metagraph_refresh, 12 s by default).
	PermitGrace time.Duration `mapstructure:"permit_grace"`
	// MaxRefusals is how many such refusals after the grace flag a miner
	// download_refused.
	MaxRefusals int `mapstructure:"max_refusals"`
	// BusyBound is how long a miner may answer downloads with
	// ResourceExhausted, without a break and while it answers queries,
	// before it is flagged download_busy; until then busy answers never
	// count against it.
	BusyBound time.Duration `mapstructure:"busy_bound"`
}

// DefaultConfig returns the defaults: a local node, the file keyring in
// ~/.tensorcosm, every task kind with its default settings (the digits data
// in the cache), a step every 2 s against every miner, and metrics on
// 127.0.0.1:9102.
func DefaultConfig() Config {
	return Config{
		Config:         neuron.DefaultConfig("127.0.0.1:9102"),
		SyncBlocks:     3,
		StepInterval:   2 * time.Second,
		Concurrency:    32,
		QueryTimeout:   time.Second,
		ChallengeBatch: 16,
		EMAAlpha:       0.1,
		Verify: VerifyConfig{Enabled: VerifyAuto, Sample: 4, Tolerance: 1e-3,
			MaxModelBytes: 256 << 20, PermitGrace: 2 * time.Minute, MaxRefusals: 3, BusyBound: 30 * time.Minute},
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	errs = append(errs, c.Config.Validate(c.coldkeyNeededWhen()))
	if c.StateDir == "" {
		add("state_dir is required: the scores and the commit-reveal state live there")
	}
	errs = append(errs, c.validateLoop()...)
	errs = append(errs, c.validateChallenges()...)
	errs = append(errs, c.Verify.validate(c.ChallengeBatch)...)
	return errors.Join(errs...)
}

func (c Config) coldkeyNeededWhen() string {
	switch {
	case c.Register:
		return "register is true"
	case c.Stake > 0:
		return "stake is set"
	}
	return ""
}

func (c Config) validateLoop() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.SyncBlocks == 0 {
		add("sync_blocks must be at least 1")
	}
	if c.StepInterval < 100*time.Millisecond {
		add("step_interval must be at least 100ms, got %s", c.StepInterval)
	}
	if c.SampleSize < 0 {
		add("sample_size must not be negative (0 queries every miner), got %d", c.SampleSize)
	}
	if c.Concurrency < 1 {
		add("concurrency must be at least 1, got %d", c.Concurrency)
	}
	if c.QueryTimeout <= 0 {
		add("query_timeout must be positive, got %s", c.QueryTimeout)
	}
	if !(c.EMAAlpha > 0 && c.EMAAlpha <= 1) {
		add("ema_alpha must be in (0, 1], got %v", c.EMAAlpha)
	}
	return errs
}

func (c Config) validateChallenges() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.ChallengeBatch < 1 || c.ChallengeBatch > maxChallengeBatch {
		add("challenge_batch must be in [1, %d], got %d", maxChallengeBatch, c.ChallengeBatch)
	}
	errs = append(errs, c.validateTasks()...)
	return errs
}

// validateTasks checks that every kind in tasks is linked in and, where the
// kind can, its settings.
func (c Config) validateTasks() []error {
	var errs []error
	kinds := make([]string, 0, len(c.Tasks))
	for k := range c.Tasks {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, kind := range kinds {
		t, err := task.Get(kind)
		if err != nil {
			errs = append(errs, fmt.Errorf("tasks.%s: %w", kind, err))
			continue
		}
		if sc, ok := t.(task.SettingsChecker); ok {
			if err := sc.CheckSettings(c.Tasks[kind]); err != nil {
				errs = append(errs, fmt.Errorf("tasks.%s: %w", kind, err))
			}
		}
	}
	return errs
}

// TaskEnv is the task.Env of kind: its settings from tasks.<kind>.
func (c Config) TaskEnv(kind string) task.Env {
	return task.Env{Settings: c.Tasks[kind]}
}

func (v VerifyConfig) validate(batch int) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch v.Enabled {
	case VerifyAuto, VerifyTrue, VerifyFalse:
	default:
		add("verify.enabled %q: want auto, true or false", v.Enabled)
	}
	if v.Sample < 1 || v.Sample > max(batch, 1) {
		add("verify.sample must be in [1, challenge_batch], got %d", v.Sample)
	}
	if !(v.Tolerance > 0 && v.Tolerance < 1) {
		add("verify.tolerance must be in (0, 1), got %v", v.Tolerance)
	}
	if v.MaxModelBytes == 0 {
		add("verify.max_model_bytes must be positive")
	}
	if v.PermitGrace < 0 {
		add("verify.permit_grace must not be negative, got %s", v.PermitGrace)
	}
	if v.MaxRefusals < 1 {
		add("verify.max_refusals must be at least 1, got %d", v.MaxRefusals)
	}
	if v.BusyBound <= 0 {
		add("verify.busy_bound must be positive, got %s", v.BusyBound)
	}
	return errs
}
