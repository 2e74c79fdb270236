package scenario

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestGoldenOn386 runs TestGolden again in a GOARCH=386 build of this package's tests
// (32-bit registers, no 64-bit multiply instruction): the shipped scenarios must print
// the same bytes as the golden files written on amd64. 386 binaries run natively on
// amd64 Linux. The yuma package checks the engine itself the same way on random epochs.
func TestGoldenOn386(t *testing.T) {
	if runtime.GOARCH == "386" {
		return // TestGolden itself already runs on 386 here
	}
	// go test runs with the go command that built it on PATH; without it the check
	// cannot be made and that is a failure, not a skip.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH, so the GOARCH=386 build cannot be made: %v", err)
	}
	cmd := exec.Command(goBin, "test", "-count=1", "-v", "-run", "^TestGolden$", ".")
	cmd.Env = append(os.Environ(), "GOARCH=386", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("GOARCH=386 TestGolden: %v\n%s", err, out.String())
	}
	for _, name := range goldenScenarios {
		if !strings.Contains(out.String(), "--- PASS: TestGolden/"+name) {
			t.Fatalf("GOARCH=386 did not pass TestGolden/%s:\n%s", name, out.String())
		}
	}
}
