package cmd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cosmos/cosmos-sdk/client/flags"

	"github.com/tensorcosm/tensorcosm/cmd/tensorcosmd/cmd"
)

func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root, err := cmd.NewRootCmd()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	// svrcmd.Execute adds --home in main; tests point it at a temp dir so
	// the pre-run hooks do not write into the user's home.
	root.PersistentFlags().String(flags.FlagHome, t.TempDir(), "node home")
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), err
}

// TestYumaSimulatePrintsGolden runs `tensorcosmd yuma simulate` on the
// shipped scenarios and compares with the committed golden output.
func TestYumaSimulatePrintsGolden(t *testing.T) {
	for _, name := range []string{"basic", "lazy_validator", "chain_replay"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "..", "x", "subnet", "yuma", "scenario", "testdata")
			got, err := runCLI(t, "", "yuma", "simulate", filepath.Join(dir, name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, name+".golden.json"))
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("output differs from %s.golden.json:\n%s", name, got)
			}
		})
	}
}

func TestYumaSimulateRejectsBadScenario(t *testing.T) {
	cases := []struct {
		name, stdin, msg string
	}{
		{"wrong stakes length", `{"n": 2, "stakes": [1], "emission": 1, "epochs": []}`, "stakes"},
		{"not JSON", `{"n": `, "scenario -"},
		{"target out of range", `{"n": 2, "stakes": [1, 1], "emission": 1, "epochs": [{"weights": {"0": [[5, 1]]}}]}`, `epochs[0].weights["0"][0]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCLI(t, tc.stdin, "yuma", "simulate", "-")
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.msg)
			}
		})
	}
}
