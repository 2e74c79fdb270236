// Package cross386 runs a package's tests again in a GOARCH=386 build, for the
// determinism checks that compare 32-bit and 64-bit results.
//
// On amd64 Linux a 386 binary runs natively when the kernel has IA32
// emulation. Some kernels (several cloud and microVM builds) are compiled
// without it, and exec fails with "exec format error"; then the tests run
// under qemu-i386 user-mode emulation, which scripts/ci-deps.sh installs
// (Debian's qemu-user-static). With neither, the check cannot be made and
// GoTest fails: it never skips.
package cross386

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// emulators are the qemu user-mode binaries tried, in order, when the kernel
// cannot exec 386 binaries.
var emulators = []string{"qemu-i386-static", "qemu-i386"}

// GoTest runs `go test -count=1 args...` in the current directory for
// GOARCH=386 with CGO disabled, extraEnv added to the environment, and
// returns the combined output. It fails t when the run fails.
func GoTest(t testing.TB, extraEnv []string, args ...string) string {
	t.Helper()
	// go test runs with the go command that built it on PATH; without it
	// the check cannot be made and that is a failure, not a skip.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH, so the GOARCH=386 build cannot be made: %v", err)
	}
	run := func(emuEnv []string, pre ...string) (string, error) {
		argv := append(append([]string{"test", "-count=1"}, pre...), args...)
		cmd := exec.Command(goBin, argv...)
		cmd.Env = append(append(append(os.Environ(), "GOARCH=386", "CGO_ENABLED=0"), extraEnv...), emuEnv...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	out, err := run(nil)
	if err == nil {
		return out
	}
	if !strings.Contains(out, "exec format error") {
		t.Fatalf("GOARCH=386 go test %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	emu := ""
	for _, name := range emulators {
		if p, lerr := exec.LookPath(name); lerr == nil {
			emu = p
			break
		}
	}
	if emu == "" {
		t.Fatalf("this kernel cannot run 386 binaries (no IA32 emulation) and neither %s is on PATH; "+
			"run scripts/ci-deps.sh, which installs Debian's qemu-user-static:\n%s",
			strings.Join(emulators, " nor "), out)
	}
	t.Logf("the kernel cannot exec 386 binaries; running the GOARCH=386 tests under %s", emu)
	// Go's asynchronous preemption signals crash 386 binaries under qemu-user
	// 7.2 ("bad g in signal handler", SIGSEGV in a new thread) in most runs;
	// without them the runs are clean (30 of 30 here against 1 of 30 with).
	// Preemption at safe points is unchanged, and the arithmetic under test
	// does not depend on scheduling.
	out, err = run([]string{"GODEBUG=" + godebugNoAsyncPreempt()}, "-exec", emu)
	if err != nil {
		t.Fatalf("GOARCH=386 go test -exec %s %s: %v\n%s", emu, strings.Join(args, " "), err, out)
	}
	return out
}

// godebugNoAsyncPreempt returns $GODEBUG with asyncpreemptoff=1 added.
func godebugNoAsyncPreempt() string {
	if g := os.Getenv("GODEBUG"); g != "" {
		return g + ",asyncpreemptoff=1"
	}
	return "asyncpreemptoff=1"
}
