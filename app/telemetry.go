package app

import (
	"strconv"
	"time"

	"github.com/hashicorp/go-metrics"

	"github.com/cosmos/cosmos-sdk/telemetry"

	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// EpochTimer times x/subnet's epochs with the wall clock for the node's
// telemetry (subnet_epoch_duration_ms and subnet_epoch_last_duration_ms):
// the state machine never reads a clock, so the app measures from outside.
// With telemetry off it reads no clock at all.
type EpochTimer struct{}

var _ subnettypes.EpochObserver = EpochTimer{}

func epochNotTimed(bool) {}

// EpochStarted implements subnettypes.EpochObserver.
func (EpochTimer) EpochStarted(netuid uint32) func(ok bool) {
	if !telemetry.IsTelemetryEnabled() {
		return epochNotTimed
	}
	start := time.Now()
	return func(bool) {
		telemetry.MeasureSince(start, subnettypes.MetricKeyEpochDuration...)
		ms := float32(time.Since(start).Nanoseconds()) / float32(time.Millisecond)
		telemetry.SetGaugeWithLabels(subnettypes.MetricKeyEpochLastDuration, ms, []metrics.Label{
			telemetry.NewLabel(subnettypes.MetricLabelNetuid, strconv.FormatUint(uint64(netuid), 10)),
		})
	}
}
