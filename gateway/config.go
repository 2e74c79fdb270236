package gateway

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway/route"
	"github.com/tensorcosm/tensorcosm/neuron"
)

// Config is the gateway's configuration. Keys are the mapstructure tags;
// the environment sets them as TENSORCOSM_GATEWAY_<KEY> ("." as "_").
type Config struct {
	// Chain is the node the gateway reads metagraphs from.
	Chain neuron.ChainConfig `mapstructure:"chain"`
	// Keyring holds the hotkey the gateway signs axon sessions with: a
	// hotkey registered in every served subnet, normally the operator's
	// validator hotkey. The coldkey is not used.
	Keyring neuron.KeyringConfig `mapstructure:"keyring"`
	// Dev allows the unencrypted test keyring (a local network).
	Dev bool `mapstructure:"dev"`
	// Subnets lists the served netuids, comma-separated ("1,2").
	Subnets string `mapstructure:"subnets"`
	// ListenAddress serves the API (OIP v2, predict, receipts, OpenAPI).
	ListenAddress string `mapstructure:"listen_address"`
	// MetricsListenAddress serves /metrics and /healthz.
	MetricsListenAddress string `mapstructure:"metrics_listen_address"`
	// DataDir holds the SQLite key store (gateway.db) by default.
	DataDir string `mapstructure:"data_dir"`
	// Store is the API key and usage store.
	Store StoreConfig `mapstructure:"store"`
	// Anonymous lets requests without an API key through (off by default).
	Anonymous bool `mapstructure:"anonymous"`
	// RequestTimeout is a request's deadline when it sets no
	// parameters.timeout_ms; MaxRequestTimeout caps what it may set.
	RequestTimeout    time.Duration `mapstructure:"request_timeout"`
	MaxRequestTimeout time.Duration `mapstructure:"max_request_timeout"`
	// MaxBodyBytes bounds a request body (413 beyond).
	MaxBodyBytes int `mapstructure:"max_body_bytes"`
	// MaxRedundancy bounds parameters.redundancy.
	MaxRedundancy int `mapstructure:"max_redundancy"`
	// ReceiptWait is how long an answer waits for its receipt's signed
	// root before it is returned with a receipt URL instead.
	ReceiptWait time.Duration `mapstructure:"receipt_wait"`
	// ReceiptCache is how many receipts GET /v1/receipts/{id} keeps.
	ReceiptCache int `mapstructure:"receipt_cache"`
	// MetagraphInterval is how often each subnet's metagraph is re-read.
	MetagraphInterval time.Duration `mapstructure:"metagraph_interval"`
	// KeyCacheTTL is how long a looked-up API key is trusted before the
	// store is asked again (a revocation takes effect within it).
	KeyCacheTTL time.Duration `mapstructure:"key_cache_ttl"`
	// UsageFlushInterval is how often the usage of keys without a daily
	// quota (and every key's error count) is written to the store; 0 writes
	// every request's at once. Keys with a quota are always counted at once.
	UsageFlushInterval time.Duration `mapstructure:"usage_flush_interval"`
	// CORSOrigins lists the browser origins allowed, comma-separated; "*"
	// allows any; empty sends no CORS headers.
	CORSOrigins string `mapstructure:"cors_origins"`
	// Route tunes miner selection, breakers, retries and hedging.
	Route RouteConfig `mapstructure:"route"`
	// Dashboard is the web UI at / and the JSON it reads.
	Dashboard DashboardConfig `mapstructure:"dashboard"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log_level"`
	// ShutdownTimeout bounds the drain after SIGINT or SIGTERM.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// StoreConfig selects the key and usage store.
type StoreConfig struct {
	// Driver is sqlite (one gateway) or postgres (several replicas).
	Driver string `mapstructure:"driver"`
	// DSN is the SQLite file ("" = data_dir/gateway.db) or a PostgreSQL
	// connection string (postgres://user@host/db).
	DSN string `mapstructure:"dsn"`
}

// DashboardConfig sets up the web dashboard and the epoch history it
// charts.
type DashboardConfig struct {
	// Enabled serves the pages at / and /assets/ and their JSON API
	// (/v1/network, /v1/subnets/{netuid}/metagraph|weights|history|miners,
	// /v1/receipts/{id}/verification, /v1/dashboard/config).
	Enabled bool `mapstructure:"enabled"`
	// RPCAddress is the node's CometBFT RPC (http://host:26657): the
	// history recorder reads each epoch's events from its block results,
	// and the overview its block times. Empty turns the history off.
	RPCAddress string `mapstructure:"rpc_address"`
	// HistoryInterval is how often the recorder looks for new epochs.
	HistoryInterval time.Duration `mapstructure:"history_interval"`
	// BackfillEpochs is how many past epochs per subnet the recorder reads
	// when it has none stored (as far as the node still holds them); with
	// some stored, it fills every gap since the newest.
	BackfillEpochs int `mapstructure:"backfill_epochs"`
	// CacheTTL is how long chain reads behind the dashboard's JSON are
	// reused, which bounds what page views cost the node.
	CacheTTL time.Duration `mapstructure:"cache_ttl"`
}

// RouteConfig is the configurable part of route.Config.
type RouteConfig struct {
	BreakerFailures int           `mapstructure:"breaker_failures"`
	BreakerOpen     time.Duration `mapstructure:"breaker_open"`
	MaxAttempts     int           `mapstructure:"max_attempts"`
	Hedge           bool          `mapstructure:"hedge"`
}

// DefaultConfig is a local node and keyring, the API on 127.0.0.1:8090,
// metrics on 127.0.0.1:9103, SQLite in ~/.tensorcosm/gateway, 10 s
// requests (60 s at most), 8 MiB bodies.
func DefaultConfig() Config {
	kr := neuron.DefaultKeyringConfig()
	rc := route.DefaultConfig()
	return Config{
		Chain:                neuron.DefaultChainConfig(),
		Keyring:              kr,
		ListenAddress:        "127.0.0.1:8090",
		MetricsListenAddress: "127.0.0.1:9103",
		DataDir:              filepath.Join(kr.Dir, "gateway"),
		Store:                StoreConfig{Driver: "sqlite"},
		RequestTimeout:       10 * time.Second,
		MaxRequestTimeout:    time.Minute,
		MaxBodyBytes:         8 << 20,
		MaxRedundancy:        5,
		ReceiptWait:          time.Second,
		ReceiptCache:         10000,
		MetagraphInterval:    6 * time.Second,
		KeyCacheTTL:          5 * time.Second,
		UsageFlushInterval:   time.Second,
		Route: RouteConfig{BreakerFailures: rc.BreakerFailures, BreakerOpen: rc.BreakerOpen,
			MaxAttempts: rc.MaxAttempts, Hedge: rc.Hedge},
		Dashboard: DashboardConfig{Enabled: true, RPCAddress: "http://127.0.0.1:26657", HistoryInterval: 5 * time.Second,
			BackfillEpochs: 200, CacheTTL: 2 * time.Second},
		LogLevel:        "info",
		ShutdownTimeout: 30 * time.Second,
	}
}

// ParseNetuids parses a comma-separated list of netuids ("1, 2"), dropping
// repeats; an empty list is nil.
func ParseNetuids(s string) ([]uint32, error) {
	var out []uint32
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.ParseUint(f, 10, 32)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%q is not a netuid (1 or more)", f)
		}
		if !slices.Contains(out, uint32(n)) {
			out = append(out, uint32(n))
		}
	}
	return out, nil
}

