package cli

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/miner"
)

// EnvPrefix prefixes the environment variables that set config keys: key
// axon.listen_address is TENSORCOSM_MINER_AXON_LISTEN_ADDRESS.
const EnvPrefix = "TENSORCOSM_MINER"

// runFlags maps each flag of `run` to its config key.
var runFlags = []struct{ flag, key, usage string }{
	{"grpc-address", "chain.grpc_address", "node gRPC address host:port"},
	{"chain-id", "chain.chain_id", "chain ID"},
	{"fees", "chain.fees", "fees per transaction, e.g. 0utensor"},
	{"keyring-backend", "keyring.backend", "keyring backend: test, file or os"},
	{"keyring-dir", "keyring.dir", "directory holding the keyring (tensorcosmd --home)"},
	{"hotkey", "keyring.hotkey", "name of the hotkey in the keyring"},
	{"coldkey", "keyring.coldkey", "name of the coldkey in the keyring (to register)"},
	{"netuid", "netuid", "subnet to serve"},
	{"register", "register", "register the hotkey if it is not registered"},
	{"max-burn", "max_burn", "highest registration price accepted, in utensor"},
	{"listen", "axon.listen_address", "axon listen address"},
	{"announce-host", "announce.host", "axon host announced on chain (default: the listen host)"},
	{"announce-port", "announce.port", "axon port announced on chain (default: the bound port)"},
	{"model", "model.path", "ONNX model file to serve"},
	{"device", "model.device", "cpu, cuda, or auto (CUDA if it works, else CPU)"},
	{"device-id", "model.device_id", "CUDA device ordinal"},
	{"onnxruntime-lib", "model.onnxruntime_lib", "ONNX Runtime library (default $ONNXRUNTIME_SHARED_LIBRARY_PATH or the cache)"},
	{"metagraph-refresh", "metagraph_refresh", "how often the metagraph is read from the chain"},
	{"metrics-listen", "metrics_listen_address", "address of /metrics and /healthz"},
	{"log-level", "log_level", "debug, info, warn or error"},
}

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
	defineFlags(f, v, miner.DefaultConfig())
	return cmd
}

// defineFlags adds runFlags with the defaults' values and binds them to v.
func defineFlags(f *pflag.FlagSet, v *viper.Viper, def miner.Config) {
	values := flatten(def)
	for _, rf := range runFlags {
		switch d := values[rf.key].(type) {
		case string:
			f.String(rf.flag, d, rf.usage)
		case bool:
			f.Bool(rf.flag, d, rf.usage)
		case uint32:
			f.Uint32(rf.flag, d, rf.usage)
		case uint64:
			f.Uint64(rf.flag, d, rf.usage)
		case int:
			f.Int(rf.flag, d, rf.usage)
		case time.Duration:
			f.Duration(rf.flag, d, rf.usage)
		default:
			panic(fmt.Sprintf("flag %s: config key %s has type %T", rf.flag, rf.key, d)) // a bug in runFlags
		}
		if err := v.BindPFlag(rf.key, f.Lookup(rf.flag)); err != nil {
			panic(err) // the flag was defined just above
		}
	}
}

// loadConfig layers defaults < file < environment < flags.
func loadConfig(v *viper.Viper, file string) (miner.Config, error) {
	for k, val := range flatten(miner.DefaultConfig()) {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return miner.Config{}, fmt.Errorf("read config %s: %w", file, err)
		}
	}
	var cfg miner.Config
	if err := v.Unmarshal(&cfg); err != nil {
		return miner.Config{}, fmt.Errorf("decode config: %w", err)
	}
	return cfg, nil
}

// flatten returns the dotted mapstructure keys of a config struct with
// their values; viper needs every key as a default to find it in the
// environment.
func flatten(cfg any) map[string]any {
	out := make(map[string]any)
	flattenInto(out, "", reflect.ValueOf(cfg))
	return out
}

func flattenInto(out map[string]any, prefix string, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			flattenInto(out, prefix+tag+".", fv)
			continue
		}
		out[prefix+tag] = fv.Interface()
	}
}

// writeConfig prints cfg as YAML, durations in Go syntax.
func writeConfig(cmd *cobra.Command, cfg miner.Config) error {
	cfg.Axon.Netuid = cfg.Netuid // as the miner uses it
	out := viper.New()
	for k, val := range flatten(cfg) {
		if d, ok := val.(time.Duration); ok {
			val = d.String()
		}
		out.Set(k, val)
	}
	out.SetConfigType("yaml")
	return out.WriteConfigTo(cmd.OutOrStdout())
}

func runMiner(cmd *cobra.Command, cfg miner.Config) error {
	level, err := miner.ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := miner.New(cfg, logger, reg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return m.Run(ctx)
}
