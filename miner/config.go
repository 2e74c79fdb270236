package miner

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/onnx"
)

// Config configures a Miner. The mapstructure tags are the keys of the
// config file and, upper-cased with "." as "_" behind TENSORCOSM_MINER_, of
// the environment.
type Config struct {
	// Chain is the node the miner talks to.
	Chain ChainConfig `mapstructure:"chain"`
	// Keyring holds the coldkey and the hotkey.
	Keyring KeyringConfig `mapstructure:"keyring"`
	// Netuid is the subnet the miner serves; it overrides Axon.Netuid.
	Netuid uint32 `mapstructure:"netuid"`
	// Register lets the miner register its hotkey when it is not yet
	// registered, paying at most MaxBurn utensor from the coldkey.
	Register bool `mapstructure:"register"`
	// MaxBurn is the highest registration price, in utensor, the coldkey
	// accepts.
	MaxBurn uint64 `mapstructure:"max_burn"`
	// Dev is dev mode, for a local network: it allows the test keyring,
	// which stores keys unencrypted on disk.
	Dev bool `mapstructure:"dev"`
	// StateDir holds the axon's TLS certificate (axon-tls/), so that its
	// fingerprint on chain survives restarts; one miner per directory.
	StateDir string `mapstructure:"state_dir"`
	// Axon configures the axon server; Axon.ListenAddress is where it listens.
	Axon axon.ServerConfig `mapstructure:"axon"`
	// Announce is the axon address published on chain.
	Announce AnnounceConfig `mapstructure:"announce"`
	// Model is the ONNX model served and where it runs.
	Model ModelConfig `mapstructure:"model"`
	// MetagraphRefresh is how often the subnet's neurons are read from the
	// chain, for the axon's caller checks and stake priorities.
	MetagraphRefresh time.Duration `mapstructure:"metagraph_refresh"`
	// MetricsListenAddress serves /metrics and /healthz.
	MetricsListenAddress string `mapstructure:"metrics_listen_address"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log_level"`
}

// ChainConfig locates the chain.
type ChainConfig = neuron.ChainConfig

// KeyringConfig names the keyring and the keys in it; the coldkey is needed
// only to register.
type KeyringConfig = neuron.KeyringConfig

// AnnounceConfig is the axon address announced on chain; empty fields take
// the listening address (and the port actually bound, for port 0).
type AnnounceConfig struct {
	// Host is the externally reachable host name or IP.
	Host string `mapstructure:"host"`
	// Port is the externally reachable port.
	Port uint32 `mapstructure:"port"`
	// ModelURI is an optional place the model can be fetched from.
	ModelURI string `mapstructure:"model_uri"`
}

// ModelConfig is the ONNX model and its runtime.
type ModelConfig struct {
	// Path is the ONNX file.
	Path string `mapstructure:"path"`
	// Device is cpu, cuda or auto (CUDA if it works, else CPU).
	Device string `mapstructure:"device"`
	// DeviceID is the CUDA device ordinal.
	DeviceID int `mapstructure:"device_id"`
	// IntraOpThreads is ONNX Runtime's intra-op threads; 0 is one per core.
	IntraOpThreads int `mapstructure:"intra_op_threads"`
	// ONNXRuntimeLib is the ONNX Runtime shared library; empty uses
	// $ONNXRUNTIME_SHARED_LIBRARY_PATH or the cache.
	ONNXRuntimeLib string `mapstructure:"onnxruntime_lib"`
}

// DefaultConfig returns the defaults: a local node, the file keyring in
// ~/.tensorcosm, the axon on 127.0.0.1:8091 and metrics on 127.0.0.1:9101.
func DefaultConfig() Config {
	return Config{
		Chain:                neuron.DefaultChainConfig(),
		Keyring:              neuron.DefaultKeyringConfig(),
		Axon:                 axon.DefaultServerConfig(),
		Model:                ModelConfig{Device: string(onnx.DeviceCPU)},
		MetagraphRefresh:     12 * time.Second,
		MetricsListenAddress: "127.0.0.1:9101",
		LogLevel:             "info",
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	errs = append(errs, c.Chain.Validate()...)
	coldkeyWhen := ""
	if c.Register {
		coldkeyWhen = "register is true"
	}
	errs = append(errs, c.Keyring.Validate(coldkeyWhen, c.Dev)...)
	if c.Netuid == 0 {
		add("netuid is required (0 is the root network, which serves no model)")
	}
	if c.StateDir == "" {
		add("state_dir is required: the axon's TLS certificate lives there")
	}
	if c.Register && c.MaxBurn == 0 {
		add("max_burn must be set (utensor) when register is true")
	}
	ax := c.Axon
	ax.ChainID = c.Chain.ChainID // the miner serves its chain's id (see New)
	if err := ax.Validate(); err != nil {
		add("axon: %w", err)
	}
	errs = append(errs, c.validateAnnounce()...)
	if c.Model.Path == "" {
		add("model.path is required")
	}
	if _, err := onnx.ParseDevice(c.Model.Device); err != nil {
		add("model.device: %w", err)
	}
	if c.Model.DeviceID < 0 || c.Model.IntraOpThreads < 0 {
		add("model.device_id and model.intra_op_threads must not be negative")
	}
	if c.MetagraphRefresh < 100*time.Millisecond {
		add("metagraph_refresh must be at least 100ms, got %s", c.MetagraphRefresh)
	}
	if err := neuron.ValidateListenAddress("metrics_listen_address", c.MetricsListenAddress); err != nil {
		errs = append(errs, err)
	}
	if _, err := neuron.ParseLogLevel(c.LogLevel); err != nil {
		add("log_level: %w", err)
	}
	return errors.Join(errs...)
}

func (c Config) validateAnnounce() []error {
	host, _, err := net.SplitHostPort(c.Axon.ListenAddress)
	if err != nil {
		return nil // reported by axon.Validate
	}
	if c.Announce.Port > 65535 {
		return []error{fmt.Errorf("announce.port %d is not a port", c.Announce.Port)}
	}
	if c.Announce.Host == "" {
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			return []error{fmt.Errorf("announce.host is required when the axon listens on all interfaces (%q)", c.Axon.ListenAddress)}
		}
	}
	return nil
}
