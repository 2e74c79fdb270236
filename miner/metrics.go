package miner

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tensorcosm/tensorcosm/axon"
)

// metrics are the miner's own metrics; the axon server adds its
// tensorcosm_axon_* ones to the same registry.
type metrics struct {
	refreshes     *prometheus.CounterVec
	refreshHeight prometheus.Gauge
	neurons       prometheus.Gauge
	chainEvents   *prometheus.CounterVec
	modelInfo     *prometheus.GaugeVec
	registered    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tensorcosm_miner_metagraph_refreshes_total",
			Help: "Metagraph refreshes from the chain, by result (ok or error).",
		}, []string{"result"}),
		refreshHeight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tensorcosm_miner_metagraph_height",
			Help: "Block height of the last metagraph read from the chain.",
		}),
		neurons: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tensorcosm_miner_metagraph_neurons",
			Help: "Neurons in the subnet at the last refresh.",
		}),
		chainEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tensorcosm_miner_chain_transactions_total",
			Help: "Transactions the miner sent, by kind (fund_hotkey, register, serve_axon) and result (ok or error).",
		}, []string{"kind", "result"}),
		modelInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tensorcosm_miner_model_info",
			Help: "Always 1; labels name the served model and the device it runs on.",
		}, []string{"sha256", "device"}),
		registered: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tensorcosm_miner_registered",
			Help: "1 while the hotkey holds a UID in the subnet (at the last refresh), else 0.",
		}),
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, errors.Join(errors.New("miner: register metrics"), err)
		}
	}
	for _, r := range []string{"ok", "error"} {
		m.refreshes.WithLabelValues(r)
	}
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.refreshes, m.refreshHeight, m.neurons, m.chainEvents, m.modelInfo, m.registered}
}

// DescribeMetrics sends the descriptor of every metric a miner serves on
// /metrics to ch (its own and its axon's; the daemon adds the Go and
// process collectors, cliconfig.NewRegistry), whether or not it has a
// sample yet. deploy/grafana's test checks the dashboards against them.
func DescribeMetrics(ch chan<- *prometheus.Desc) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		panic(err) // a fresh registry refuses nothing but a bug in newMetrics
	}
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
	axon.DescribeMetrics(ch)
}

func (m *metrics) tx(kind string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.chainEvents.WithLabelValues(kind, result).Inc()
}
