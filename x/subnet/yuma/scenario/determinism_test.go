package scenario

import (
	"runtime"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/testutil/cross386"
)

// TestGoldenOn386 runs TestGolden again in a GOARCH=386 build of this package's tests
// (32-bit registers, no 64-bit multiply instruction): the shipped scenarios must print
// the same bytes as the golden files written on amd64. 386 binaries run natively on
// amd64 Linux with IA32 emulation, and under qemu-i386 without it (testutil/cross386).
// The yuma package checks the engine itself the same way on random epochs.
func TestGoldenOn386(t *testing.T) {
	if runtime.GOARCH == "386" {
		return // TestGolden itself already runs on 386 here
	}
	out := cross386.GoTest(t, nil, "-v", "-run", "^TestGolden$", ".")
	for _, name := range goldenScenarios {
		if !strings.Contains(out, "--- PASS: TestGolden/"+name) {
			t.Fatalf("GOARCH=386 did not pass TestGolden/%s:\n%s", name, out)
		}
	}
}
