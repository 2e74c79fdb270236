package yuma

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/testutil/cross386"
)

// digest hashes every field of an Output in a fixed binary layout.
func digest(o Output) string {
	h := sha256.New()
	writeOutput(h, o)
	return hex.EncodeToString(h.Sum(nil))
}

type hashWriter interface{ Write([]byte) (int, error) }

func writeOutput(h hashWriter, o Output) {
	w := func(v any) { _ = binary.Write(h, binary.LittleEndian, v) }
	w(uint64(len(o.Active)))
	w(o.Active)
	w(o.ValidatorPermit)
	for _, v := range [][]Fixed{o.Consensus, o.Trust, o.ValidatorTrust, o.Rank, o.Incentive, o.Dividends} {
		w(v)
	}
	for _, row := range o.Bonds {
		w(uint64(len(row)))
		for _, b := range row {
			w(b.UID)
			w(b.Value)
		}
	}
	w(o.MinerEmission)
	w(o.ValidatorEmission)
	w(o.Emission)
}

// determinismDigest runs a fixed set of seeded random epochs (every mode, sizes 1 to 96)
// and hashes all their outputs. The shipped scenarios are checked on 386 by the scenario
// package (TestGoldenOn386).
func determinismDigest() (string, error) {
	h := sha256.New()
	g := &gen{s: 0x59554d41} // "YUMA"
	for c := range 400 {
		in := randomInput(g, 1+g.intn(96))
		out, err := Run(in)
		if err != nil {
			return "", fmt.Errorf("case %d: %w", c, err)
		}
		writeOutput(h, out)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

const childEnv = "YUMA_DIGEST_CHILD"

var childLine = regexp.MustCompile(`YUMA_DIGEST ([a-z0-9]+) ([0-9a-f]{64})`)

// TestCrossArchDeterminism runs the digest cases here and again in a GOARCH=386 build of
// this package's tests (32-bit registers, no 64-bit multiply instruction), and requires
// the two hashes to be equal. 386 binaries run natively on amd64 Linux with IA32
// emulation, and under qemu-i386 where the kernel lacks it (see testutil/cross386).
func TestCrossArchDeterminism(t *testing.T) {
	local, err := determinismDigest()
	if err != nil {
		t.Fatal(err)
	}
	// the child prints its digest from TestMain and exits before any test
	out := cross386.GoTest(t, []string{childEnv + "=1"}, "-v", "-run", "^$", ".")
	m := childLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in the GOARCH=386 output:\n%s", out)
	}
	if m[1] != "386" {
		t.Fatalf("child ran on %s, want 386", m[1])
	}
	if m[2] != local {
		t.Fatalf("digest on 386 %s differs from %s on %s", m[2], local, runtime.GOARCH)
	}
	t.Logf("%s and 386 agree: %s", runtime.GOARCH, local)
}

// TestMain, in the GOARCH=386 child started by TestCrossArchDeterminism,
// prints the digest and exits without running the tests.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		d, err := determinismDigest()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("YUMA_DIGEST %s %s\n", strings.ToLower(runtime.GOARCH), d)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
