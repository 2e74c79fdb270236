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

	// MaxClockSkew is how far a nonce may be behind or ahead of the server
	// clock.
	MaxClockSkew time.Duration `mapstructure:"max_clock_skew"`
	// NonceReorderWindow is how many of a caller's latest nonces are
	// remembered, so that many concurrent requests may arrive out of order;
	// 0 demands strictly increasing arrival.
	NonceReorderWindow int `mapstructure:"nonce_reorder_window"`
	// MaxCallers bounds the callers whose nonces are remembered.
	MaxCallers int `mapstructure:"max_callers"`

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

	// ShutdownTimeout is how long a graceful stop waits for in-flight
	// requests before cutting them off.
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
}

// DefaultServerConfig returns a config that listens on loopback; a miner
// that others must reach sets ListenAddress explicitly.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		ListenAddress:          "127.0.0.1:8091",
		Workers:                runtime.GOMAXPROCS(0),
		QueueSize:              256,
		RequestTimeout:         30 * time.Second,
		MaxClockSkew:           30 * time.Second,
		NonceReorderWindow:     64,
		MaxCallers:             65536,
		MaxRecvMsgBytes:        4 << 20,
		MaxSendMsgBytes:        16 << 20,
		MaxTensors:             16,
		MaxElements:            1 << 20,
		MaxConcurrentStreams:   1024,
		DownloadChunkBytes:     1 << 20,
		MaxConcurrentDownloads: 8,
		DownloadTimeout:        2 * time.Minute,
		DownloadMinBytesPerSec: 256 << 10,
		ShutdownTimeout:        30 * time.Second,
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
		{"max_callers", int64(c.MaxCallers)},
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
	if c.NonceReorderWindow < 0 || c.NonceReorderWindow > 4096 {
		errs = append(errs, fmt.Errorf("nonce_reorder_window must be in [0, 4096], got %d", c.NonceReorderWindow))
	}
	if c.DownloadChunkBytes > c.MaxSendMsgBytes-1024 {
		errs = append(errs, fmt.Errorf("download_chunk_bytes %d does not fit max_send_msg_bytes %d", c.DownloadChunkBytes, c.MaxSendMsgBytes))
	}
	return errors.Join(errs...)
}
