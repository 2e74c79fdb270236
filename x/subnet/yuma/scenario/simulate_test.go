package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenScenarios are the scenarios shipped in testdata, each with a .golden.json file
// holding the simulator's output for it.
var goldenScenarios = []string{"basic", "lazy_validator", "chain_replay"}

func TestGolden(t *testing.T) {
	for _, name := range goldenScenarios {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			if err := SimulateJSON(openTestdata(t, name+".json"), &got); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("output differs from %s (run go test -run TestGolden -update after checking the change)", golden)
			}
		})
	}
}

func openTestdata(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func simulateFile(t *testing.T, name string) *Result {
	t.Helper()
	sc, err := Parse(openTestdata(t, name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Simulate(sc)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestSimulateOutputFormat checks the documented document: an "epochs" array of objects
// with exactly the documented keys, in order, and an n x n bonds matrix.
func TestSimulateOutputFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := SimulateJSON(openTestdata(t, "basic.json"), &buf); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.UseNumber()
	var doc struct {
		Epochs []map[string]json.RawMessage `json:"epochs"`
	}
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if len(doc.Epochs) != 5 {
		t.Fatalf("%d epochs, want 5", len(doc.Epochs))
	}
	keys := []string{"block", "validator_permit", "consensus", "trust", "validator_trust", "rank", "incentive", "dividends", "bonds", "emission"}
	for k, ep := range doc.Epochs {
		if len(ep) != len(keys) {
			t.Fatalf("epoch %d has keys %v", k, ep)
		}
		var bonds [][]json.Number
		if err := json.Unmarshal(ep["bonds"], &bonds); err != nil || len(bonds) != 5 || len(bonds[0]) != 5 {
			t.Fatalf("epoch %d bonds are not 5 x 5: %v", k, err)
		}
	}
	order := make([]int, len(keys))
	for i, key := range keys {
		order[i] = strings.Index(buf.String(), `"`+key+`"`)
	}
	if !slices.IsSorted(order) {
		t.Fatalf("keys out of order: %v", order)
	}
}

func TestSimulateMatchesSimulateJSON(t *testing.T) {
	var streamed, whole bytes.Buffer
	if err := SimulateJSON(openTestdata(t, "lazy_validator.json"), &streamed); err != nil {
		t.Fatal(err)
	}
	if err := simulateFile(t, "lazy_validator.json").WriteJSON(&whole); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(streamed.Bytes(), whole.Bytes()) {
		t.Fatal("Simulate + WriteJSON differs from SimulateJSON")
	}
}

// TestBasicScenario checks the first two epochs of basic.json by hand.
func TestBasicScenario(t *testing.T) {
	res := simulateFile(t, "basic.json")
	first := res.Epochs[0].Output
	// Block 1: no UID holds a permit yet, so no weight counts; validators are paid by
	// stake 8:1:1 and the top-64 permits go to the three UIDs with stake.
	if !slices.Equal(first.Emission, []uint64{800_000_000, 100_000_000, 100_000_000, 0, 0}) ||
		!slices.Equal(first.ValidatorPermit, []bool{true, true, true, false, false}) {
		t.Fatalf("block 1: emission %v permits %v", first.Emission, first.ValidatorPermit)
	}
	second := res.Epochs[1].Output
	// Block 2: validator 0 (stake 8 of 10) weights UIDs 3 and 4 by 65535:32768; it holds
	// more than kappa, so its weights are the consensus.
	if second.Consensus[3] != ratio(65535, 98303) || second.Consensus[4] != ratio(32768, 98303) {
		t.Fatalf("block 2 consensus %v", second.Consensus)
	}
	// Validators 1 and 2 each put everything on one miner: clipped to consensus.
	if second.ValidatorTrust[1] != second.Consensus[3] || second.ValidatorTrust[2] != second.Consensus[4] {
		t.Fatalf("block 2 validator trust %v", second.ValidatorTrust)
	}
	// Trust is rank over pre-rank, with a = 65535/98303 validator 0's weight on UID 3:
	// validator 1's 1 on UID 3 is clipped to a, so T_3 = (8a + a) / (8a + 1) =
	// 589815/622583; likewise T_4 = 9b / (8b + 1) = 294912/360447 with b = 32768/98303.
	if !near(second.Trust[3], ratio(589815, 622583), 1) || !near(second.Trust[4], ratio(294912, 360447), 1) {
		t.Fatalf("block 2 trust %v", second.Trust)
	}
	// Half the emission goes to miners, half to validators.
	if second.Emission[3]+second.Emission[4] != 500_000_000 {
		t.Fatalf("block 2 miners got %d", second.Emission[3]+second.Emission[4])
	}
}

// TestLazyValidatorLosesDividends checks the README example: three validators with equal
// stake; at block 11 the miners change and two validators follow, the third keeps its
// old weights, and from block 17 it is past the activity cutoff.
func TestLazyValidatorLosesDividends(t *testing.T) {
	res := simulateFile(t, "lazy_validator.json")
	div := func(block, uid int) yuma.Fixed { return res.Epochs[block-1].Output.Dividends[uid] }
	third := ratio(1, 3)
	for b := 2; b <= 10; b++ {
		if !near(div(b, 2), third, 2) || div(b, 0) != div(b, 2) {
			t.Fatalf("block %d: dividends %v, want a third each", b, res.Epochs[b-1].Output.Dividends)
		}
	}
	for b := 11; b <= 30; b++ {
		if div(b, 2) >= div(b-1, 2) || div(b, 0) <= div(b, 2) {
			t.Fatalf("block %d: lazy validator's dividends %s did not fall below the honest %s", b, div(b, 2), div(b, 0))
		}
	}
	if div(30, 2) > yuma.One/10 {
		t.Fatalf("block 30: lazy validator still earns %s", div(30, 2))
	}
	if res.Epochs[16].Output.Active[2] || !res.Epochs[15].Output.Active[2] {
		t.Fatal("the lazy validator should turn inactive at block 17")
	}
}

// TestSimulateRegistration checks a re-registration: the new hotkey starts without bonds
// and the weights set on the old one stop counting until validators set them again.
func TestSimulateRegistration(t *testing.T) {
	sc, err := parseString(`{"n": 3, "stakes": [10, 0, 0], "emission": 100, "epochs": [
		{"weights": {"0": [[1, 1], [2, 1]]}}, {}, {"register": [2]}, {}, {"weights": {"0": [[1, 1], [2, 1]]}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Simulate(sc)
	if err != nil {
		t.Fatal(err)
	}
	bondOn2 := func(k int) yuma.Fixed {
		for _, b := range res.Epochs[k].Output.Bonds[0] {
			if b.UID == 2 {
				return b.Value
			}
		}
		return 0
	}
	inc := func(k int) yuma.Fixed { return res.Epochs[k].Output.Incentive[2] }
	switch {
	case bondOn2(1) != yuma.One || inc(1) != yuma.One/2:
		t.Fatalf("block 2: bond %s incentive %s, want 1 and 1/2", bondOn2(1), inc(1))
	case bondOn2(2) != 0 || inc(2) != 0 || bondOn2(3) != 0:
		t.Fatalf("blocks 3-4: bond on the new hotkey %s/%s, incentive %s, want none", bondOn2(2), bondOn2(3), inc(2))
	case bondOn2(4) != yuma.One || inc(4) != yuma.One/2:
		t.Fatalf("block 5: bond %s incentive %s after new weights, want 1 and 1/2", bondOn2(4), inc(4))
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSimulateJSONErrors(t *testing.T) {
	if err := SimulateJSON(strings.NewReader(`{"n": 1}`), &bytes.Buffer{}); err == nil {
		t.Fatal("malformed scenario accepted")
	}
	if err := SimulateJSON(openTestdata(t, "basic.json"), failingWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write error = %v, want disk full", err)
	}
}
