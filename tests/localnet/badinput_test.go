package localnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartRejectsMalformedGenesis checks that a broken genesis file stops
// `tensorcosmd start` (and `genesis validate`) with a clear message, a
// non-zero exit and no panic trace.
func TestStartRejectsMalformedGenesis(t *testing.T) {
	cases := []struct {
		name   string
		mangle func(string) string
		msg    string
	}{
		{
			name:   "truncated JSON",
			mangle: func(g string) string { return g[:len(g)/2] },
			msg:    "unexpected end of JSON input",
		},
		{
			name: "module state of the wrong type",
			mangle: func(g string) string {
				return strings.Replace(g, `"max_validators": 100`, `"max_validators": "many"`, 1)
			},
			msg: "staking genesis",
		},
		{
			name: "unknown bond denom",
			mangle: func(g string) string {
				return strings.Replace(g, `"bond_denom": "utensor"`, `"bond_denom": "??"`, 1)
			},
			msg: "invalid denom",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			mustCLI(t, "init", "bad", "--chain-id", "bad-genesis", "--home", home)
			file := filepath.Join(home, "config", "genesis.json")
			orig, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			mangled := tc.mangle(string(orig))
			if mangled == string(orig) {
				t.Fatalf("test setup: mangle left genesis unchanged")
			}
			if err := os.WriteFile(file, []byte(mangled), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut, err := cli(t, "start", "--home", home)
			expectCleanFailure(t, err, errOut, tc.msg)
			_, errOut, err = cli(t, "genesis", "validate", "--home", home)
			expectCleanFailure(t, err, errOut, "")
		})
	}
}