// Netuids parses Subnets, which must name at least one netuid.
func (c Config) Netuids() ([]uint32, error) {
	out, err := ParseNetuids(c.Subnets)
	if err != nil {
		return nil, fmt.Errorf("subnets: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("subnets is required: the netuids to serve, e.g. 1,2")
	}
	return out, nil
}

// StoreDSN is the store's DSN with the SQLite default filled in.
func (c Config) StoreDSN() string {
	if c.Store.DSN == "" && c.Store.Driver == "sqlite" {
		return filepath.Join(c.DataDir, "gateway.db")
	}
	return c.Store.DSN
}

// routeConfig is route.DefaultConfig with the configured fields.
func (c Config) routeConfig() route.Config {
	rc := route.DefaultConfig()
	rc.BreakerFailures, rc.BreakerOpen, rc.MaxAttempts, rc.Hedge = c.Route.BreakerFailures, c.Route.BreakerOpen,
		c.Route.MaxAttempts, c.Route.Hedge
	return rc
}

// corsOrigins parses CORSOrigins.
func (c Config) corsOrigins() []string {
	var out []string
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

// Validate reports every problem with c (joined with errors.Join).
func (c Config) Validate() error {
	errs := []error{c.Chain.Validate(), c.Keyring.Validate("", c.Dev)}
	if _, err := c.Netuids(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, neuron.ValidateListenAddress("listen_address", c.ListenAddress),
		neuron.ValidateListenAddress("metrics_listen_address", c.MetricsListenAddress))
	switch c.Store.Driver {
	case "sqlite":
		if c.StoreDSN() == "" {
			errs = append(errs, errors.New("store.dsn or data_dir is required for the sqlite store"))
		}
	case "postgres":
		if c.Store.DSN == "" {
			errs = append(errs, errors.New("store.dsn is required for the postgres store (postgres://user@host:5432/db)"))
		}
	default:
		errs = append(errs, fmt.Errorf("store.driver %q: want sqlite or postgres", c.Store.Driver))
	}
	if c.RequestTimeout <= 0 || c.MaxRequestTimeout < c.RequestTimeout {
		errs = append(errs, fmt.Errorf("request_timeout (%s) must be positive and at most max_request_timeout (%s)",
			c.RequestTimeout, c.MaxRequestTimeout))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("max_body_bytes must be at least 1024, got %d", c.MaxBodyBytes))
	}
	if c.MaxRedundancy < 1 {
		errs = append(errs, fmt.Errorf("max_redundancy must be at least 1, got %d", c.MaxRedundancy))
	}
	if c.ReceiptWait < 0 || c.ReceiptCache < 1 {
		errs = append(errs, fmt.Errorf("receipt_wait must not be negative and receipt_cache positive, got %s and %d",
			c.ReceiptWait, c.ReceiptCache))
	}
	if c.MetagraphInterval <= 0 || c.KeyCacheTTL < 0 || c.UsageFlushInterval < 0 {
		errs = append(errs, errors.New("metagraph_interval must be positive, key_cache_ttl and usage_flush_interval not negative"))
	}
	if err := c.Dashboard.validate(); err != nil {
		errs = append(errs, fmt.Errorf("dashboard: %w", err))
	}
	if err := c.routeConfig().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("route: %w", err))
	}
	if _, err := neuron.ParseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("log_level: %w", err))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown_timeout must be positive, got %s", c.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

func (d DashboardConfig) validate() error {
	var errs []error
	if d.RPCAddress != "" {
		u, err := url.Parse(d.RPCAddress)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tcp") || u.Host == "" {
			errs = append(errs, fmt.Errorf("rpc_address %q: want http://host:port", d.RPCAddress))
		}
	}
	if d.HistoryInterval <= 0 || d.CacheTTL < 0 {
		errs = append(errs, fmt.Errorf("history_interval (%s) must be positive and cache_ttl (%s) not negative",
			d.HistoryInterval, d.CacheTTL))
	}
	if d.BackfillEpochs < 0 || d.BackfillEpochs > 100_000 {
		errs = append(errs, fmt.Errorf("backfill_epochs must be 0 to 100000, got %d", d.BackfillEpochs))
	}
	return errors.Join(errs...)
}
