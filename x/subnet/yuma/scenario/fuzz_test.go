package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to the scenario parser: it must never panic, and a
// scenario it accepts (when small) must simulate to valid JSON.
func FuzzParse(f *testing.F) {
	for _, name := range goldenScenarios {
		b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"n": 2, "stakes": [1, 2], "emission": 5, "epochs": [{"weights": {"0": [[1, 9]]}}]}`,
		`{"n": 1, "stakes": [1], "emission": 5, "params": {"kappa": 1e-3, "yuma3": true}, "epochs": [{}]}`,
		`{"n": 3, "stakes": [1, 2, 3], "emission": 5, "epochs": [{"weights": {"7": [[9, 1]]}}]}`,
		`{"n": 2, "stakes": [1, 0], "emission": 5, "params": {"tempo": 3}, "state": {"registered_at": [0, 4], "last_update": [6, 4],
			"validator_permit": [true, false], "weights": {"0": [[1, 7]]}, "bonds": {"0": [[1, 0.25]]}}, "epochs": [{"block": 6}, {"emission": 9}]}`,
		`[`, `{"n": 1e400}`, `{"n": 2, "n": 3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse(bytes.NewReader(data))
		if err != nil || sc.N > 16 || len(sc.Epochs) > 16 {
			return
		}
		var out bytes.Buffer
		if err := SimulateJSON(bytes.NewReader(data), &out); err != nil {
			t.Fatalf("accepted scenario failed to simulate: %v", err)
		}
		if !json.Valid(out.Bytes()) {
			t.Fatalf("simulator output is not JSON:\n%s", out.String())
		}
	})
}
