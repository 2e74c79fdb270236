package axon

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// metrics are the server's Prometheus collectors, registered on the
// registerer given to NewServer.
type metrics struct {
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	queueDepth prometheus.Gauge
	modelRun   prometheus.Histogram
	shed       prometheus.Counter
	// downloadCuts counts ModelDownload streams cut, by kind: stalled
	// (the reader stopped taking data) or timeout (download_timeout).
	downloadCuts *prometheus.CounterVec
	// sessions is the number of live sessions held.
	sessions prometheus.Gauge
	// inflight counts unary requests being handled, for a graceful stop.
	inflight atomic.Int64
}

// latencyBuckets span 50 us to 10 s: the axon's own overhead is tens of
// microseconds, real models take milliseconds to seconds.
var latencyBuckets = prometheus.ExponentialBucketsRange(50e-6, 10, 20)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tensorcosm", Subsystem: "axon", Name: "requests_total",
			Help: "Axon requests handled, by gRPC method and status code.",
		}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "tensorcosm", Subsystem: "axon", Name: "request_duration_seconds",
			Help:    "Time from receiving an axon request to answering it, by gRPC method.",
			Buckets: latencyBuckets,
		}, []string{"method"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "tensorcosm", Subsystem: "axon", Name: "queue_depth",
			Help: "Infer requests waiting for a worker.",
		}),
		modelRun: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "tensorcosm", Subsystem: "axon", Name: "model_run_duration_seconds",
			Help:    "Time the model took to run one request.",
			Buckets: latencyBuckets,
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "tensorcosm", Subsystem: "axon", Name: "shed_total",
			Help: "Infer requests dropped from a full queue in favour of higher-stake work.",
		}),
		downloadCuts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "tensorcosm", Subsystem: "axon", Name: "model_downloads_cut_total",
			Help: "ModelDownload streams cut because the reader stalled or download_timeout passed, by kind.",
		}, []string{"kind"}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "tensorcosm", Subsystem: "axon", Name: "sessions",
			Help: "Live sessions held (expired ones count until swept).",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("axon: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.latency, m.queueDepth, m.modelRun, m.shed, m.downloadCuts, m.sessions}
}

// DescribeMetrics sends the descriptor of every metric an axon server
// registers to ch, whether or not it has a sample yet (deploy/grafana's
// test checks the dashboards' queries against them).
func DescribeMetrics(ch chan<- *prometheus.Desc) {
	m, _ := newMetrics(nil) // nil: build the collectors, register none
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
	r, _ := newReceiptMetrics(nil, DefaultBatcherConfig().BatchSize) // the server's batcher registers these
	for _, c := range []prometheus.Collector{r.rootsSigned, r.leavesPerRoot, r.signDuration, r.signFailures, r.dropped, r.sessions, r.idleEnded} {
		c.Describe(ch)
	}
}

func (m *metrics) observe(method string, start time.Time, err error) {
	m.requests.WithLabelValues(method, status.Code(err).String()).Inc()
	m.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
}

func (m *metrics) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	m.inflight.Add(1)
	resp, err := handler(ctx, req)
	m.inflight.Add(-1)
	m.observe(info.FullMethod, start, err)
	return resp, err
}

func (m *metrics) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	m.observe(info.FullMethod, start, err)
	return err
}
