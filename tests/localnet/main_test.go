// Package localnet tests the real tensorcosmd binary as an operator runs
// it: through scripts/localnet.sh and scripts/multinode.sh, on 127.0.0.1.
// These tests start node processes; `make test-unit` leaves this package out.
package localnet

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
	"strings"
	"testing"
	"time"
)

var (
	repoRoot string
	binary   string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	dir, err := os.MkdirTemp("", "tensorcosmd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "tensorcosmd")
	build := exec.Command("go", "build", "-o", binary, "./cmd/tensorcosmd")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building tensorcosmd: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// freePortBase returns a port base B such that B+0..B+399 look free on
// 127.0.0.1, so tests do not collide with a developer's running localnet.
func freePortBase(t *testing.T) int {
	t.Helper()
	return portBase(t, 30000+(os.Getpid()%200)*100, 60000, 1000,
		[]int{17, 56, 57, 58, 60, 90, 117, 156, 157, 158, 160, 190, 217, 256, 257, 258, 260, 290, 317, 356, 357, 358, 360, 390})
}

// portBase returns the first base from `from` on, in steps of step and
// below to, at which every offset looks free on 127.0.0.1.
func portBase(t *testing.T, from, to, step int, offsets []int) int {
	t.Helper()
	for base := from; base < to; base += step {
		ok := true
		for _, off := range offsets {
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

// script runs a repo script with env and returns its combined output.
func script(t *testing.T, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", name), args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), append([]string{"TENSORCOSMD=" + binary}, env...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// cli runs tensorcosmd with args and returns stdout, stderr and the error.
func cli(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// mustCLI runs tensorcosmd and fails the test on a non-zero exit.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := cli(t, args...)
	if err != nil {
		t.Fatalf("tensorcosmd %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// waitFor polls cond every 200 ms until it returns true or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return cond()
}
