package keeper

import (
	"context"

	"cosmossdk.io/math"
	"github.com/cosmos/gogoproto/proto"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/tensorcosm/tensorcosm/internal/subnetmetrics"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// The node's metrics for x/subnet (types.MetricKey*). They report what a
// block did and never feed back into it: each helper takes only values its
// caller already holds, reads no store (a read would cost gas, and gas is
// consensus), and returns at once when telemetry is off. Messages run in
// simulation (gas estimation) are not counted. internal/subnetmetrics
// turns the integers into go-metrics' float32 values, outside x/.

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

// counted reports whether a message's outcome should be counted.
func counted(ctx context.Context) bool {
	return subnetmetrics.Enabled() && sdk.UnwrapSDKContext(ctx).ExecMode() != sdk.ExecModeSimulate
}

// recordRegistration counts a registration; a registration that took a
// new UID (none replaced) makes the subnet's neuron count UID+1, as UIDs
// are allocated in order.
func recordRegistration(ctx context.Context, netuid uint32, res RegisterResult) {
	if !counted(ctx) {
		return
	}
	subnetmetrics.Registration(netuid)
	if res.Replaced == "" {
		subnetmetrics.Neurons(netuid, res.UID+1)
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
	subnetmetrics.WeightsTx(kind, result)
}

// recordDissolved zeroes the gauges of a dissolved subnet.
func recordDissolved(ctx context.Context, netuid uint32) {
	if !counted(ctx) {
		return
	}
	subnetmetrics.Neurons(netuid, 0)
	subnetmetrics.Pending(netuid, math.ZeroInt())
}

// recordPending sets the pending emission gauges after a block's mint.
func recordPending(pending []subnetShare) {
	for _, p := range pending {
		subnetmetrics.Pending(p.netuid, p.amount)
	}
}

// recordEpoch records a committed epoch from the events it emits:
// EventEpoch holds its neuron count, its emission and what stays pending.
func recordEpoch(netuid uint32, events []proto.Message) {
	if !subnetmetrics.Enabled() {
		return
	}
	subnetmetrics.Epoch(netuid, types.MetricResultOK)
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
		subnetmetrics.Neurons(netuid, e.Neurons)
		subnetmetrics.Pending(netuid, left)
		if paid := emission.Sub(left); paid.IsPositive() {
			subnetmetrics.Paid(netuid, paid)
		}
	}
}

// recordEpochFailed counts an epoch whose writes were dropped.
func recordEpochFailed(netuid uint32) {
	subnetmetrics.Epoch(netuid, types.MetricResultFailed)
}
