package axon

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"
)

// ServerConfig configures an axon server. Start from DefaultServerConfig.
type ServerConfig struct {
	// ListenAddress is the host:port Run listens on.
	ListenAddress string `mapstructure:"listen_address"`
	// Netuid is the subnet the miner serves; requests for another are refused.
	Netuid uint32 `mapstructure:"netuid"`
	// Version is reported by Info (the miner's build version).
	Version string `mapstructure:"version"`

	// Workers is how many model runs may proceed at once. A request that
	// finds one free runs at once on its own goroutine; the others wait in
	// the queue.
	Workers int `mapstructure:"workers"`
	// QueueSize is how many Infer requests may wait for a worker; beyond it
	// the lowest-stake waiting request is shed. 0: no waiting, a request
	// that finds every worker busy is shed.
	QueueSize int `mapstructure:"queue_size"`
	// RequestTimeout caps the time one Infer may wait and run, whatever
	// deadline the caller set.
	RequestTimeout time.Duration `mapstructure:"request_timeout"`

	// ChainID is the chain the miner serves; handshakes for another are
	// refused. Required.
	ChainID string `mapstructure:"chain_id"`
	// TLS is "on" (serve TLS 1.3 with a self-signed certificate that
	// clients pin by its fingerprint on chain, and bind sessions to the
	// connection) or "off" (plaintext: localnets, tests).
	TLS string `mapstructure:"tls"`
	// TLSDir keeps the certificate (cert.pem, key.pem) across restarts, so
	// its fingerprint stays what the chain has; empty: a certificate for the
	// life of the process.
	TLSDir string `mapstructure:"tls_dir"`
	// Reflection serves gRPC server reflection (grpcurl and other tools
	// list and call the Axon service without its .proto).
	Reflection bool `mapstructure:"reflection"`

	// MaxClockSkew is how far a handshake's timestamp may be behind or ahead
	// of the server clock; handshake nonces are remembered twice as long.
	MaxClockSkew time.Duration `mapstructure:"max_clock_skew"`
	// SessionTTL is the longest a session lives; a caller may ask for less.
	SessionTTL time.Duration `mapstructure:"session_ttl"`
	// SequenceWindow is how many of a session's latest sequence numbers are
	// remembered, so that many concurrent requests may arrive out of order;
	// 0 demands strictly increasing arrival.
	SequenceWindow int `mapstructure:"sequence_window"`
	// HandshakesPerCallerPerSecond and HandshakeBurst are each caller
	// hotkey's token bucket for handshakes.
	HandshakesPerCallerPerSecond float64 `mapstructure:"handshakes_per_caller_per_second"`
	HandshakeBurst               int     `mapstructure:"handshake_burst"`
	// MaxSessionsPerCaller bounds one caller hotkey's live sessions (all its
	// processes together); beyond it handshakes are refused.
	MaxSessionsPerCaller int `mapstructure:"max_sessions_per_caller"`
	// MaxSessions bounds the live sessions of all callers together.
	MaxSessions int `mapstructure:"max_sessions"`
	// MaxHandshakeNonces bounds the handshake nonces remembered (each for
	// twice max_clock_skew); when it is full of live ones, handshakes are
	// refused rather than a nonce forgotten early.
	MaxHandshakeNonces int `mapstructure:"max_handshake_nonces"`

	// RequireValidatorPermit limits Infer to callers with a validator permit.
	RequireValidatorPermit bool `mapstructure:"require_validator_permit"`

	// MaxRecvMsgBytes is the largest request message accepted.
	MaxRecvMsgBytes int `mapstructure:"max_recv_msg_bytes"`
	// MaxSendMsgBytes is the largest response message sent.
	MaxSendMsgBytes int `mapstructure:"max_send_msg_bytes"`
	// MaxTensors is the most input tensors one request may carry.
	MaxTensors int `mapstructure:"max_tensors"`
	// MaxElements is the most tensor elements one request may carry.
	MaxElements int64 `mapstructure:"max_elements"`
	// MaxConcurrentStreams bounds concurrent RPCs per client connection.
	MaxConcurrentStreams uint32 `mapstructure:"max_concurrent_streams"`

	// ServeModelDownload enables ModelDownload (for validator-permit callers
	// only); the model must implement ModelOpener.
	ServeModelDownload bool `mapstructure:"serve_model_download"`
	// DownloadChunkBytes is the size of each ModelChunk.
	DownloadChunkBytes int `mapstructure:"download_chunk_bytes"`
	// MaxConcurrentDownloads bounds simultaneous ModelDownload streams, all
	// callers together; each caller hotkey has at most one at a time.
	MaxConcurrentDownloads int `mapstructure:"max_concurrent_downloads"`
	// DownloadTimeout cuts a ModelDownload stream still running after it,
	// whatever deadline the caller set.
	DownloadTimeout time.Duration `mapstructure:"download_timeout"`
	// DownloadMinBytesPerSec is the slowest a caller may take a download:
	// a stream whose reader has not taken the previous chunk within
	// download_chunk_bytes / download_min_bytes_per_sec (at least 1 s) is
	// cut, so a reader that never reads holds its slot for seconds.
	DownloadMinBytesPerSec int64 `mapstructure:"download_min_bytes_per_sec"`

	// Receipts configures the receipt batcher: how many leaves share a
	// signed root and how long a leaf waits for one.
	Receipts BatcherConfig `mapstructure:"receipts"`

	// ShutdownTimeout is how long a graceful stop waits for in-flight
	// requests before cutting them off.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// The values of ServerConfig.TLS.
const (
	TLSOn  = "on"
	TLSOff = "off"
)

// DefaultServerConfig returns a config that listens on loopback with TLS
// on and reflection served; ChainID must be set, and a miner that others
// must reach sets ListenAddress explicitly.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		ListenAddress:                "127.0.0.1:8091",
		Workers:                      runtime.GOMAXPROCS(0),
		QueueSize:                    256,
		RequestTimeout:               30 * time.Second,
		TLS:                          TLSOn,
		Reflection:                   true,
		MaxClockSkew:                 30 * time.Second,
		SessionTTL:                   10 * time.Minute,
		SequenceWindow:               64,
		MaxSessionsPerCaller:         64,
		MaxSessions:                  65536,
		MaxHandshakeNonces:           131072,
		HandshakesPerCallerPerSecond: 5,
		HandshakeBurst:               10,
		MaxRecvMsgBytes:              4 << 20,
		MaxSendMsgBytes:              16 << 20,
		MaxTensors:                   16,
		MaxElements:                  1 << 20,
		MaxConcurrentStreams:         1024,
		DownloadChunkBytes:           1 << 20,
		MaxConcurrentDownloads:       8,
		DownloadTimeout:              2 * time.Minute,
		DownloadMinBytesPerSec:       256 << 10,
		ShutdownTimeout:              30 * time.Second,
		Receipts:                     DefaultBatcherConfig(),
	}
}

