package main

import (
	"bufio"
	"bytes"
	"math"
	"strings"
	"testing"
)

// sample is two rounds of the benchmarks, as go test prints them, with noise lines.
const sample = `goos: linux
pkg: github.com/tensorcosm/tensorcosm/x/subnet/yuma
BenchmarkEngine/n=4096_v=256_dense/fixed         	      20	  40000000 ns/op	29368570 B/op	      68 allocs/op
BenchmarkEngine/n=4096_v=256_dense/float64       	       3	 200000000 ns/op	269012928 B/op	      29 allocs/op
BenchmarkEpoch-2   	      12	  90000000 ns/op
BenchmarkAxonRoundTrip/tls=off/batch=1-2   	    5000	    230000 ns/op	       250.0 overhead-p50-us	       230.0 p50-us
BenchmarkLoadWeights 1 0 ns/op 650 tx/s
BenchmarkGatewayLatency/added-2         	    3601	    757369 ns/op	       250.9 added-p50-us	       181.2 direct-p50-us	       432.1 gateway-p50-us
BenchmarkGatewayLatency/added-2         	    3458	    777392 ns/op	       270.9 added-p50-us	       183.1 direct-p50-us	       447.9 gateway-p50-us
BenchmarkGatewayLatency/inline/back-to-back-2         	     445	   5524520 ns/op	      5455 gateway-p50-us
PASS
BenchmarkEngine/n=4096_v=256_dense/fixed         	      20	  90000000 ns/op
BenchmarkEngine/n=4096_v=256_dense/float64       	       3	 300000000 ns/op
BenchmarkEpoch-2   	      12	  70000000 ns/op
BenchmarkEpoch-2   	      12	  130000000 ns/op
BenchmarkAxonRoundTrip/tls=off/batch=1-2   	    5000	    230000 ns/op	       210.0 overhead-p50-us	       230.0 p50-us
ok  	github.com/tensorcosm/tensorcosm/x/subnet/yuma	10.309s
`

func parse(t *testing.T, s string) Results {
	t.Helper()
	r, err := Parse(bufio.NewScanner(strings.NewReader(s)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func row(t *testing.T, rows []Row, prefix string) Row {
	t.Helper()
	for _, r := range rows {
		if strings.HasPrefix(r.Name, prefix) {
			return r
		}
	}
	t.Fatalf("no row %q", prefix)
	return Row{}
}

func TestParse(t *testing.T) {
	r := parse(t, sample)
	if got := r["BenchmarkEpoch"]["ns/op"]; len(got) != 3 || got[0] != 9e7 {
		t.Fatalf("BenchmarkEpoch (GOMAXPROCS suffix dropped) = %v", got)
	}
	if got := r["BenchmarkAxonRoundTrip/tls=off/batch=1"]["overhead-p50-us"]; len(got) != 2 || got[1] != 210 {
		t.Fatalf("custom metric = %v", got)
	}
	if _, err := Parse(bufio.NewScanner(strings.NewReader("BenchmarkX 1 abc ns/op\n"))); err == nil {
		t.Fatal("a malformed value parsed")
	}
}

func TestRows(t *testing.T) {
	rows := Rows(parse(t, sample))
	// Per-round ratios 0.2 and 0.3: median 0.25, exactly the 0.25x target.
	y := row(t, rows, "Yuma engine / plain float64, 4096x256")
	if math.Abs(y.Ratio-1) > 1e-12 || !y.Met() || y.Rounds != 2 || !strings.HasPrefix(y.Figure, "0.250x") {
		t.Fatalf("yuma row %+v", y)
	}
	if r := row(t, rows, "Yuma engine / plain float64, 256x64"); r.Figure != "missing" || !math.IsNaN(r.Ratio) {
		t.Fatalf("absent shape %+v", r)
	}
	// Medians: epoch 90 ms of 100 (met), axon 230 us of 50 (not met), 650 tx/s of 300.
	if r := row(t, rows, "whole EndBlocker epoch"); math.Abs(r.Ratio-0.9) > 1e-12 || !r.Met() {
		t.Fatalf("epoch row %+v", r)
	}
	if r := row(t, rows, "axon overhead p50, batch 1"); math.Abs(r.Ratio-4.6) > 1e-12 || r.Met() {
		t.Fatalf("axon row %+v", r)
	}
	if r := row(t, rows, "weights tx/s"); math.Abs(r.Ratio-650.0/300) > 1e-12 || !r.Met() {
		t.Fatalf("weights row %+v", r)
	}
	if r := row(t, rows, "gateway added latency"); r.Figure != "261 us" || r.Rounds != 2 || !math.IsNaN(r.Ratio) || r.Target != "-" {
		t.Fatalf("gateway row %+v", r)
	}
	if r := row(t, rows, "gateway answer p50, receipt inline, back to back"); r.Figure != "5.46 ms" {
		t.Fatalf("gateway inline row %+v", r)
	}
	var b bytes.Buffer
	if err := Print(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"figure/target", "0.250x (65.00 / 250.00 ms)", "261 us", "650 tx/s", "missing"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got := Median(c.xs); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.want)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}
