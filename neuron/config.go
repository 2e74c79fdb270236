package neuron

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/chainclient"
)

// Config is the section every daemon shares: the chain, the keyring, the
// subnet and its registration, dev mode, and the daemon's /metrics,
// logging and shutdown. Daemons embed it with `mapstructure:",squash"`,
// so its keys stay where they were: chain.*, keyring.*, netuid, register,
// max_burn, dev, metrics_listen_address, log_level, shutdown_timeout.
type Config struct {
	// Chain is the node the daemon talks to.
	Chain ChainConfig `mapstructure:"chain"`
	// Keyring holds the hotkey and, to register (or stake), the coldkey.
	Keyring KeyringConfig `mapstructure:"keyring"`
	// Netuid is the subnet the daemon works in.
	Netuid uint32 `mapstructure:"netuid"`
	// Register lets the daemon register its hotkey when it is not yet
	// registered, paying at most MaxBurn utensor from the coldkey.
	Register bool `mapstructure:"register"`
	// MaxBurn is the highest registration price, in utensor, the coldkey
	// accepts.
	MaxBurn uint64 `mapstructure:"max_burn"`
	// Dev is dev mode, for a local network: it allows the test keyring,
	// which stores keys unencrypted on disk.
	Dev bool `mapstructure:"dev"`
	// MetricsListenAddress serves /metrics and /healthz.
	MetricsListenAddress string `mapstructure:"metrics_listen_address"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log_level"`
	// ShutdownTimeout bounds a graceful stop after SIGINT or SIGTERM; it
	// should exceed the daemon's own drains (the axon's shutdown_timeout,
	// a weight transaction's chain.tx_timeout).
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// DefaultConfig is a local node, the file keyring in ~/.tensorcosm,
// metrics on metricsAddr, info logs and a 60 s shutdown timeout.
func DefaultConfig(metricsAddr string) Config {
	return Config{Chain: DefaultChainConfig(), Keyring: DefaultKeyringConfig(), MetricsListenAddress: metricsAddr,
		LogLevel: "info", ShutdownTimeout: time.Minute}
}

// Validate reports every problem with c (joined with errors.Join).
// coldkeyNeededWhen, when not empty, says why the daemon needs its coldkey
// (see KeyringConfig.Validate).
func (c Config) Validate(coldkeyNeededWhen string) error {
	errs := []error{c.Chain.Validate(), c.Keyring.Validate(coldkeyNeededWhen, c.Dev)}
	if c.Netuid == 0 {
		errs = append(errs, errors.New("netuid is required (0 is the root network, which runs no task)"))
	}
	if c.Register && c.MaxBurn == 0 {
		errs = append(errs, errors.New("max_burn must be set (utensor) when register is true"))
	}
	errs = append(errs, ValidateListenAddress("metrics_listen_address", c.MetricsListenAddress))
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("log_level: %w", err))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown_timeout must be positive, got %s", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

// ChainConfig locates the chain.
type ChainConfig struct {
	// GRPCAddress is the node's gRPC endpoint, host:port.
	GRPCAddress string `mapstructure:"grpc_address"`
	// ChainID is the chain the transactions are signed for.
	ChainID string `mapstructure:"chain_id"`
	// Fees paid by each transaction, e.g. "0utensor"; empty pays none.
	Fees string `mapstructure:"fees"`
	// TxTimeout bounds the wait for a transaction to be included.
	TxTimeout time.Duration `mapstructure:"tx_timeout"`
}

// DefaultChainConfig is a local node with a 30 s inclusion timeout.
func DefaultChainConfig() ChainConfig {
	return ChainConfig{GRPCAddress: "127.0.0.1:9090", TxTimeout: 30 * time.Second}
}

// Validate reports every problem with c (joined with errors.Join).
func (c ChainConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.GRPCAddress); err != nil {
		errs = append(errs, fmt.Errorf("chain.grpc_address %q: want host:port", c.GRPCAddress))
	}
	if c.ChainID == "" {
		errs = append(errs, errors.New("chain.chain_id is required"))
	}
	if c.TxTimeout <= 0 {
		errs = append(errs, fmt.Errorf("chain.tx_timeout must be positive, got %s", c.TxTimeout))
	}
	return errors.Join(errs...)
}

// Client connects a chainclient to the configured node, signing with kr.
func (c ChainConfig) Client(kr keyring.Keyring) (*chainclient.Client, error) {
	return chainclient.New(chainclient.Config{GRPCAddr: c.GRPCAddress, ChainID: c.ChainID,
		Fees: c.Fees, InclusionTimeout: c.TxTimeout}, kr)
}

