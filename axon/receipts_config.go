package axon

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BatcherConfig configures a Batcher: how many answers share one signed
// root, and how much it keeps for each session.
type BatcherConfig struct {
	// BatchSize is the most leaves under one root: a root is signed as soon
	// as this many leaves wait. Default 64.
	BatchSize int `mapstructure:"batch_size"`
	// BatchInterval is the longest a leaf waits for its root and the least
	// time between two roots of partial batches: a batch with a leaf is
	// signed once this long has passed since the previous batch was cut,
	// however few leaves wait, so after an idle spell a leaf is signed at
	// once. Default 1 ms: at most 1,000 partial roots a second (about 4% of
	// a core), and an answer's receipt within about a millisecond.
	BatchInterval time.Duration `mapstructure:"batch_interval"`
	// QueueSize is the most ReceiptBatches kept for a session that nobody
	// has taken yet (no Receipts stream and no Infer since); beyond it the
	// oldest is dropped. Default 64.
	QueueSize int `mapstructure:"queue_size"`
	// SessionIdle releases a session's queue when the session has had no
	// leaf for this long and was not ended with EndSession: a safety net,
	// longer than any session lives. Default 15 min.
	SessionIdle time.Duration `mapstructure:"session_idle"`
}

// DefaultBatcherConfig returns the defaults: 64 leaves or 1 ms per root,
// 64 batches queued per session, idle sessions released after 15 min.
func DefaultBatcherConfig() BatcherConfig {
	return BatcherConfig{
		BatchSize:     64,
		BatchInterval: time.Millisecond,
		QueueSize:     64,
		SessionIdle:   15 * time.Minute,
	}
}

// Validate checks the bounds of each field.
func (c BatcherConfig) Validate() error {
	switch {
	case c.BatchSize < 1 || c.BatchSize > 1<<16:
		return fmt.Errorf("receipts batch_size %d: want 1 to 65536", c.BatchSize)
	case c.BatchInterval < time.Millisecond || c.BatchInterval > time.Minute:
		return fmt.Errorf("receipts batch_interval %s: want 1ms to 1m", c.BatchInterval)
	case c.QueueSize < 1 || c.QueueSize > 4096:
		return fmt.Errorf("receipts queue_size %d: want 1 to 4096", c.QueueSize)
	case c.SessionIdle < time.Second:
		return fmt.Errorf("receipts session_idle %s: want at least 1s", c.SessionIdle)
	}
	return nil
}

// receiptMetrics are the batcher's Prometheus collectors.
type receiptMetrics struct {
	rootsSigned   prometheus.Counter
	leavesPerRoot prometheus.Histogram
	signDuration  prometheus.Histogram
	signFailures  prometheus.Counter
	dropped       *prometheus.CounterVec
	sessions      prometheus.Gauge
	idleEnded     prometheus.Counter
}

func newReceiptMetrics(reg prometheus.Registerer, batchSize int) (*receiptMetrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: name, Help: help,
		})
	}
	m := &receiptMetrics{
		rootsSigned: counter("roots_signed_total", "Merkle roots of receipt batches signed."),
		leavesPerRoot: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "leaves_per_root",
			Help:    "Leaves under each signed root: batch_size when busy, fewer when batch_interval cut the batch.",
			Buckets: leafBuckets(batchSize),
		}),
		signDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "sign_duration_seconds",
			Help:    "Time to build a batch's Merkle tree and paths and sign its root.",
			Buckets: prometheus.ExponentialBucketsRange(10e-6, 1, 16),
		}),
		signFailures: counter("sign_failures_total", "Receipt roots the signer failed to sign; their leaves got no receipts."),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "batches_dropped_total",
			Help: "Session receipt batches dropped, by reason: queue_full (the oldest of a full session queue) or session_ended.",
		}, []string{"reason"}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "tensorcosm", Subsystem: "axon_receipts", Name: "sessions",
			Help: "Sessions with a receipt queue.",
		}),
		idleEnded: counter("sessions_idle_released_total", "Session receipt queues released after session_idle without EndSession."),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.rootsSigned, m.leavesPerRoot, m.signDuration, m.signFailures, m.dropped, m.sessions, m.idleEnded} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("axon: register receipt metrics: %w", err)
		}
	}
	return m, nil
}

// leafBuckets are powers of two up to the batch size, then the size itself.
func leafBuckets(batchSize int) []float64 {
	var bs []float64
	for v := 1; v < batchSize; v *= 2 {
		bs = append(bs, float64(v))
	}
	return append(bs, float64(batchSize))
}
