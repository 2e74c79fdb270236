package keeper

import (
	"context"
	"math/big"
	"strconv"

	"cosmossdk.io/math"
	"github.com/cosmos/gogoproto/proto"
	"github.com/hashicorp/go-metrics"

	"github.com/cosmos/cosmos-sdk/telemetry"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// The node's metrics for x/subnet (types.MetricKey*). They report what a
// block did and never feed back into it: each helper takes only values its
// caller already holds, reads no store (a read would cost gas, and gas is
// consensus), and returns at once when telemetry is off. Messages run in
// simulation (gas estimation) are not counted.

// epochObserver holds the keeper's EpochObserver behind a pointer shared
// by every copy of the keeper, so one set after depinject built the module
// reaches the copies its services hold.
type epochObserver struct {
	o types.EpochObserver
}

// SetEpochObserver makes o see every epoch's start and end; nil removes it.
func (k Keeper) SetEpochObserver(o types.EpochObserver) {
	k.observer.o = o
}

func noEpochEnd(bool) {}

// epochStarted tells the observer, if any, that netuid's epoch starts.
func (k Keeper) epochStarted(netuid uint32) func(ok bool) {
	if k.observer == nil || k.observer.o == nil {
		return noEpochEnd
	}
	return k.observer.o.EpochStarted(netuid)
}

func netuidLabel(netuid uint32) metrics.Label {
	return telemetry.NewLabel(types.MetricLabelNetuid, strconv.FormatUint(uint64(netuid), 10))
}

// amountValue is x as a metric value (negative amounts as 0).
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

// counted reports whether a message's outcome should be counted.
func counted(ctx context.Context) bool {
	return telemetry.IsTelemetryEnabled() && sdk.UnwrapSDKContext(ctx).ExecMode() != sdk.ExecModeSimulate
}

func setNeuronsMetric(netuid, neurons uint32) {
	telemetry.SetGaugeWithLabels(types.MetricKeyNeurons, float32(neurons), []metrics.Label{netuidLabel(netuid)})
}

func setPendingMetric(netuid uint32, pending math.Int) {
	telemetry.SetGaugeWithLabels(types.MetricKeyPendingEmission, amountValue(pending), []metrics.Label{netuidLabel(netuid)})
}

// recordRegistration counts a registration; a registration that took a
// new UID (none replaced) makes the subnet's neuron count UID+1, as UIDs
// are allocated in order.
func recordRegistration(ctx context.Context, netuid uint32, res RegisterResult) {
	if !counted(ctx) {
		return
	}
	telemetry.IncrCounterWithLabels(types.MetricKeyRegistrations, 1, []metrics.Label{netuidLabel(netuid)})
	if res.Replaced == "" {
		setNeuronsMetric(netuid, res.UID+1)
	}
}

// recordWeightsTx counts a weight message of kind (types.MetricKind*) by
// whether it succeeded.
func recordWeightsTx(ctx context.Context, kind string, err error) {
	if !counted(ctx) {
		return
	}
	result := types.MetricResultOK
	if err != nil {
		result = types.MetricResultError
	}
	telemetry.IncrCounterWithLabels(types.MetricKeyWeightsTxs, 1, []metrics.Label{
		telemetry.NewLabel(types.MetricLabelKind, kind), telemetry.NewLabel(types.MetricLabelResult, result),
	})
}

// recordDissolved zeroes the gauges of a dissolved subnet.
func recordDissolved(ctx context.Context, netuid uint32) {
	if !counted(ctx) {
		return
	}
	setNeuronsMetric(netuid, 0)
	setPendingMetric(netuid, math.ZeroInt())
}

// recordPending sets the pending emission gauges after a block's mint.
func recordPending(pending []subnetShare) {
	for _, p := range pending {
		setPendingMetric(p.netuid, p.amount)
	}
}

// recordEpoch records a committed epoch from the events it emits:
// EventEpoch holds its neuron count, its emission and what stays pending.
func recordEpoch(netuid uint32, events []proto.Message) {
	if !telemetry.IsTelemetryEnabled() {
		return
	}
	telemetry.IncrCounterWithLabels(types.MetricKeyEpochs, 1, []metrics.Label{
		netuidLabel(netuid), telemetry.NewLabel(types.MetricLabelResult, types.MetricResultOK),
	})
	for _, ev := range events {
		e, ok := ev.(*types.EventEpoch)
		if !ok {
			continue
		}
		emission, okE := math.NewIntFromString(e.Emission)
		left, okL := math.NewIntFromString(e.Dust)
		if !okE || !okL {
			return
		}
		setNeuronsMetric(netuid, e.Neurons)
		setPendingMetric(netuid, left)
		if paid := emission.Sub(left); paid.IsPositive() {
			telemetry.IncrCounterWithLabels(types.MetricKeyPaidEmission, amountValue(paid), []metrics.Label{netuidLabel(netuid)})
		}
	}
}

// recordEpochFailed counts an epoch whose writes were dropped.
func recordEpochFailed(netuid uint32) {
	telemetry.IncrCounterWithLabels(types.MetricKeyEpochs, 1, []metrics.Label{
		netuidLabel(netuid), telemetry.NewLabel(types.MetricLabelResult, types.MetricResultFailed),
	})
}
