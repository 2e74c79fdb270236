package localnet

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTypeScriptClient runs the ts/ package's Node test (ts/test) against a
// localnet: it queries the metagraph of subnet 1 and signs and broadcasts
// MsgAddStake and MsgSetWeights through CosmJS, in direct and amino-json
// sign modes, and MsgServeAxon and MsgUpdateSubnetHyperparams in amino-json
// (nested messages, 64-bit integers and cosmos.Int fields in the sign doc). ts/node_modules comes from `npm ci --prefix ts`, which `make
// deps` runs (scripts/ci-deps.sh).
func TestTypeScriptClient(t *testing.T) {
	ts := filepath.Join(repoRoot, "ts")
	if _, err := os.Stat(filepath.Join(ts, "node_modules", ".bin", "tsc")); err != nil {
		t.Fatalf("ts/node_modules is not installed (run make deps, or npm ci --prefix ts): %v", err)
	}
	npm := func(ctx context.Context, env []string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "npm", args...)
		cmd.Dir = ts
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// compile while the chain starts
	built := make(chan error, 1)
	var buildOut string
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var err error
		buildOut, err = npm(ctx, nil, "run", "build")
		built <- err
	}()

	l := startLocalnet(t, "200ms", "LOCALNET_TEMPO=10")
	createAndRegister(t, l)
	setHyperparams(t, l, map[string]any{"commit_reveal": false, "weights_rate_limit": 0})

	if err := <-built; err != nil {
		t.Fatalf("npm run build: %v\n%s", err, buildOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "--test", "test/")
	cmd.Dir = ts
	cmd.Env = append(os.Environ(),
		"TENSORCOSM_RPC="+httpRPC(l),
		"TENSORCOSM_STAKER_KEY="+exportKey(t, l, "bob"),
		"TENSORCOSM_HOTKEY_KEY="+exportKey(t, l, "miner-hot"),
		"TENSORCOSM_OWNER_KEY="+exportKey(t, l, "alice"),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test ts/test: %v\n%s", err, out)
	}
	// node --test exits 0 when every test passes; check none was skipped
	for _, want := range []string{"# fail 0", "# skipped 0", "# cancelled 0"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Fatalf("node --test output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("node --test:\n%s", out)
}

// exportKey returns the hex private key of a test-keyring account.
func exportKey(t *testing.T, l localnet, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "keys", "export", name, "--unarmored-hex", "--unsafe",
		"--keyring-backend", "test", "--home", l.home)
	cmd.Stdin = strings.NewReader("y\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("keys export %s: %v\n%s", name, err, stderr.String())
	}
	key := strings.TrimSpace(stdout.String())
	if b, err := hex.DecodeString(key); err != nil || len(b) != 32 {
		t.Fatalf("keys export %s: not a 32-byte hex key (%d chars)", name, len(key))
	}
	return key
}
