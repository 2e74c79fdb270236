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
	// Config is the section every daemon shares (its keys stay top-level):
	// the chain, the keyring (the coldkey is needed only with register),
	// netuid (the subnet served; it overrides Axon.Netuid), register and
	// max_burn, dev, metrics_listen_address, log_level and
	// shutdown_timeout.
	neuron.Config `mapstructure:",squash"`
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
		Config:           neuron.DefaultConfig("127.0.0.1:9101"),
		Axon:             axon.DefaultServerConfig(),
		Model:            ModelConfig{Device: string(onnx.DeviceCPU)},
		MetagraphRefresh: 12 * time.Second,
	}
}

// Validate reports every problem with c at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	coldkeyWhen := ""
	if c.Register {
		coldkeyWhen = "register is true"
	}
	errs = append(errs, c.Config.Validate(coldkeyWhen))
	if c.StateDir == "" {
		add("state_dir is required: the axon's TLS certificate lives there")
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
