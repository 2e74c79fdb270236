package cli_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/gateway/cli"
)

// run executes tensorcosm-gateway with args and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := cli.NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// TestKeysLifecycle creates, lists, uses the store of, and revokes keys
// through the CLI on a SQLite store in a data dir.
func TestKeysLifecycle(t *testing.T) {
	dir := t.TempDir()
	out, err := run(t, "keys", "create", "app", "--data-dir", dir, "--rate", "5", "--quota", "1000", "--subnets", "1,2")
	if err != nil {
		t.Fatalf("create: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if !strings.HasPrefix(token, "tcg_") || !strings.Contains(out, "5/s burst 5") || !strings.Contains(out, "1000 requests/day") ||
		!strings.Contains(out, "subnets 1,2") {
		t.Fatalf("create output:\n%s", out)
	}
	if _, err := run(t, "keys", "create", "app", "--data-dir", dir); err == nil {
		t.Error("a second active key named app was created")
	}
	out, err = run(t, "keys", "create", "ci", "--data-dir", dir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID, Name, Token string
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Name != "ci" || !strings.HasPrefix(created.Token, "tcg_"+created.ID+"_") {
		t.Fatalf("create -o json: %v: %s", err, out)
	}

	out, err = run(t, "keys", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "app") || !strings.Contains(out, "ci") || strings.Contains(out, token) || strings.Contains(out, created.Token) {
		t.Fatalf("list shows the wrong keys or a token:\n%s", out)
	}
	if out, err = run(t, "keys", "revoke", "app", "--data-dir", dir); err != nil {
		t.Fatalf("revoke: %v: %s", err, out)
	}
	if _, err := run(t, "keys", "revoke", "nobody", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("revoking an unknown key: %v", err)
	}
	out, err = run(t, "keys", "list", "--data-dir", dir, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var keys []struct {
		Name      string `json:"name"`
		RevokedAt string `json:"revoked_at"`
	}
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 2 || keys[0].RevokedAt == "" || keys[1].RevokedAt != "" {
		t.Fatalf("list -o json after revoke: %v: %s", err, out)
	}
	out, err = run(t, "keys", "usage", "ci", "--data-dir", dir, "-o", "json")
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("usage of a fresh key: %v: %s", err, out)
	}
	if _, err := run(t, "keys", "usage", "--from", "yesterday", "--data-dir", dir); err == nil {
		t.Error("a bad --from was accepted")
	}
	if _, err := run(t, "keys", "list", "--data-dir", dir, "-o", "yaml"); err == nil {
		t.Error("-o yaml was accepted")
	}
	if _, err := run(t, "keys", "list", "--store-driver", "mysql"); err == nil || !strings.Contains(err.Error(), "mysql") {
		t.Errorf("an unknown driver: %v", err)
	}
}

// TestRunPrintConfig layers flags and environment over the defaults.
func TestRunPrintConfig(t *testing.T) {
	t.Setenv("TENSORCOSM_GATEWAY_STORE_DRIVER", "postgres")
	out, err := run(t, "run", "--print-config", "--subnets", "1,2", "--listen", "127.0.0.1:9999")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"subnets: 1,2", "listen_address: 127.0.0.1:9999", "driver: postgres", "request_timeout: 10s"} {
		if !strings.Contains(out, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, out)
		}
	}
	if _, err := run(t, "run", "--subnets", "1", "--chain-id", ""); err == nil || !strings.Contains(err.Error(), "chain.chain_id is required") {
		t.Errorf("run with an invalid config: %v", err)
	}
}
