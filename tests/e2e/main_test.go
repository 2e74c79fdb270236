// Package e2e runs the project's main job as an operator does: `scripts/localnet.sh up`
// starts the chain, creates the digits subnet, trains three models, and starts three
// miners and two validators as separate processes. The tests then watch the incentive
// loop through the chain's gRPC and CometBFT RPC endpoints. `make test-unit` leaves this
// package out.
package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

var (
	repoRoot string
	binDir   string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

// run builds the three binaries the way `make build` does, into a temporary
// directory the scripts are pointed at.
func run(m *testing.M) int {
	flag.Parse()
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	dir, err := os.MkdirTemp("", "tensorcosm-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	for _, name := range []string{"tensorcosmd", "tensorcosm-miner", "tensorcosm-validator", "tensorcosm-gateway"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		build.Dir = repoRoot
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", name, err, out)
			return 1
		}
	}
	return m.Run()
}

// binaryEnv points the scripts at the binaries built by TestMain.
func binaryEnv() []string {
	return []string{
		"TENSORCOSMD=" + filepath.Join(binDir, "tensorcosmd"),
		"TENSORCOSM_MINER=" + filepath.Join(binDir, "tensorcosm-miner"),
		"TENSORCOSM_VALIDATOR=" + filepath.Join(binDir, "tensorcosm-validator"),
		"TENSORCOSM_GATEWAY=" + filepath.Join(binDir, "tensorcosm-gateway"),
	}
}

// portOffsets are the ports, relative to LOCALNET_PORT_BASE, that
// scripts/localnet.sh up binds: the node's, the gateway's API and metrics,
// the miners' axons and metrics, and the validators' metrics, of both subnets.
var portOffsets = []int{17, 56, 57, 58, 60, 90, 100, 101, 200, 201, 202, 203, 204, 210, 211, 212, 213, 214, 220, 221, 222, 223}

// freePortBase returns a port base whose localnet ports look free on
// 127.0.0.1, so the test does not collide with a developer's localnet. The
// ports stay below Linux's ephemeral range (32768 and up), where an outgoing
// connection could take a daemon's port while it restarts.
func freePortBase(t *testing.T) int {
	t.Helper()
	for base := 20000 + (os.Getpid()%50)*100; base < 32000; base += 500 {
		ok := true
		for _, off := range portOffsets {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+off))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range on 127.0.0.1")
	return 0
}

// script runs scripts/localnet.sh with env and returns its combined output.
func script(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", "localnet.sh"), args...)
	cmd.Dir = repoRoot
	cmd.Env = append(append(os.Environ(), binaryEnv()...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
