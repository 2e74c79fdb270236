// Package subnetmetrics sends x/subnet's metrics (the keys in
// x/subnet/types) to the node's telemetry. It holds the float conversions
// go-metrics needs, so that x/, the state machine, has none: the keeper
// passes the integers it already holds, and nothing here reads or writes
// chain state. Every function does nothing while telemetry is off.
package subnetmetrics

import (
	"math/big"
	"strconv"

	"cosmossdk.io/math"
	"github.com/hashicorp/go-metrics"

	"github.com/cosmos/cosmos-sdk/telemetry"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Enabled reports whether the node's telemetry is on.
func Enabled() bool { return telemetry.IsTelemetryEnabled() }

func netuidLabel(netuid uint32) metrics.Label {
	return telemetry.NewLabel(types.MetricLabelNetuid, strconv.FormatUint(uint64(netuid), 10))
}

// amountValue is x as a metric value (negative amounts as 0): float32,
// about seven significant digits.
func amountValue(x math.Int) float32 {
	if !x.IsPositive() {
		return 0
	}
	if x.IsUint64() {
		return float32(x.Uint64())
	}
	f, _ := new(big.Float).SetInt(x.BigInt()).Float32()
	return f
}

// Neurons sets a subnet's neuron gauge.
func Neurons(netuid, neurons uint32) {
	telemetry.SetGaugeWithLabels(types.MetricKeyNeurons, float32(neurons), []metrics.Label{netuidLabel(netuid)})
}

// Pending sets a subnet's pending emission gauge.
func Pending(netuid uint32, pending math.Int) {
	telemetry.SetGaugeWithLabels(types.MetricKeyPendingEmission, amountValue(pending), []metrics.Label{netuidLabel(netuid)})
}

// Paid adds to a subnet's paid emission counter.
func Paid(netuid uint32, paid math.Int) {
	telemetry.IncrCounterWithLabels(types.MetricKeyPaidEmission, amountValue(paid), []metrics.Label{netuidLabel(netuid)})
}

// Registration counts one registration on a subnet.
func Registration(netuid uint32) {
	telemetry.IncrCounterWithLabels(types.MetricKeyRegistrations, 1, []metrics.Label{netuidLabel(netuid)})
}

// WeightsTx counts one weight message of kind by result
// (types.MetricKind*, types.MetricResult*).
func WeightsTx(kind, result string) {
	telemetry.IncrCounterWithLabels(types.MetricKeyWeightsTxs, 1, []metrics.Label{
		telemetry.NewLabel(types.MetricLabelKind, kind), telemetry.NewLabel(types.MetricLabelResult, result),
	})
}

// Epoch counts one epoch of a subnet by result (types.MetricResult*).
func Epoch(netuid uint32, result string) {
	telemetry.IncrCounterWithLabels(types.MetricKeyEpochs, 1, []metrics.Label{
		netuidLabel(netuid), telemetry.NewLabel(types.MetricLabelResult, result),
	})
}
