package gateway

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus series.
type metrics struct {
	requests  *prometheus.CounterVec   // model, endpoint, code
	latency   *prometheus.HistogramVec // model, endpoint
	upstream  *prometheus.HistogramVec // model, miner, result
	retries   *prometheus.CounterVec   // model
	hedges    *prometheus.CounterVec   // model
	breaker   *prometheus.GaugeVec     // model, miner: 0 closed, 1 half-open, 2 open
	receipts  *prometheus.CounterVec   // result
	agreement *prometheus.HistogramVec // model
	inflight  prometheus.Gauge

	epochsRecorded *prometheus.CounterVec // netuid
	historyErrors  prometheus.Counter

	usageFlushFailures prometheus.Counter
}

var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tensorcosm_gateway_requests_total",
			Help: "API requests by model (subnet name, or \"\"), endpoint and HTTP status code."}, []string{"model", "endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tensorcosm_gateway_request_seconds",
			Help: "API request latency by model and endpoint.", Buckets: latencyBuckets}, []string{"model", "endpoint"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tensorcosm_gateway_upstream_seconds",
			Help: "Latency of each call to a miner by model, miner UID and result (ok, error).", Buckets: latencyBuckets},
			[]string{"model", "uid", "result"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tensorcosm_gateway_retries_total",
			Help: "Calls retried on another miner after an error or timeout."}, []string{"model"}),
		hedges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tensorcosm_gateway_hedges_total",
			Help: "Hedged second calls sent after the observed p95."}, []string{"model"}),
		breaker: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tensorcosm_gateway_breaker_state",
			Help: "Circuit breaker per miner: 0 closed, 1 half-open, 2 open."}, []string{"model", "uid"}),
		receipts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tensorcosm_gateway_receipts_total",
			Help: "Receipts handed out by result: verified (inline), pending (URL), failed."}, []string{"result"}),
		agreement: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tensorcosm_gateway_agreement",
			Help: "Miners agreeing with the returned answer under parameters.redundancy.", Buckets: []float64{1, 2, 3, 4, 5}},
			[]string{"model"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tensorcosm_gateway_inflight_requests",
			Help: "API requests being served."}),
		epochsRecorded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tensorcosm_gateway_epochs_recorded_total",
			Help: "Subnet epochs the dashboard's history recorder stored, by netuid."}, []string{"netuid"}),
		historyErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "tensorcosm_gateway_history_errors_total",
			Help: "Passes of the dashboard's history recorder that failed (node or store unreachable)."}),
		usageFlushFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "tensorcosm_gateway_usage_flush_failures_total",
			Help: "Flushes of buffered API key usage the store refused (the counts are kept for the next)."}),
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("gateway metrics: %w", err)
			}
			return nil, err
		}
	}
	return m, nil
}

// collectors are the gateway's own metrics.
func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.latency, m.upstream, m.retries, m.hedges, m.breaker,
		m.receipts, m.agreement, m.inflight, m.epochsRecorded, m.historyErrors, m.usageFlushFailures}
}

// DescribeMetrics sends the descriptors of every metric the gateway
// exports besides the Go and process collectors (deploy/grafana's test
// checks its dashboard against them).
func DescribeMetrics(ch chan<- *prometheus.Desc) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		panic(err) // a fresh registry refuses nothing but a bug in newMetrics
	}
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

func breakerValue(state string) float64 {
	switch state {
	case "half-open":
		return 1
	case "open":
		return 2
	}
	return 0
}
