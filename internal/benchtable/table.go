package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Results holds every value read, by benchmark name (without the -N GOMAXPROCS
// suffix) and unit ("ns/op", "p50-us", ...), in the order the rounds printed them.
type Results map[string]map[string][]float64

// Parse reads `go test -bench` result lines; other lines are skipped. A result line is
// the name, the iteration count, then value-unit pairs.
func Parse(s *bufio.Scanner) (Results, error) {
	r := Results{}
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := trimProcs(f[0])
		for k := 2; k+1 < len(f); k += 2 {
			v, err := strconv.ParseFloat(f[k], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: value %q: %w", name, f[k], err)
			}
			if r[name] == nil {
				r[name] = map[string][]float64{}
			}
			r[name][f[k+1]] = append(r[name][f[k+1]], v)
		}
	}
	return r, s.Err()
}

// trimProcs drops the -N suffix go test adds for GOMAXPROCS > 1.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// Median returns the median of xs (NaN if empty).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Row is one line of the table: the figure, its target and figure / target. Ratio is
// NaN where there is nothing to compare (no figure, or no target).
type Row struct {
	Name, Figure, Target string
	Ratio                float64
	Rounds               int
	// AtLeast marks a figure that must reach its target (a rate); the others must
	// stay at or under it.
	AtLeast bool
}

// Met reports whether the figure meets its target; false when there is no ratio.
func (r Row) Met() bool {
	if r.AtLeast {
		return r.Ratio >= 1
	}
	return r.Ratio <= 1
}

// yumaSizes are the subnet shapes of the Yuma rows, with the ratio each must reach:
// issue 3's 0.5x everywhere, issue 20's 0.25x at the largest.
var yumaSizes = []struct {
	shape  string
	target float64
}{{"n=256_v=64", 0.5}, {"n=1024_v=128", 0.5}, {"n=4096_v=256", 0.25}}

// Rows builds the table from the results.
func Rows(r Results) []Row {
	var rows []Row
	for _, s := range yumaSizes {
		rows = append(rows, yumaRow(r, s.shape, s.target))
	}
	rows = append(rows,
		timeRow(r, "Yuma engine 4096x256 dense, one core", "BenchmarkEngine/n=4096_v=256_dense/fixed", "ns/op", 1e6, "ms", 50),
		timeRow(r, "whole EndBlocker epoch, 4096 UIDs x 256 validators", "BenchmarkEpoch", "ns/op", 1e6, "ms", 100),
		timeRow(r, "metagraph query, 4096 neurons, gRPC on loopback", "BenchmarkMetagraphGRPC", "ms/query", 1, "ms", 50),
		rateRow(r, "weights tx/s included, 1 s blocks (localnet)", "BenchmarkLoadWeights", "tx/s", 300),
		timeRow(r, "axon overhead p50, batch 1", "BenchmarkAxonRoundTrip/tls=off/batch=1", "overhead-p50-us", 1, "us", 50),
		timeRow(r, "axon overhead p50, batch 64", "BenchmarkAxonRoundTrip/tls=off/batch=64", "overhead-p50-us", 1, "us", 50),
		timeRow(r, "axon overhead p50, batch 1, TLS", "BenchmarkAxonRoundTrip/tls=on/batch=1", "overhead-p50-us", 1, "us", 50),
		timeRow(r, "axon overhead p50, batch 64, TLS", "BenchmarkAxonRoundTrip/tls=on/batch=64", "overhead-p50-us", 1, "us", 50),
		figureRow(r, "gateway added latency p50, receipt by URL", "BenchmarkGatewayLatency/added", "added-p50-us", 1, "us"),
		figureRow(r, "gateway answer p50, receipt inline, after idle", "BenchmarkGatewayLatency/inline/after-idle", "gateway-p50-us", 1e3, "ms"),
		figureRow(r, "gateway answer p50, receipt inline, back to back", "BenchmarkGatewayLatency/inline/back-to-back", "gateway-p50-us", 1e3, "ms"),
	)
	return rows
}

// yumaRow is the engine's time over the reference's at one shape: the median of the
// ratios of the rounds, each round timing both back to back.
func yumaRow(r Results, shape string, target float64) Row {
	name := "BenchmarkEngine/" + shape + "_dense/"
	fixed, ref := r[name+"fixed"]["ns/op"], r[name+"float64"]["ns/op"]
	row := Row{
		Name:   fmt.Sprintf("Yuma engine / plain float64, %s dense", strings.NewReplacer("n=", "", "_v=", "x").Replace(shape)),
		Target: fmt.Sprintf("<= %gx", target),
		Ratio:  math.NaN(),
	}
	n := min(len(fixed), len(ref))
	if n == 0 {
		row.Figure = "missing"
		return row
	}
	ratios := make([]float64, n)
	for k := range n {
		ratios[k] = fixed[k] / ref[k]
	}
	m := Median(ratios)
	row.Figure = fmt.Sprintf("%.3fx (%s / %s ms)", m, ms(Median(fixed[:n])), ms(Median(ref[:n])))
	row.Ratio, row.Rounds = m/target, n
	return row
}

func ms(ns float64) string { return strconv.FormatFloat(ns/1e6, 'f', 2, 64) }

// timeRow is a figure where lower is better, at most target (in the figure's unit).
func timeRow(r Results, label, bench, unit string, scale float64, shown string, target float64) Row {
	xs := r[bench][unit]
	row := Row{Name: label, Target: fmt.Sprintf("<= %g %s", target, shown), Ratio: math.NaN(), Rounds: len(xs)}
	if len(xs) == 0 {
		row.Figure = "missing"
		return row
	}
	m := Median(xs) / scale
	row.Figure = fmt.Sprintf("%.3g %s", m, shown)
	row.Ratio = m / target
	return row
}

// figureRow is a timeRow no issue has set a target for.
func figureRow(r Results, label, bench, unit string, scale float64, shown string) Row {
	row := timeRow(r, label, bench, unit, scale, shown, math.NaN())
	row.Target, row.Ratio = "-", math.NaN()
	return row
}

// rateRow is a figure where higher is better, at least target.
func rateRow(r Results, label, bench, unit string, target float64) Row {
	xs := r[bench][unit]
	row := Row{Name: label, Target: fmt.Sprintf(">= %g %s", target, unit), Ratio: math.NaN(), Rounds: len(xs), AtLeast: true}
	if len(xs) == 0 {
		row.Figure = "missing"
		return row
	}
	m := Median(xs)
	row.Figure = fmt.Sprintf("%.0f %s", m, unit)
	row.Ratio = m / target
	return row
}

// Print writes the rows as an aligned table. The ratio column is figure / target:
// at most 1 meets a "<=" target, at least 1 meets a ">=" one.
func Print(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tfigure (median)\ttarget\tfigure/target\tmet\trounds")
	for _, r := range rows {
		ratio, met := "-", "-"
		if !math.IsNaN(r.Ratio) {
			ratio = strconv.FormatFloat(r.Ratio, 'f', 2, 64)
			met = "no"
			if r.Met() {
				met = "yes"
			}
		}
		rounds := "-"
		if r.Rounds > 0 {
			rounds = strconv.Itoa(r.Rounds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Figure, r.Target, ratio, met, rounds)
	}
	return tw.Flush()
}
