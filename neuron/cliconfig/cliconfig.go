// Package cliconfig is the `run` command plumbing the tensorcosm daemons
// share: config keys as flags, the layering defaults < file < environment <
// flags with viper, --print-config, and the daemon's logger, registry and
// signal handling.
package cliconfig

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/tensorcosm/tensorcosm/neuron"
)

// Flag maps a command-line flag to a config key.
type Flag struct {
	Name, Key, Usage string
}

// NeuronFlags are the flags every daemon's `run` has for the keys of
// neuron.Config (the chain, the keyring, registration, dev mode, metrics,
// logging and shutdown), followed by extra. what says what the daemon does
// with the subnet ("serve", "validate"); coldkeyUse what its coldkey pays for.
func NeuronFlags(what, coldkeyUse string, extra ...Flag) []Flag {
	return append([]Flag{
		{Name: "grpc-address", Key: "chain.grpc_address", Usage: "node gRPC address host:port"},
		{Name: "chain-id", Key: "chain.chain_id", Usage: "chain ID"},
		{Name: "fees", Key: "chain.fees", Usage: "fees per transaction, e.g. 0utensor"},
		{Name: "tx-timeout", Key: "chain.tx_timeout", Usage: "how long to wait for a transaction's block"},
		{Name: "keyring-backend", Key: "keyring.backend", Usage: "keyring backend: file or os (test with --dev)"},
		{Name: "keyring-dir", Key: "keyring.dir", Usage: "directory holding the keyring (tensorcosmd --home)"},
		{Name: "hotkey", Key: "keyring.hotkey", Usage: "name of the hotkey in the keyring"},
		{Name: "coldkey", Key: "keyring.coldkey", Usage: "name of the coldkey in the keyring (" + coldkeyUse + ")"},
		{Name: "netuid", Key: "netuid", Usage: "subnet to " + what},
		{Name: "register", Key: "register", Usage: "register the hotkey if it is not registered"},
		{Name: "max-burn", Key: "max_burn", Usage: "highest registration price accepted, in utensor"},
		{Name: "dev", Key: "dev", Usage: "dev mode for a local network: allows the unencrypted test keyring"},
		{Name: "metrics-listen", Key: "metrics_listen_address", Usage: "address of /metrics and /healthz"},
		{Name: "log-level", Key: "log_level", Usage: "debug, info, warn or error"},
		{Name: "shutdown-timeout", Key: "shutdown_timeout", Usage: "how long a graceful stop may take after SIGINT or SIGTERM"},
	}, extra...)
}

// DefineFlags adds flags with the values def holds for their keys as
// defaults, and binds them to v.
func DefineFlags(f *pflag.FlagSet, v *viper.Viper, def any, flags []Flag) {
	values := Flatten(def)
	for _, fl := range flags {
		switch d := values[fl.Key].(type) {
		case string:
			f.String(fl.Name, d, fl.Usage)
		case bool:
			f.Bool(fl.Name, d, fl.Usage)
		case uint32:
			f.Uint32(fl.Name, d, fl.Usage)
		case uint64:
			f.Uint64(fl.Name, d, fl.Usage)
		case int:
			f.Int(fl.Name, d, fl.Usage)
		case float64:
			f.Float64(fl.Name, d, fl.Usage)
		case time.Duration:
			f.Duration(fl.Name, d, fl.Usage)
		default:
			panic(fmt.Sprintf("flag %s: config key %s has type %T", fl.Name, fl.Key, d)) // a bug in the flag table
		}
		if err := v.BindPFlag(fl.Key, f.Lookup(fl.Name)); err != nil {
			panic(err) // the flag was defined just above
		}
	}
}

// Load layers def < file < environment (envPrefix_KEY, "." as "_") <
// flags bound to v, and decodes the result into out, a pointer to a config
// struct of def's type.
func Load(v *viper.Viper, file, envPrefix string, def, out any) error {
	for k, val := range Flatten(def) {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return fmt.Errorf("read config %s: %w", file, err)
		}
	}
	if err := v.Unmarshal(out, viper.DecodeHook(decodeHook)); err != nil {
		return fmt.Errorf("decode config: %w", err)
	}
	return nil
}

var durationType = reflect.TypeFor[time.Duration]()

// decodeHook parses durations written as strings ("2s"), as viper's default
// hook does, and keeps a YAML boolean given for a string key (such as
// `enabled: true` where auto is also allowed) as "true"/"false" rather than
// mapstructure's "1"/"0".
func decodeHook(from, to reflect.Type, data any) (any, error) {
	switch {
	case from.Kind() == reflect.String && to == durationType:
		return time.ParseDuration(data.(string))
	case from.Kind() == reflect.Bool && to.Kind() == reflect.String:
		return strconv.FormatBool(data.(bool)), nil
	}
	return data, nil
}

// Flatten returns the dotted mapstructure keys of a config struct with
// their values; viper needs every key as a default to find it in the
// environment.
func Flatten(cfg any) map[string]any {
	out := make(map[string]any)
	flattenInto(out, "", reflect.ValueOf(cfg))
	return out
}

func flattenInto(out map[string]any, prefix string, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag, opts, _ := strings.Cut(t.Field(i).Tag.Get("mapstructure"), ",")
		fv := v.Field(i)
		if opts == "squash" && fv.Kind() == reflect.Struct {
			flattenInto(out, prefix, fv) // an embedded section whose keys stay at this level
			continue
		}
		if tag == "" || tag == "-" {
			continue
		}
		if fv.Kind() == reflect.Struct {
			flattenInto(out, prefix+tag+".", fv)
			continue
		}
		out[prefix+tag] = fv.Interface()
	}
}

// Write prints cfg as YAML, durations in Go syntax.
func Write(w io.Writer, cfg any) error {
	out := viper.New()
	for k, val := range Flatten(cfg) {
		if d, ok := val.(time.Duration); ok {
			val = d.String()
		}
		out.Set(k, val)
	}
	out.SetConfigType("yaml")
	return out.WriteConfigTo(w)
}

// NewRegistry returns the registry a daemon serves on /metrics before the
// daemon adds its own metrics: the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Daemon is what RunDaemon runs: a miner or a validator.
type Daemon interface {
	Run(ctx context.Context) error
}

// RunDaemon builds the daemon with a JSON logger on the command's stderr at
// cfg.LogLevel and a registry holding the Go and process collectors, then
// runs it until SIGINT or SIGTERM, giving it cfg.ShutdownTimeout to stop
// (see neuron.RunUntilSignal).
func RunDaemon(cmd *cobra.Command, cfg neuron.Config, build func(*slog.Logger, *prometheus.Registry) (Daemon, error)) error {
	level, err := neuron.ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	d, err := build(logger, NewRegistry())
	if err != nil {
		return err
	}
	return neuron.RunUntilSignal(cmd.Context(), cfg.ShutdownTimeout, d.Run)
}
