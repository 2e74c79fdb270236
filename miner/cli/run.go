package cli

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
)

// EnvPrefix prefixes the environment variables that set config keys: key
// axon.listen_address is TENSORCOSM_MINER_AXON_LISTEN_ADDRESS.
const EnvPrefix = "TENSORCOSM_MINER"

// runFlags maps each flag of `run` to its config key.
var runFlags = cliconfig.NeuronFlags("serve", "to register", []cliconfig.Flag{
	{Name: "state-dir", Key: "state_dir", Usage: "directory of the axon's TLS certificate (required)"},
	{Name: "listen", Key: "axon.listen_address", Usage: "axon listen address"},
	{Name: "announce-host", Key: "announce.host", Usage: "axon host announced on chain (default: the listen host)"},
	{Name: "announce-port", Key: "announce.port", Usage: "axon port announced on chain (default: the bound port)"},
	{Name: "model", Key: "model.path", Usage: "ONNX model file to serve"},
	{Name: "device", Key: "model.device", Usage: "cpu, cuda, or auto (CUDA if it works, else CPU)"},
	{Name: "device-id", Key: "model.device_id", Usage: "CUDA device ordinal"},
	{Name: "onnxruntime-lib", Key: "model.onnxruntime_lib", Usage: "ONNX Runtime library (default $ONNXRUNTIME_SHARED_LIBRARY_PATH or the cache)"},
	{Name: "metagraph-refresh", Key: "metagraph_refresh", Usage: "how often the metagraph is read from the chain"},
}...)

// NewRunCmd returns `run`, the miner daemon.
func NewRunCmd() *cobra.Command {
	var configFile string
	var printConfig bool
	v := viper.New()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Serve a model on the tensorcosm network: register, announce the axon and answer requests",
		Long: `Serve an ONNX model on an axon for one subnet of a tensorcosm chain.

Settings come from, lowest first: defaults, the --config file (YAML or TOML),
environment variables ` + EnvPrefix + `_<KEY> (key upper-cased, "." as "_",
e.g. ` + EnvPrefix + `_CHAIN_GRPC_ADDRESS), and flags. --print-config shows
the result and exits. Logs are JSON on stderr; SIGINT or SIGTERM stop the
miner gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(v, configFile)
			if err != nil {
				return err
			}
			if printConfig {
				return writeConfig(cmd, cfg)
			}
			return runMiner(cmd, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "config file (YAML or TOML)")
	f.BoolVar(&printConfig, "print-config", false, "print the effective config as YAML and exit")
	cliconfig.DefineFlags(f, v, miner.DefaultConfig(), runFlags)
	return cmd
}

// loadConfig layers defaults < file < environment < flags.
func loadConfig(v *viper.Viper, file string) (miner.Config, error) {
	var cfg miner.Config
	err := cliconfig.Load(v, file, EnvPrefix, miner.DefaultConfig(), &cfg)
	return cfg, err
}

// writeConfig prints cfg as YAML, durations in Go syntax.
func writeConfig(cmd *cobra.Command, cfg miner.Config) error {
	cfg.Axon.Netuid = cfg.Netuid // as the miner uses it
	return cliconfig.Write(cmd.OutOrStdout(), cfg)
}

func runMiner(cmd *cobra.Command, cfg miner.Config) error {
	return cliconfig.RunDaemon(cmd, cfg.Config, func(logger *slog.Logger, reg *prometheus.Registry) (cliconfig.Daemon, error) {
		return miner.New(cfg, logger, reg)
	})
}