// Validate reports every invalid field at once.
func (c ServerConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.ListenAddress); err != nil {
		errs = append(errs, fmt.Errorf("listen_address %q: %w", c.ListenAddress, err))
	}
	positive := []struct {
		name string
		v    int64
	}{
		{"workers", int64(c.Workers)},
		{"request_timeout", int64(c.RequestTimeout)},
		{"max_clock_skew", int64(c.MaxClockSkew)},
		{"session_ttl", int64(c.SessionTTL)},
		{"handshake_burst", int64(c.HandshakeBurst)},
		{"max_sessions_per_caller", int64(c.MaxSessionsPerCaller)},
		{"max_sessions", int64(c.MaxSessions)},
		{"max_handshake_nonces", int64(c.MaxHandshakeNonces)},
		{"max_recv_msg_bytes", int64(c.MaxRecvMsgBytes)},
		{"max_send_msg_bytes", int64(c.MaxSendMsgBytes)},
		{"max_tensors", int64(c.MaxTensors)},
		{"max_elements", c.MaxElements},
		{"max_concurrent_streams", int64(c.MaxConcurrentStreams)},
		{"download_chunk_bytes", int64(c.DownloadChunkBytes)},
		{"max_concurrent_downloads", int64(c.MaxConcurrentDownloads)},
		{"download_timeout", int64(c.DownloadTimeout)},
		{"download_min_bytes_per_sec", c.DownloadMinBytesPerSec},
		{"shutdown_timeout", int64(c.ShutdownTimeout)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", p.name, p.v))
		}
	}
	if c.QueueSize < 0 {
		errs = append(errs, fmt.Errorf("queue_size must not be negative, got %d", c.QueueSize))
	}
	if c.SequenceWindow < 0 || c.SequenceWindow > 4096 {
		errs = append(errs, fmt.Errorf("sequence_window must be in [0, 4096], got %d", c.SequenceWindow))
	}
	if c.ChainID == "" {
		errs = append(errs, errors.New("chain_id is required"))
	}
	if c.TLS != TLSOn && c.TLS != TLSOff {
		errs = append(errs, fmt.Errorf("tls must be %q or %q, got %q", TLSOn, TLSOff, c.TLS))
	}
	if !(c.HandshakesPerCallerPerSecond > 0) {
		errs = append(errs, fmt.Errorf("handshakes_per_caller_per_second must be positive, got %g", c.HandshakesPerCallerPerSecond))
	}
	if c.DownloadChunkBytes > c.MaxSendMsgBytes-1024 {
		errs = append(errs, fmt.Errorf("download_chunk_bytes %d does not fit max_send_msg_bytes %d", c.DownloadChunkBytes, c.MaxSendMsgBytes))
	}
	if err := c.Receipts.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
