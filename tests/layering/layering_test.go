// Package layering checks the import rules of issue 17 with the go tool, so
// that anyone can run them: `go test ./tests/layering/`.
package layering

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// module is the repository's module path.
const module = "github.com/tensorcosm/tensorcosm"

// goList runs `go list args...` at the repository root and returns its
// output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.Fields(string(out))
}

// taskKind reports whether pkg is a task kind: a package under task/.
func taskKind(pkg string) bool {
	return strings.HasPrefix(pkg, module+"/task/")
}

// TestDaemonsImportNoTaskKind: the miner, the validator and what they share
// reach task kinds only through the task registry; the kinds are linked in
// by the binaries in cmd/ (and by tests).
func TestDaemonsImportNoTaskKind(t *testing.T) {
	pkgs := []string{"./validator/...", "./miner/...", "./neuron/..."}
	for _, query := range [][]string{
		append([]string{"-f", `{{join .Imports "\n"}}`}, pkgs...), // the check of issue 17, word for word
		append([]string{"-deps"}, pkgs...),                        // and nothing reaches a kind indirectly
	} {
		deps := goList(t, query...)
		if len(deps) == 0 {
			t.Fatalf("go list %v names nothing", query)
		}
		for _, p := range deps {
			if taskKind(p) {
				t.Errorf("go list %s names task kind %s", strings.Join(query, " "), p)
			}
		}
	}
	// the check can fail: the binaries do link a kind in
	if !containsKind(goList(t, "-deps", "./cmd/tensorcosm-validator")) {
		t.Error("tensorcosm-validator links no task kind in: the check above proves nothing")
	}
}

func containsKind(pkgs []string) bool {
	for _, p := range pkgs {
		if taskKind(p) {
			return true
		}
	}
	return false
}

// TestYumaIsOnlyMath: the consensus math imports no scenario simulator and
// no JSON, which live in x/subnet/yuma/scenario.
func TestYumaIsOnlyMath(t *testing.T) {
	deps := goList(t, "-deps", "./x/subnet/yuma")
	if len(deps) == 0 {
		t.Fatal("go list -deps ./x/subnet/yuma names nothing")
	}
	for _, p := range deps {
		if strings.Contains(p, "scenario") || strings.Contains(strings.ToLower(p), "json") {
			t.Errorf("x/subnet/yuma depends on %s", p)
		}
	}
}
