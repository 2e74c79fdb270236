package cli

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
	"github.com/tensorcosm/tensorcosm/validator"
)

// EnvPrefix prefixes the environment variables that set config keys: key
// chain.grpc_address is TENSORCOSM_VALIDATOR_CHAIN_GRPC_ADDRESS.
const EnvPrefix = "TENSORCOSM_VALIDATOR"

// runFlags maps each flag of `run` to its config key.
var runFlags = cliconfig.NeuronFlags("validate", "to register or stake", []cliconfig.Flag{
	{Name: "stake", Key: "stake", Usage: "stake the coldkey tops the hotkey up to at startup, in utensor (0: none)"},
	{Name: "state-dir", Key: "state_dir", Usage: "directory of the scores and commit-reveal state (required)"},
	{Name: "data", Key: "data.digits_path", Usage: "digits.csv.gz the challenges are drawn from"},
	{Name: "onnxruntime-lib", Key: "onnxruntime_lib", Usage: "ONNX Runtime library for model verification (default $ONNXRUNTIME_SHARED_LIBRARY_PATH or the cache)"},
	{Name: "sync-blocks", Key: "sync_blocks", Usage: "blocks between two metagraph reads"},
	{Name: "step-interval", Key: "step_interval", Usage: "time between two scoring steps"},
	{Name: "sample-size", Key: "sample_size", Usage: "miners queried per step, least recently scored first (0: all)"},
	{Name: "concurrency", Key: "concurrency", Usage: "queries in flight at most"},
	{Name: "query-timeout", Key: "query_timeout", Usage: "time limit of one query"},
	{Name: "challenge-batch", Key: "challenge_batch", Usage: "images per challenge"},
	{Name: "noise", Key: "perturb.noise", Usage: "standard deviation of the pixel noise, raw pixel units (0..16)"},
	{Name: "rotate", Key: "perturb.rotate", Usage: "largest rotation of challenge images, degrees either way"},
	{Name: "scale", Key: "perturb.scale", Usage: "largest relative change of size of challenge images"},
	{Name: "shear", Key: "perturb.shear", Usage: "largest shear factor of challenge images, either way"},
	{Name: "shift", Key: "perturb.shift", Usage: "largest shift of challenge images, pixels per axis"},
	{Name: "elastic", Key: "perturb.elastic", Usage: "largest elastic distortion of challenge images, pixels"},
	{Name: "stroke", Key: "perturb.stroke", Usage: "largest change of pen width of challenge images, 0..1"},
	{Name: "ema-alpha", Key: "ema_alpha", Usage: "weight of the newest score in the moving average"},
	{Name: "version-key", Key: "version_key", Usage: "weights version key (0: the subnet's weights_version_key)"},
	{Name: "verify", Key: "verify.enabled", Usage: "model verification: auto, true or false"},
	{Name: "verify-sample", Key: "verify.sample", Usage: "images of each answered challenge re-run on the committed model"},
	{Name: "verify-tolerance", Key: "verify.tolerance", Usage: "largest probability difference accepted"},
	{Name: "verify-max-model-bytes", Key: "verify.max_model_bytes", Usage: "largest model downloaded"},
	{Name: "verify-permit-grace", Key: "verify.permit_grace", Usage: "time after getting a permit during which download refusals do not count"},
	{Name: "verify-max-refusals", Key: "verify.max_refusals", Usage: "download refusals after the grace that flag a miner"},
	{Name: "verify-busy-bound", Key: "verify.busy_bound", Usage: "time a miner may answer downloads ResourceExhausted before it is flagged"},
	{Name: "metrics-listen", Key: "metrics_listen_address", Usage: "address of /metrics and /healthz"},
	{Name: "log-level", Key: "log_level", Usage: "debug, info, warn or error"},
}...)

// NewRunCmd returns `run`, the validator daemon.
func NewRunCmd() *cobra.Command {
	var configFile string
	var printConfig bool
	v := viper.New()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Validate a subnet: challenge its miners, score them and commit and reveal weights",
		Long: `Validate one subnet of a tensorcosm chain: sync its metagraph, challenge the
miners with fresh variants of the digits, keep a moving average score per
UID, check answers against the miners' committed models, and commit then
reveal weights every tempo. Scores and commit state live in state_dir, so a restart resumes.

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
			if printConfig {
				return cliconfig.Write(cmd.OutOrStdout(), cfg)
			}
			return cliconfig.RunDaemon(cmd, cfg.LogLevel, func(logger *slog.Logger, reg *prometheus.Registry) (cliconfig.Daemon, error) {
				return validator.New(cfg, logger, reg)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "config file (YAML or TOML)")
	f.BoolVar(&printConfig, "print-config", false, "print the effective config as YAML and exit")
	cliconfig.DefineFlags(f, v, validator.DefaultConfig(), runFlags)
	return cmd
}
