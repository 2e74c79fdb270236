package axon

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metricValue returns the value of a collector holding one counter or
// gauge, or the observation count of one histogram. It stands in for
// prometheus/testutil, whose dependencies are not in go.mod.
func metricValue(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 16)
	c.Collect(ch)
	close(ch)
	var total float64
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		switch {
		case pb.Counter != nil:
			total += pb.Counter.GetValue()
		case pb.Gauge != nil:
			total += pb.Gauge.GetValue()
		case pb.Histogram != nil:
			total += float64(pb.Histogram.GetSampleCount())
		}
	}
	return total
}
