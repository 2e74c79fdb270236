package localnet

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestMultinodeSurvivesAndCatchesUp runs scripts/multinode.sh 4: all nodes
// reach height 5, the network keeps making blocks with one node down, and
// the restarted node catches up with the others.
func TestMultinodeSurvivesAndCatchesUp(t *testing.T) {
	base := freePortBase(t)
	dir := filepath.Join(t.TempDir(), "multinode")
	env := []string{
		"MULTINODE_HOME=" + dir,
		"MULTINODE_PORT_BASE=" + strconv.Itoa(base),
		"MULTINODE_BLOCK_TIME=500ms",
	}
	rpc := func(i int) string { return fmt.Sprintf("tcp://127.0.0.1:%d", base+100*i+57) }
	pidfile := func(i int) string { return filepath.Join(dir, fmt.Sprintf("node%d", i), "tensorcosmd.pid") }

	out, err := script(t, env, "multinode.sh", "start", "4")
	t.Cleanup(func() {
		var pids []int
		for i := 0; i < 4; i++ {
			pids = append(pids, readPID(pidfile(i)))
		}
		if out, err := script(t, env, "multinode.sh", "stop"); err != nil {
			t.Errorf("multinode.sh stop: %v\n%s", err, out)
		}
		for i, pid := range pids {
			if pid > 0 && processAlive(pid) {
				t.Errorf("node%d (pid %d) still running after multinode.sh stop", i, pid)
			}
		}
	})
	if err != nil {
		t.Fatalf("multinode.sh start 4: %v\n%s", err, out)
	}

	for i := 0; i < 4; i++ {
		if !waitFor(90*time.Second, func() bool { return height(t, rpc(i)) >= 5 }) {
			t.Fatalf("node%d stuck at height %d, want 5", i, height(t, rpc(i)))
		}
	}

	pid3 := readPID(pidfile(3))
	if out, err := script(t, env, "multinode.sh", "kill", "3"); err != nil {
		t.Fatalf("multinode.sh kill 3: %v\n%s", err, out)
	}
	if processAlive(pid3) {
		t.Fatal("node3 still running after kill")
	}
	h := height(t, rpc(0))
	for i := 0; i < 3; i++ {
		if !waitFor(60*time.Second, func() bool { return height(t, rpc(i)) >= h+3 }) {
			t.Fatalf("with node3 down, node%d stuck at %d (was %d)", i, height(t, rpc(i)), h)
		}
	}

	if out, err := script(t, env, "multinode.sh", "restart", "3"); err != nil {
		t.Fatalf("multinode.sh restart 3: %v\n%s", err, out)
	}
	target := height(t, rpc(0))
	if !waitFor(90*time.Second, func() bool { return height(t, rpc(3)) >= target }) {
		t.Fatalf("restarted node3 at height %d, the network was at %d", height(t, rpc(3)), target)
	}
}

// height returns the node's latest block height, or 0 when it does not answer.
func height(t *testing.T, node string) int64 {
	t.Helper()
	out, _, err := cli(t, "status", "--node", node)
	if err != nil {
		return 0
	}
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if json.Unmarshal([]byte(out), &st) != nil {
		return 0
	}
	h, _ := strconv.ParseInt(st.SyncInfo.LatestBlockHeight, 10, 64)
	return h
}
