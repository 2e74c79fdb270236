package e2e

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// scrapeConfig is the part of a Prometheus config the localnet writes.
type scrapeConfig struct {
	ScrapeConfigs []struct {
		JobName       string              `yaml:"job_name"`
		MetricsPath   string              `yaml:"metrics_path"`
		Params        map[string][]string `yaml:"params"`
		StaticConfigs []struct {
			Targets []string          `yaml:"targets"`
			Labels  map[string]string `yaml:"labels"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func (l *localnet) restURL() string { return fmt.Sprintf("http://127.0.0.1:%d", l.base+17) }

// scrapeTarget is one target of the config: its job, daemon label and URL.
type scrapeTarget struct{ job, daemon, url string }

// checkMonitoring checks what `localnet.sh up` set up for monitoring once the
// network has run epochs: prometheus.yml passes `promtool check config`,
// scrapes every daemon at the metrics address its config.yaml sets, every
// target answers as Prometheus would scrape it, and the node exports
// x/subnet's metrics with values that match the network.
func checkMonitoring(t *testing.T, l *localnet) {
	t.Helper()
	file := filepath.Join(l.home, "prometheus.yml")
	if out, err := exec.Command("promtool", "check", "config", file).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config %s (make deps installs promtool): %v\n%s", file, err, out)
	}
	targets := readScrapeConfig(t, file)
	byDaemon := map[string]scrapeTarget{}
	for _, tg := range targets {
		if tg.daemon != "" {
			byDaemon[tg.daemon] = tg
		}
		body := string(httpGet(t, tg.url))
		if !strings.Contains(body, "# TYPE ") {
			t.Errorf("%s (%s %s) answered no Prometheus metrics", tg.url, tg.job, tg.daemon)
		}
	}
	for _, name := range append(append(append([]string{}, miners...), validators...), "gateway") {
		cfg, err := os.ReadFile(filepath.Join(l.home, "neurons", name, "config.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		tg, ok := byDaemon[name]
		if !ok {
			t.Errorf("prometheus.yml does not scrape %s", name)
			continue
		}
		host := strings.TrimSuffix(strings.TrimPrefix(tg.url, "http://"), "/metrics")
		if !strings.Contains(string(cfg), "metrics_listen_address: "+host+"\n") {
			t.Errorf("prometheus.yml scrapes %s at %s, not at its metrics_listen_address:\n%s", name, host, cfg)
		}
	}

	node := parseSamples(t, httpGet(t, l.restURL()+"/metrics?format=prometheus"))
	chainID := `chain_id="tensorcosm-local"`
	netuid1 := `netuid="1"`
	wantAtLeast := []struct {
		name   string
		labels []string
		min    float64
	}{
		{"subnet_neurons", []string{chainID, netuid1}, float64(len(miners) + len(validators))},
		{"subnet_registrations_total", []string{netuid1}, float64(len(miners) + len(validators))},
		{"subnet_weights_txs_total", []string{`kind="commit"`, `result="ok"`}, 1},
		{"subnet_weights_txs_total", []string{`kind="reveal"`, `result="ok"`}, 1},
		{"subnet_epochs_total", []string{netuid1, `result="ok"`}, 3},
		{"subnet_paid_emission_total", []string{netuid1}, 1},
		{"subnet_pending_emission", []string{netuid1}, 0},
		{"subnet_epoch_duration_ms_count", nil, 3},
		{"subnet_epoch_last_duration_ms", []string{netuid1}, 0},
	}
	for _, w := range wantAtLeast {
		v, ok := findSample(node, w.name, w.labels...)
		if !ok || v < w.min {
			t.Errorf("node metric %s%v = %v (found %v), want >= %v", w.name, w.labels, v, ok, w.min)
		}
	}
	if v, _ := findSample(node, "subnet_neurons", netuid1); v != float64(len(miners)+len(validators)) {
		t.Errorf("subnet_neurons{netuid=1} = %v, want %d", v, len(miners)+len(validators))
	}
	epochs, _ := findSample(node, "subnet_epochs_total", netuid1, `result="ok"`)
	paid, _ := findSample(node, "subnet_paid_emission_total", netuid1)
	commits, _ := findSample(node, "subnet_weights_txs_total", `kind="commit"`, `result="ok"`)
	t.Logf("monitoring: %d scrape targets answered; node: %v epochs, %v commits, %v utensor paid", len(targets), epochs, commits, paid)
}

// readScrapeConfig returns every target of the Prometheus config in file.
func readScrapeConfig(t *testing.T, file string) []scrapeTarget {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("localnet.sh up wrote no Prometheus config: %v", err)
	}
	var cfg scrapeConfig
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	var out []scrapeTarget
	for _, sc := range cfg.ScrapeConfigs {
		path := sc.MetricsPath
		if path == "" {
			path = "/metrics"
		}
		query := ""
		if len(sc.Params) > 0 {
			query = "?" + url.Values(sc.Params).Encode()
		}
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				out = append(out, scrapeTarget{job: sc.JobName, daemon: st.Labels["daemon"], url: "http://" + target + path + query})
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no targets", file)
	}
	return out
}

// parseSamples reads Prometheus text into `name{labels}` -> value.
func parseSamples(t *testing.T, body []byte) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// findSample returns the sample of metric name whose labels include every
// one of labels (`key="value"`).
func findSample(samples map[string]float64, name string, labels ...string) (float64, bool) {
	for k, v := range samples {
		if k != name && !strings.HasPrefix(k, name+"{") {
			continue
		}
		all := true
		for _, l := range labels {
			all = all && strings.Contains(k, l)
		}
		if all {
			return v, true
		}
	}
	return 0, false
}
