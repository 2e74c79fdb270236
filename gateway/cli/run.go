package cli

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/neuron/cliconfig"
)

// runFlags maps each flag of `run` to its config key.
var runFlags = []cliconfig.Flag{
	{Name: "grpc-address", Key: "chain.grpc_address", Usage: "node gRPC address host:port"},
	{Name: "chain-id", Key: "chain.chain_id", Usage: "chain ID"},
	{Name: "keyring-backend", Key: "keyring.backend", Usage: "keyring backend: file or os (test with --dev)"},
	{Name: "keyring-dir", Key: "keyring.dir", Usage: "directory holding the keyring (tensorcosmd --home)"},
	{Name: "hotkey", Key: "keyring.hotkey", Usage: "hotkey the gateway signs as, registered in every served subnet"},
	{Name: "dev", Key: "dev", Usage: "dev mode for a local network: allows the unencrypted test keyring"},
	{Name: "subnets", Key: "subnets", Usage: "netuids to serve, comma-separated (required)"},
	{Name: "listen", Key: "listen_address", Usage: "address of the API"},
	{Name: "metrics-listen", Key: "metrics_listen_address", Usage: "address of /metrics and /healthz"},
	{Name: "data-dir", Key: "data_dir", Usage: "directory of the SQLite key store"},
	{Name: "store-driver", Key: "store.driver", Usage: "key store: sqlite or postgres"},
	{Name: "store-dsn", Key: "store.dsn", Usage: "SQLite file or PostgreSQL connection string"},
	{Name: "anonymous", Key: "anonymous", Usage: "allow requests without an API key"},
	{Name: "request-timeout", Key: "request_timeout", Usage: "request deadline when parameters.timeout_ms is not set"},
	{Name: "max-request-timeout", Key: "max_request_timeout", Usage: "largest deadline a request may ask for"},
	{Name: "max-body-bytes", Key: "max_body_bytes", Usage: "largest request body"},
	{Name: "dashboard", Key: "dashboard.enabled", Usage: "serve the web dashboard at / and its JSON API"},
	{Name: "rpc-address", Key: "dashboard.rpc_address", Usage: "node CometBFT RPC, http://host:port (epoch history; empty turns it off)"},
	{Name: "cors-origins", Key: "cors_origins", Usage: "browser origins allowed, comma-separated (* for any)"},
	{Name: "log-level", Key: "log_level", Usage: "debug, info, warn or error"},
	{Name: "shutdown-timeout", Key: "shutdown_timeout", Usage: "how long the drain may take after SIGINT or SIGTERM"},
}

// NewRunCmd returns `run`, the gateway daemon.
func NewRunCmd() *cobra.Command {
	var configFile string
	var printConfig bool
	v := viper.New()
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Serve the configured subnets over the Open Inference Protocol v2",
		Long: `Serve the configured subnets of a tensorcosm chain to applications: the Open
Inference Protocol v2 REST API (GET /v2, /v2/health/live|ready,
/v2/models/{model}[/ready], POST /v2/models/{model}/infer, where a model is a
subnet's name or netuid), POST /v1/subnets/{netuid}/predict with the task's
natural payload, GET /v1/receipts/{id} and GET /openapi.json. Requests carry an
API key (tensorcosm-gateway keys create) unless anonymous is on. The web
dashboard is at / (the network, each subnet's metagraph, weights and epoch
history, and a "try it" page); it records every epoch's results in the store,
read from the node's RPC (--rpc-address).

The gateway signs axon sessions with its hotkey, which must be registered in
every served subnet (normally the operator's validator hotkey).

Settings come from, lowest first: defaults, the --config file (YAML or TOML),
environment variables ` + EnvPrefix + `_<KEY> (key upper-cased, "." as "_",
e.g. ` + EnvPrefix + `_STORE_DSN), and flags. --print-config shows the result
and exits. Logs are JSON on stderr; SIGINT or SIGTERM drain in-flight requests.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg gateway.Config
			if err := cliconfig.Load(v, configFile, EnvPrefix, gateway.DefaultConfig(), &cfg); err != nil {
				return err
			}
			if printConfig {
				return cliconfig.Write(cmd.OutOrStdout(), cfg)
			}
			level, err := neuron.ParseLogLevel(cfg.LogLevel)
			if err != nil {
				return err
			}
			logger := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			reg := cliconfig.NewRegistry()
			g, err := gateway.New(cfg, logger, prometheus.Registerer(reg))
			if err != nil {
				return err
			}
			return neuron.RunUntilSignal(cmd.Context(), cfg.ShutdownTimeout, g.Run)
		},
	}
	f := cmd.Flags()
	f.StringVar(&configFile, "config", "", "config file (YAML or TOML)")
	f.BoolVar(&printConfig, "print-config", false, "print the effective config as YAML and exit")
	cliconfig.DefineFlags(f, v, gateway.DefaultConfig(), runFlags)
	return cmd
}
