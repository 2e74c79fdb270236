package types

// Metric keys of x/subnet's telemetry (github.com/hashicorp/go-metrics
// through the SDK's telemetry package, on when app.toml's [telemetry]
// enabled is true). The Prometheus sink joins a key's parts with "_", so
// MetricKeyNeurons is served as subnet_neurons on the node's
// /metrics?format=prometheus (with telemetry.service-name set, that name is
// prefixed to every key). Amounts are in the module's denom (utensor) as
// go-metrics values (internal/subnetmetrics converts them, outside x/): about
// seven significant digits, enough to watch, not to audit.
var (
	// MetricKeyNeurons is a gauge: the UIDs in use in a subnet (netuid),
	// set at each registration that adds a UID and at each epoch.
	MetricKeyNeurons = []string{ModuleName, "neurons"}
	// MetricKeyPendingEmission is a gauge: a subnet's (netuid) minted
	// emission waiting for its epoch, set each block it grows and after
	// each epoch.
	MetricKeyPendingEmission = []string{ModuleName, "pending_emission"}
	// MetricKeyPaidEmission is a counter: pending emission a subnet's
	// (netuid) epochs paid out (owner cut, miners, validators and stakers).
	MetricKeyPaidEmission = []string{ModuleName, "paid_emission_total"}
	// MetricKeyRegistrations is a counter: successful registrations by
	// subnet (netuid).
	MetricKeyRegistrations = []string{ModuleName, "registrations_total"}
	// MetricKeyWeightsTxs is a counter: weight messages handled, by kind
	// (set, commit, reveal) and result (ok, error).
	MetricKeyWeightsTxs = []string{ModuleName, "weights_txs_total"}
	// MetricKeyEpochs is a counter: epochs run by subnet (netuid) and
	// result (ok, or failed: the epoch's writes were dropped).
	MetricKeyEpochs = []string{ModuleName, "epochs_total"}
	// MetricKeyEpochDuration is a summary of the wall-clock time epochs
	// take, in milliseconds; the app measures it (EpochObserver).
	MetricKeyEpochDuration = []string{ModuleName, "epoch_duration_ms"}
	// MetricKeyEpochLastDuration is a gauge: the wall-clock time of a
	// subnet's (netuid) last epoch, in milliseconds.
	MetricKeyEpochLastDuration = []string{ModuleName, "epoch_last_duration_ms"}
)

// Metric label names and values.
const (
	MetricLabelNetuid = "netuid"
	MetricLabelKind   = "kind"
	MetricLabelResult = "result"

	MetricResultOK     = "ok"
	MetricResultError  = "error"
	MetricResultFailed = "failed"

	MetricKindSet    = "set"
	MetricKindCommit = "commit"
	MetricKindReveal = "reveal"
)

// EpochObserver watches epochs from outside the state machine: the app
// times them with the wall clock, which x/subnet never reads. The keeper
// calls EpochStarted before a subnet's epoch work and the function it
// returns once the work is committed (ok) or dropped (!ok). An observer
// must not read or write chain state.
type EpochObserver interface {
	EpochStarted(netuid uint32) (ended func(ok bool))
}
