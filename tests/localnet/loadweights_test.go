package localnet

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/internal/loadgen"
)

// TestLoadWeightsScript runs scripts/load-weights.sh briefly on a localnet
// of its own: every weight message type is sent, accepted and included
// without a failure, the report carries the figures, and the script stops
// the node and deletes the home it created.
func TestLoadWeightsScript(t *testing.T) {
	base := freePortBase(t)
	home := filepath.Join(t.TempDir(), "load")
	reportFile := filepath.Join(t.TempDir(), "report.json")
	out, err := script(t, []string{
		"LOCALNET_HOME=" + home, fmt.Sprintf("LOCALNET_PORT_BASE=%d", base), "LOAD_JSON=" + reportFile,
	}, "load-weights.sh", "--duration", "15s", "--subnets", "2", "--commit-reveal-subnets", "1",
		"--validators", "4", "--tempo", "4", "--row", "4")
	if err != nil {
		t.Fatalf("load-weights.sh: %v\n%s", err, out)
	}
	bz, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatalf("no JSON report: %v\n%s", err, out)
	}
	var r loadgen.Report
	if err := json.Unmarshal(bz, &r); err != nil {
		t.Fatal(err)
	}
	if r.Validators != 8 || r.Sent == 0 || r.Rejected != 0 || r.Lost != 0 {
		t.Errorf("validators %d, sent %d, rejected %d, lost %d", r.Validators, r.Sent, r.Rejected, r.Lost)
	}
	if r.Included == 0 || r.Included != r.IncludedOK || len(r.DeliverTxFailures) != 0 {
		t.Errorf("included %d, succeeded %d, failures %v", r.Included, r.IncludedOK, r.DeliverTxFailures)
	}
	for _, kind := range []string{"MsgSetWeights", "MsgCommitWeights", "MsgRevealWeights"} {
		if r.IncludedByType[kind].OK == 0 {
			t.Errorf("no %s included: %v", kind, r.IncludedByType)
		}
	}
	if r.SustainedTxPerSecond <= 0 || r.BlockTimeMedianSeconds <= 0 || r.CPU.Node <= 0 {
		t.Errorf("sustained %.1f tx/s, median block time %.3f s, node CPU %.2f", r.SustainedTxPerSecond, r.BlockTimeMedianSeconds, r.CPU.Node)
	}
	if !strings.Contains(out, "sustained") || !strings.Contains(out, "included tx/s") {
		t.Errorf("no summary in the output:\n%s", out)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Errorf("the script left its localnet home behind (stat: %v)", err)
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", base+57)); err == nil {
		c.Close()
		t.Errorf("something still listens on the localnet's RPC port %d", base+57)
	}
}
