package validator

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Query outcomes, the values of the outcome label.
const (
	outcomeOK         = "ok"          // answered, scored on accuracy and latency
	outcomeTimeout    = "timeout"     // no answer within query_timeout
	outcomeShed       = "shed"        // the miner's queue was full (ResourceExhausted)
	outcomeRefused    = "refused"     // the miner refused the caller (PermissionDenied, Unauthenticated)
	outcomeInvalid    = "invalid"     // a bad receipt or outputs that do not fit the task
	outcomeWrongModel = "wrong_model" // the receipt names another model than the commitment
	outcomeError      = "error"       // anything else: unreachable, Internal, ...
)

// Weight submissions, the values of the kind label.
const (
	kindCommit = "commit"
	kindReveal = "reveal"
	kindSet    = "set"
)

// metrics are the validator's metrics, all prefixed tensorcosm_validator_.
type metrics struct {
	queries          *prometheus.CounterVec
	queryDuration    prometheus.Histogram
	steps            prometheus.Counter
	stepDuration     prometheus.Histogram
	score            *prometheus.GaugeVec
	weights          *prometheus.CounterVec
	lastWeightsEpoch *prometheus.GaugeVec
	missedReveals    prometheus.Counter
	chainHeight      prometheus.Gauge
	metagraphHeight  prometheus.Gauge
	syncLag          prometheus.Gauge
	syncs            *prometheus.CounterVec
	neurons          prometheus.Gauge
	miners           prometheus.Gauge
	permit           prometheus.Gauge
	checks           *prometheus.CounterVec
	flags            *prometheus.CounterVec
	flagged          prometheus.Gauge
	downloads        *prometheus.CounterVec
	chainTxs         *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	counterVec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tensorcosm_validator_" + name, Help: help}, labels)
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "tensorcosm_validator_" + name, Help: help})
	}
	m := &metrics{
		queries: counterVec("queries_total", "Queries sent to miners, by outcome (ok, timeout, shed, refused, invalid, wrong_model, error).", "outcome"),
		queryDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tensorcosm_validator_query_duration_seconds",
			Help: "Time from sending a challenge to a verified answer, for answered queries.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		steps: prometheus.NewCounter(prometheus.CounterOpts{Name: "tensorcosm_validator_steps_total", Help: "Scoring steps run."}),
		stepDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tensorcosm_validator_step_duration_seconds",
			Help: "Time one step takes to query and score its miners.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		score: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tensorcosm_validator_score",
			Help: "Moving average score of each UID, in [0, 1]."}, []string{"uid"}),
		weights:          counterVec("weights_submitted_total", "Weight transactions sent, by kind (commit, reveal, set) and result (ok, error).", "kind", "result"),
		lastWeightsEpoch: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tensorcosm_validator_last_weights_epoch", Help: "Subnet epoch of the last successful weight transaction, by kind."}, []string{"kind"}),
		missedReveals:    prometheus.NewCounter(prometheus.CounterOpts{Name: "tensorcosm_validator_missed_reveals_total", Help: "Commits whose reveal window passed before they were revealed."}),
		chainHeight:      gauge("chain_height", "Latest block height seen."),
		metagraphHeight:  gauge("metagraph_height", "Block height of the metagraph in use."),
		syncLag:          gauge("metagraph_lag_blocks", "Blocks between the latest block and the metagraph in use (sync lag)."),
		syncs:            counterVec("metagraph_syncs_total", "Metagraph reads from the chain, by result (ok, error).", "result"),
		neurons:          gauge("metagraph_neurons", "Neurons in the subnet at the last sync."),
		miners:           gauge("miners", "Neurons serving an axon and a committed model (those queried) at the last sync."),
		permit:           gauge("validator_permit", "1 when this validator holds a validator permit, else 0."),
		checks:           counterVec("model_checks_total", "Answers re-run on the miner's committed model, by result (match, mismatch).", "result"),
		flags:            counterVec("miners_flagged_total", "Times a miner was scored 0 for failing verification, by reason.", "reason"),
		flagged:          gauge("flagged_miners", "Miners scored 0 in the current epoch for failing verification."),
		downloads:        counterVec("model_downloads_total", "Committed model downloads, by result (ok, sha_mismatch, refused, not_permitted, error).", "result"),
		chainTxs:         counterVec("chain_transactions_total", "Startup transactions sent, by kind (fund_hotkey, register, add_stake) and result (ok, error).", "kind", "result"),
	}
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, errors.Join(errors.New("validator: register metrics"), err)
		}
	}
	for _, o := range []string{outcomeOK, outcomeTimeout, outcomeShed, outcomeRefused, outcomeInvalid, outcomeWrongModel, outcomeError} {
		m.queries.WithLabelValues(o)
	}
	for _, k := range []string{kindCommit, kindReveal} {
		m.weights.WithLabelValues(k, "ok")
		m.weights.WithLabelValues(k, "error")
	}
	m.checks.WithLabelValues(checkMatch)
	m.checks.WithLabelValues(checkMismatch)
	return m, nil
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.queries, m.queryDuration, m.steps, m.stepDuration, m.score, m.weights,
		m.lastWeightsEpoch, m.missedReveals, m.chainHeight, m.metagraphHeight, m.syncLag, m.syncs, m.neurons, m.miners,
		m.permit, m.checks, m.flags, m.flagged, m.downloads, m.chainTxs}
}

// DescribeMetrics sends the descriptor of every metric a validator serves
// on /metrics to ch (the daemon adds the Go and process collectors,
// cliconfig.NewRegistry), whether or not it has a sample yet.
// deploy/grafana's test checks the dashboards against them.
func DescribeMetrics(ch chan<- *prometheus.Desc) {
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		panic(err) // a fresh registry refuses nothing but a bug in newMetrics
	}
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func (m *metrics) weightsSubmitted(kind string, err error) {
	m.weights.WithLabelValues(kind, result(err)).Inc()
}

func (m *metrics) tx(kind string, err error) {
	m.chainTxs.WithLabelValues(kind, result(err)).Inc()
}

func (m *metrics) setScore(uid uint32, ema float64) {
	m.score.WithLabelValues(strconv.FormatUint(uint64(uid), 10)).Set(ema)
}

func (m *metrics) dropScore(uid uint32) {
	m.score.DeleteLabelValues(strconv.FormatUint(uint64(uid), 10))
}
