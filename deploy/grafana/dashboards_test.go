package grafana

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// dashboards are the files the README lists; the test fails on a missing
// one and on an extra one it does not check.
var dashboards = []string{"chain.json", "gateway.json", "miners.json", "validators.json"}

// TestDashboardQueriesUseExportedMetrics parses every dashboard and checks
// each query (panel targets and template variables) names only metrics the
// code exports, and that every tensorcosm_* and subnet_* metric the code
// exports appears on some dashboard.
func TestDashboardQueriesUseExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	files, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if !slices.Equal(files, dashboards) {
		t.Fatalf("dashboards in deploy/grafana: %v, want %v", files, dashboards)
	}
	used := map[string]bool{}
	for _, file := range files {
		for _, q := range readDashboard(t, file) {
			names := metricNames(q.expr)
			if len(names) == 0 {
				t.Errorf("%s, %s: query %q names no metric", file, q.where, q.expr)
			}
			for _, name := range names {
				base, ok := exported.lookup(name)
				if !ok {
					t.Errorf("%s, %s: %s is not a metric the code exports (query %q)", file, q.where, name, q.expr)
				}
				used[base] = true
			}
		}
	}
	for name := range exported.names {
		if (strings.HasPrefix(name, "tensorcosm_") || strings.HasPrefix(name, "subnet_")) && !used[name] {
			t.Errorf("%s is exported but on no dashboard", name)
		}
	}
}

// query is one PromQL expression of a dashboard and where it sits.
type query struct{ where, expr string }

// labelValues matches a template variable's label_values(SELECTOR, LABEL).
var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$`)

// readDashboard returns every query of a dashboard file and checks the
// parts a Grafana import needs: a uid, a title and a Prometheus datasource
// variable every panel uses.
func readDashboard(t *testing.T, file string) []query {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("%s: uid %q, title %q: both are needed", file, d.UID, d.Title)
	}
	var out []query
	hasDatasource := false
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			hasDatasource = hasDatasource || (v.Name == "datasource" && v.Query == "prometheus")
		case "query":
			q, _ := v.Query.(map[string]any)
			s, _ := q["query"].(string)
			m := labelValues.FindStringSubmatch(s)
			if m == nil {
				t.Errorf("%s: variable %s: query %q is not label_values(SELECTOR, LABEL)", file, v.Name, s)
				continue
			}
			out = append(out, query{"variable " + v.Name, m[1]})
		}
	}
	if !hasDatasource {
		t.Errorf("%s: no Prometheus datasource variable named datasource", file)
	}
	for _, p := range flatten(d.Panels) {
		if len(p.Targets) > 0 && p.Datasource.UID != "${datasource}" {
			t.Errorf("%s, panel %q: datasource %q, want ${datasource}", file, p.Title, p.Datasource.UID)
		}
		for _, tg := range p.Targets {
			out = append(out, query{"panel " + p.Title, tg.Expr})
		}
	}
	if len(out) == 0 {
		t.Errorf("%s has no queries", file)
	}
	return out
}

// panel is the part of a Grafana panel the test reads.
type panel struct {
	Title      string `json:"title"`
	Datasource struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's panels
}

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promVariable = regexp.MustCompile(`\$\{?\w+\}?`)
	promBraces   = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promNumber   = regexp.MustCompile(`\b\d[\w.]*`) // numbers and durations
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true}
)

// metricNames returns the metric names a PromQL expression selects: its
// identifiers less function and aggregation names (followed by "("),
// keywords, label matchers, ranges, grouping labels, strings, numbers and
// Grafana variables.
func metricNames(expr string) []string {
	s := promString.ReplaceAllString(expr, `""`)
	s = promVariable.ReplaceAllString(s, " ")
	s = promBraces.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	s = promNumber.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if promKeywords[strings.ToLower(name)] || strings.HasPrefix(rest, "(") {
			continue
		}
		out = append(out, name)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{`up`, "up"},
		{`sum by (daemon, le) (rate(a_seconds_bucket{job="x",daemon=~"$daemon"}[$__rate_interval]))`, "a_seconds_bucket"},
		{`histogram_quantile(0.99, sum by (le) (rate(b_bucket[5m])))`, "b_bucket"},
		{`rate(c_sum[1m]) / rate(c_count[1m]) * 1e3`, "c_sum c_count"},
		{`d{l="rate(x)"} and on (i) e offset 5m`, "d e"},
		{`max(f) > bool 2`, "f"},
	} {
		if got := strings.Join(metricNames(tc.expr), " "); got != tc.want {
			t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// exported is the set of metric names the code exports.
type exported struct {
	// names maps a metric family's name to its type (dto.MetricType), or
	// -1 when only its descriptor is known (a vector with no sample yet).
	names map[string]int32
}

// lookup returns the family a sample name belongs to: the name itself, or
// for X_bucket, X_sum and X_count the histogram or summary X (any family
// known only by its descriptor may be one).
func (e exported) lookup(name string) (string, bool) {
	if _, ok := e.names[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		typ, ok := e.names[base]
		switch {
		case !ok:
		case typ == -1, typ == int32(dto.MetricType_HISTOGRAM):
			return base, true
		case typ == int32(dto.MetricType_SUMMARY) && suffix != "_bucket":
			return base, true
		}
	}
	return "", false
}

func (e exported) addDesc(d *prometheus.Desc) {
	if m := fqName.FindStringSubmatch(d.String()); m != nil {
		if _, ok := e.names[m[1]]; !ok {
			e.names[m[1]] = -1
		}
	}
}

func (e exported) addGathered(t *testing.T, g prometheus.Gatherer) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		e.names[mf.GetName()] = int32(mf.GetType())
	}
}

// fqName reads a descriptor's name from its String(): client_golang has
// no getter for it.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// descRecorder is a prometheus.Registerer that keeps the descriptors of
// what is registered on it.
type descRecorder struct{ e exported }

func (r descRecorder) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	for d := range ch {
		r.e.addDesc(d)
	}
	return nil
}

func (r descRecorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (descRecorder) Unregister(prometheus.Collector) bool { return false }

// cometBFTMetrics records CometBFT's metrics as a node with instrumentation
// on builds them: its go-kit collectors register on Prometheus's default
// registerer, replaced by a recorder for the call.
func cometBFTMetrics(e exported) {
	saved := prometheus.DefaultRegisterer
	prometheus.DefaultRegisterer = descRecorder{e}
	defer func() { prometheus.DefaultRegisterer = saved }()
	cfg := cmtcfg.DefaultInstrumentationConfig()
	cfg.Prometheus = true
	cmtnode.DefaultMetricsProvider(cfg)("test-chain")
}