// KeyringConfig names the keyring and the keys in it.
type KeyringConfig struct {
	// Backend is file (the default), os or, in dev mode only, test, as for
	// tensorcosmd.
	Backend string `mapstructure:"backend"`
	// Dir is the directory holding keyring-<backend>, tensorcosmd's --home.
	Dir string `mapstructure:"dir"`
	// Hotkey names the key that signs axon requests or receipts and the
	// neuron's own transactions.
	Hotkey string `mapstructure:"hotkey"`
	// Coldkey names the key that pays registration (and stake); needed only
	// for those.
	Coldkey string `mapstructure:"coldkey"`
}

// Keyring backends the daemons accept.
const (
	// BackendFile is the default: keys encrypted with a passphrase, read
	// from stdin at startup; it works on headless servers.
	BackendFile = "file"
	// BackendOS is the operating system's secret store (Secret Service,
	// Keychain, Windows Credential Manager).
	BackendOS = "os"
	// BackendTest stores keys unencrypted on disk; the daemons accept it in
	// dev mode only.
	BackendTest = "test"
)

// ErrUnsafeKeyring is returned by Validate for the test keyring outside
// dev mode.
var ErrUnsafeKeyring = errors.New("keyring.backend test refused: the test keyring stores keys unencrypted on disk; " +
	"use --keyring-backend file or os, or pass --dev for a local network")

// DefaultKeyringConfig is the file backend in ~/.tensorcosm.
func DefaultKeyringConfig() KeyringConfig {
	home, _ := os.UserHomeDir() // "" falls back to a relative directory
	return KeyringConfig{Backend: BackendFile, Dir: filepath.Join(home, ".tensorcosm")}
}

// Validate reports every problem with k (joined with errors.Join; errors.Is
// finds ErrUnsafeKeyring in it). coldkeyNeededWhen, when not empty,
// says why the coldkey is required (e.g. "register is true"); dev allows
// the test backend, whose keys anyone reading the disk can take.
func (k KeyringConfig) Validate(coldkeyNeededWhen string, dev bool) error {
	var errs []error
	switch k.Backend {
	case BackendFile, BackendOS:
	case BackendTest:
		if !dev {
			errs = append(errs, ErrUnsafeKeyring)
		}
	default:
		errs = append(errs, fmt.Errorf("keyring.backend %q: want file or os (or test with --dev)", k.Backend))
	}
	if k.Dir == "" && k.Backend != BackendOS {
		errs = append(errs, errors.New("keyring.dir is required"))
	}
	if k.Hotkey == "" {
		errs = append(errs, errors.New("keyring.hotkey is required"))
	}
	if coldkeyNeededWhen != "" && k.Coldkey == "" {
		errs = append(errs, fmt.Errorf("keyring.coldkey is required when %s", coldkeyNeededWhen))
	}
	return errors.Join(errs...)
}

// WarnDev logs, once per call, that dev mode lets the test keyring hold
// the daemon's keys; the daemons call it once at startup.
func (k KeyringConfig) WarnDev(log *slog.Logger, dev bool) {
	if dev && k.Backend == BackendTest {
		log.Warn("dev mode: the test keyring stores keys unencrypted on disk; use it on a local network only",
			"keyring_dir", k.Dir)
	}
}

// Open opens the keyring; the file backend reads its passphrase from stdin.
func (k KeyringConfig) Open() (keyring.Keyring, error) {
	enc, err := chainclient.NewEncoding()
	if err != nil {
		return nil, err
	}
	kr, err := keyring.New(sdk.KeyringServiceName(), k.Backend, k.Dir, os.Stdin, enc.Codec)
	if err != nil {
		return nil, fmt.Errorf("open %s keyring in %s: %w", k.Backend, k.Dir, err)
	}
	return kr, nil
}

// KeyAddress returns the bech32 account address of a keyring key.
func KeyAddress(kr keyring.Keyring, name string) (string, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return "", fmt.Errorf("keyring key %q: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return "", fmt.Errorf("keyring key %q: %w", name, err)
	}
	return sdk.Bech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
}

// ValidateListenAddress checks a host:port the daemon listens on.
func ValidateListenAddress(key, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%s %q: want host:port", key, addr)
	}
	return nil
}

// ParseLogLevel parses debug, info, warn or error.
func ParseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	switch strings.ToLower(s) {
	case "debug", "info", "warn", "error":
		return l, l.UnmarshalText([]byte(s))
	}
	return l, fmt.Errorf("unknown level %q: want debug, info, warn or error", s)
}
