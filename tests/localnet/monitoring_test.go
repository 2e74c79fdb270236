package localnet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// promConfig is the part of a Prometheus config the localnet writes.
type promConfig struct {
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

// TestPrometheusConfig generates the scrape config as `localnet.sh up`
// does (`localnet.sh prometheus-config`), checks it with promtool (Debian's
// prometheus package, installed by scripts/ci-deps.sh) and checks it
// scrapes the node's two listeners and the metrics address of every daemon
// at the ports localnet.sh documents.
func TestPrometheusConfig(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found (make deps installs it through scripts/ci-deps.sh): %v", err)
	}
	const base = 31000
	env := []string{"LOCALNET_HOME=" + filepath.Join(t.TempDir(), "node"), "LOCALNET_PORT_BASE=" + strconv.Itoa(base)}
	out, err := scriptStdout(t, env, "localnet.sh", "prometheus-config")
	if err != nil {
		t.Fatalf("localnet.sh prometheus-config: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(file, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := exec.Command(promtool, "check", "config", file).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s\nconfig:\n%s", err, res, out)
	}
	var cfg promConfig
	if err := yaml.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{} // target -> job/daemon path query
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				got[target] = fmt.Sprintf("%s %s %s%v", sc.JobName, st.Labels["daemon"], sc.MetricsPath, sc.Params["format"])
			}
		}
	}
	want := map[string]string{
		addr(base + 17):  "tensorcosmd  /metrics[prometheus]",
		addr(base + 60):  "cometbft  /metrics[]",
		addr(base + 210): "tensorcosm-miner miner-strong []",
		addr(base + 211): "tensorcosm-miner miner-medium []",
		addr(base + 212): "tensorcosm-miner miner-untrained []",
		addr(base + 220): "tensorcosm-validator validator-1 []",
		addr(base + 221): "tensorcosm-validator validator-2 []",
		addr(base + 213): "tensorcosm-miner miner-ppocr []",
		addr(base + 214): "tensorcosm-miner miner-baseline []",
		addr(base + 222): "tensorcosm-validator validator-1-textline []",
		addr(base + 223): "tensorcosm-validator validator-2-textline []",
		addr(base + 101): "tensorcosm-gateway gateway []",
	}
	for target, w := range want {
		if got[target] != w {
			t.Errorf("target %s: got %q, want %q", target, got[target], w)
		}
	}
	for target := range got {
		if _, ok := want[target]; !ok {
			t.Errorf("unexpected target %s (%s)", target, got[target])
		}
	}
	jobs := []string{}
	for _, sc := range cfg.ScrapeConfigs {
		jobs = append(jobs, sc.JobName)
	}
	if !slices.Equal(jobs, []string{"tensorcosmd", "cometbft", "tensorcosm-miner", "tensorcosm-validator", "tensorcosm-gateway"}) {
		t.Errorf("jobs %v", jobs)
	}
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// scriptStdout runs a repo script and returns its stdout alone (its log
// goes to stderr), with stderr appended when it fails.
func scriptStdout(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", name), args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), append([]string{"TENSORCOSMD=" + binary}, env...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}
