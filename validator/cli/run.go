package cli

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/validator"
)

// EnvPrefix prefixes the environment variables that set config keys: key
// chain.grpc_address is TENSORCOSM_VALIDATOR_CHAIN_GRPC_ADDRESS.
const EnvPrefix = "TENSORCOSM_VALIDATOR"

// runFlags maps each flag of `run` to its config key.
var runFlags = cliconfig.NeuronFlags("validate", "to register or stake", []cliconfig.Flag{
	{Name: "stake", Key: "stake", Usage: "stake the coldkey tops the hotkey up to at startup, in utensor (0: none)"},
	{Name: "state-dir", Key: "state_dir", Usage: "directory of the scores and commit-reveal state (required)"},
	{Name: "onnxruntime-lib", Key: "onnxruntime_lib", Usage: "ONNX Runtime library for model verification (default $ONNXRUNTIME_SHARED_LIBRARY_PATH or the cache)"},
	{Name: "sync-blocks", Key: "sync_blocks", Usage: "blocks between two metagraph reads"},
	{Name: "step-interval", Key: "step_interval", Usage: "time between two scoring steps"},
	{Name: "sample-size", Key: "sample_size", Usage: "miners queried per step, least recently scored first (0: all)"},
	{Name: "concurrency", Key: "concurrency", Usage: "queries in flight at most"},
	{Name: "query-timeout", Key: "query_timeout", Usage: "time limit of one query"},
	{Name: "challenge-batch", Key: "challenge_batch", Usage: "items (rows) per challenge"},
	{Name: "ema-alpha", Key: "ema_alpha", Usage: "weight of the newest score in the moving average"},
	{Name: "version-key", Key: "version_key", Usage: "weights version key (0: the subnet's weights_version_key)"},
	{Name: "verify", Key: "verify.enabled", Usage: "model verification: auto, true or false"},
	{Name: "verify-sample", Key: "verify.sample", Usage: "rows of each answered challenge re-run on the committed model"},
	{Name: "verify-tolerance", Key: "verify.tolerance", Usage: "largest difference of a float output value accepted"},
	{Name: "verify-max-model-bytes", Key: "verify.max_model_bytes", Usage: "largest model downloaded"},
	{Name: "verify-permit-grace", Key: "verify.permit_grace", Usage: "time after getting a permit during which download refusals do not count"},
	{Name: "verify-max-refusals", Key: "verify.max_refusals", Usage: "download refusals after the grace that flag a miner"},
	{Name: "verify-busy-bound", Key: "verify.busy_bound", Usage: "time a miner may answer downloads ResourceExhausted before it is flagged"},
}...)

// NewRunCmd returns `run`, the validator daemon.
func NewRunCmd() *cobra.Command {
	var configFile string
	var printConfig bool
	var taskSettings []string
	v := viper.New()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Validate a subnet: challenge its miners, score them and commit and reveal weights",
		Long: `Validate one subnet of a tensorcosm chain: sync its metagraph, challenge the
miners with fresh challenges of the subnet's task, keep a moving average score
per UID, check answers against the miners' committed models, and commit then
reveal weights every tempo. Scores and commit state live in state_dir, so a restart resumes.

The subnet's task kind must be linked into this binary (linked in: ` + strings.Join(task.Kinds(), ", ") + `);
its settings are the config section tasks.<kind> or --task-setting
KIND.KEY=VALUE, e.g. --task-setting digits-classification.data_path=/data/digits.csv.gz.

Settings come from, lowest first: defaults, the --config file (YAML or TOML),
environment variables ` + EnvPrefix + `_<KEY> (key upper-cased, "." as "_",
e.g. ` + EnvPrefix + `_CHAIN_GRPC_ADDRESS), and flags. --print-config shows
the result and exits. Logs are JSON on stderr; SIGINT or SIGTERM stop the
validator gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg validator.Config
			if err := cliconfig.Load(v, configFile, EnvPrefix, validator.DefaultConfig(), &cfg); err != nil {
				return err
			}
			if err := applyTaskSettings(&cfg, taskSettings); err != nil {
				return err
			}
			if printConfig {
				return cliconfig.Write(cmd.OutOrStdout(), cfg)
			}
			return cliconfig.RunDaemon(cmd, cfg.Config, func(logger *slog.Logger, reg *prometheus.Registry) (cliconfig.Daemon, error) {
				return validator.New(cfg, logger, reg)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "config file (YAML or TOML)")
	f.BoolVar(&printConfig, "print-config", false, "print the effective config as YAML and exit")
	f.StringArrayVar(&taskSettings, "task-setting", nil, "KIND.KEY=VALUE: a setting of a task kind (tasks.<kind>.<key>), repeatable")
	cliconfig.DefineFlags(f, v, validator.DefaultConfig(), runFlags)
	return cmd
}

// applyTaskSettings sets tasks.<kind>.<key> from KIND.KEY=VALUE flags, over
// the config file. Values stay strings; each kind parses its own.
func applyTaskSettings(cfg *validator.Config, settings []string) error {
	for _, s := range settings {
		name, value, ok := strings.Cut(s, "=")
		kind, key, dot := strings.Cut(name, ".")
		if !ok || !dot || kind == "" || key == "" {
			return fmt.Errorf("--task-setting %q: want KIND.KEY=VALUE", s)
		}
		if cfg.Tasks == nil {
			cfg.Tasks = map[string]map[string]any{}
		}
		if cfg.Tasks[kind] == nil {
			cfg.Tasks[kind] = map[string]any{}
		}
		cfg.Tasks[kind][key] = value
	}
	return nil
}
