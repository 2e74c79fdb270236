package scenario

import (
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

func parseString(s string) (*Spec, error) { return Parse(strings.NewReader(s)) }

func TestParseDefaults(t *testing.T) {
	sc, err := parseString(`{"n": 2, "stakes": [1, 2], "emission": 5, "epochs": []}`)
	if err != nil {
		t.Fatal(err)
	}
	want := yuma.DefaultParams()
	want.Tempo = 1 // one epoch per block
	if sc.Params != want || sc.OwnerUID != nil || sc.N != 2 || sc.Emission != 5 || len(sc.Epochs) != 0 {
		t.Fatalf("scenario = %+v", sc)
	}
}

// TestParseExactDecimals checks that decimals come from the JSON text exactly:
// 0.7 is the yuma.Fixed nearest to 7/10, not to the float64 0.69999999999999995559.
func TestParseExactDecimals(t *testing.T) {
	sc, err := parseString(`{"n": 3, "stakes": [1, 2, 3], "emission": 5, "owner_uid": 2, "epochs": [],
		"params": {"kappa": 0.7, "bonds_penalty": 5e-1, "alpha_low": 0.1, "alpha_high": 1,
		"alpha_sigmoid_steepness": -20, "yuma3": true, "liquid_alpha": true,
		"bonds_moving_average": 0, "activity_cutoff": 7, "max_allowed_validators": 2}}`)
	if err != nil {
		t.Fatal(err)
	}
	p := sc.Params
	if p.Kappa != mustFixed("0.7") || p.Kappa != 197032483697459 || p.BondsPenalty != yuma.One/2 || p.AlphaHigh != yuma.One ||
		p.AlphaSigmoidSteepness != -20 || !p.Yuma3 || !p.LiquidAlpha || p.ActivityCutoff != 7 || p.MaxAllowedValidators != 2 {
		t.Fatalf("params = %+v", p)
	}
	if sc.OwnerUID == nil || *sc.OwnerUID != 2 {
		t.Fatalf("owner = %v", sc.OwnerUID)
	}
}

func TestParseRowsAreSorted(t *testing.T) {
	sc, err := parseString(`{"n": 4, "stakes": [1, 1, 1, 1], "emission": 5, "epochs": [
		{"weights": {"3": [[2, 5], [0, 7]], "1": []}, "register": [2]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	w := sc.Epochs[0].Weights
	if len(w) != 2 || w[0].UID != 1 || len(w[0].Weights) != 0 || w[1].UID != 3 || w[1].Weights[0] != (yuma.Weight{UID: 0, Value: 7}) {
		t.Fatalf("weights = %+v", w)
	}
}

func TestParseErrors(t *testing.T) {
	const head = `{"n": 3, "stakes": [1, 2, 3], "emission": 5, `
	tests := []struct {
		name string
		json string
		want string
	}{
		{"syntax", `{"n": 5,`, "scenario: invalid JSON near byte"},
		{"not an object", `[1]`, "scenario: must be an object, got array"},
		{"trailing data", head + `"epochs": []} {}`, "unexpected data after the scenario object"},
		{"duplicate key", head + `"epochs": [], "n": 3}`, "n: duplicate key"},
		{"missing n", `{"stakes": [], "emission": 5, "epochs": []}`, `scenario: missing field "n"`},
		{"missing epochs", head[:len(head)-2] + `}`, `scenario: missing field "epochs"`},
		{"unknown field", head + `"epochs": [], "tempo": 3}`, "tempo: unknown field (allowed: n, stakes, emission, owner_uid, params, state, epochs)"},
		{"fractional n", `{"n": 2.5}`, "n: must be an integer between 0 and 4096, got 2.5"},
		{"zero n", `{"n": 0}`, "n: must be at least 1"},
		{"n too large", `{"n": 5000}`, "n: 5000 is above the maximum 4096"},
		{"stakes length", `{"n": 3, "stakes": [1, 2]}`, "stakes: has 2 entries, want n=3"},
		{"negative stake", `{"n": 2, "stakes": [1, -1]}`, "stakes[1]: must be an integer between 0 and 18446744073709551615, got -1"},
		{"stake overflow", `{"n": 1, "stakes": [18446744073709551616]}`, "stakes[0]: must be an integer"},
		{"emission type", `{"n": 1, "stakes": [1], "emission": "5"}`, "emission: must be a number, got string"},
		{"owner out of range", head + `"owner_uid": 7, "epochs": []}`, "owner_uid: UID 7 out of range (n=3)"},
		{"params type", head + `"params": [], "epochs": []}`, "params: must be an object, got array"},
		{"unknown param", head + `"params": {"kapa": 2}, "epochs": []}`, "params.kapa: unknown field"},
		{"zero tempo", head + `"params": {"tempo": 0}, "epochs": []}`, "params.tempo: must be at least 1"},
		{"kappa above one", head + `"params": {"kappa": 1.5}, "epochs": []}`, "params.kappa: must be a number between 0 and 1, got 1.5"},
		{"moving average", head + `"params": {"bonds_moving_average": 1000001}, "epochs": []}`, "params.bonds_moving_average: 1000001 is above the maximum 1000000"},
		{"no validators", head + `"params": {"max_allowed_validators": 0}, "epochs": []}`, "params.max_allowed_validators: must be at least 1"},
		{"bool type", head + `"params": {"yuma3": "yes"}, "epochs": []}`, "params.yuma3: must be a boolean, got string"},
		{"steepness range", head + `"params": {"alpha_sigmoid_steepness": 40000}, "epochs": []}`, "params.alpha_sigmoid_steepness: must be an integer between -32768 and 32767, got 40000"},
		{"alpha order", head + `"params": {"alpha_low": 0.9, "alpha_high": 0.7}, "epochs": []}`, "params: alpha_low 0.9 is above alpha_high 0.7"},
		{"epochs type", head + `"epochs": {}}`, "epochs: must be an array, got object"},
		{"epoch type", head + `"epochs": [3]}`, "epochs[0]: must be an object, got number"},
		{"unknown epoch field", head + `"epochs": [{"weight": {}}]}`, "epochs[0].weight: unknown field (allowed: block, emission, weights, register, stakes)"},
		{"zero block", head + `"epochs": [{"block": 0}]}`, "epochs[0].block: must be at least 1"},
		{"block not after the previous", head + `"epochs": [{"block": 7}, {"block": 7}]}`, "epochs[1].block: must be after the previous epoch's block 7"},
		{"default block after the last", head + `"epochs": [{"block": 18446744073709551615}, {}]}`, "epochs[1].block: must be after the previous epoch's block 18446744073709551615"},
		{"epoch emission", head + `"epochs": [{"emission": -1}]}`, "epochs[0].emission: must be an integer"},
		{"state type", head + `"state": [], "epochs": []}`, "state: must be an object, got array"},
		{"unknown state field", head + `"state": {"stakes": []}, "epochs": []}`, "state.stakes: unknown field (allowed: registered_at, last_update, validator_permit, weights, bonds)"},
		{"state length", head + `"state": {"last_update": [1, 2]}, "epochs": []}`, "state.last_update: has 2 entries, want n=3"},
		{"state permit type", head + `"state": {"validator_permit": [true, 1, false]}, "epochs": []}`, "state.validator_permit[1]: must be a boolean, got number"},
		{"state weights", head + `"state": {"weights": {"0": [[3, 1]]}}, "epochs": []}`, `state.weights["0"][0]: target UID 3 out of range (n=3)`},
		{"state bonds key", head + `"state": {"bonds": {"x": []}}, "epochs": []}`, `state.bonds["x"]: key must be a UID written as a decimal integer`},
		{"state bond pair", head + `"state": {"bonds": {"1": [[0]]}}, "epochs": []}`, `state.bonds["1"][0]: must be a [target UID, bond] pair`},
		{"state bond above one", head + `"state": {"bonds": {"1": [[0, 1.5]]}}, "epochs": []}`, `state.bonds["1"][0][1]: must be a number between 0 and 1, got 1.5`},
		{"state bond duplicate", head + `"state": {"bonds": {"1": [[0, 0.5], [0, 0.25]]}}, "epochs": []}`, `state.bonds["1"][1]: duplicate target UID 0`},
		{"weights key", head + `"epochs": [{"weights": {"01": []}}]}`, `epochs[0].weights["01"]: key must be a UID written as a decimal integer`},
		{"validator out of range", head + `"epochs": [{"weights": {"3": []}}]}`, `epochs[0].weights["3"]: validator UID 3 out of range (n=3)`},
		{"not a pair", head + `"epochs": [{"weights": {"0": [[1]]}}]}`, `epochs[0].weights["0"][0]: must be a [target UID, weight] pair`},
		{"target out of range", `{"n": 8, "stakes": [1, 1, 1, 1, 1, 1, 1, 1], "emission": 5, "epochs": [{}, {}, {"weights": {"7": [[9, 1]]}}]}`, `epochs[2].weights["7"][0]: target UID 9 out of range (n=8)`},
		{"weight range", head + `"epochs": [{"weights": {"0": [[1, 70000]]}}]}`, `epochs[0].weights["0"][0][1]: 70000 is above the maximum 65535`},
		{"duplicate target", head + `"epochs": [{}, {"weights": {"0": [[2, 1], [2, 3]]}}]}`, `epochs[1].weights["0"][1]: duplicate target UID 2`},
		{"register range", head + `"epochs": [{"register": [0, 3]}]}`, "epochs[0].register[1]: UID 3 out of range (n=3)"},
		{"register twice", head + `"epochs": [{"register": [1, 1]}]}`, "epochs[0].register[1]: UID 1 registered twice"},
		{"epoch stakes", head + `"epochs": [{"stakes": [1]}]}`, "epochs[0].stakes: has 1 entries, want n=3"},
		{"too deep", head + `"epochs": [{"weights": {"0": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}}]}`, "nested deeper than 16 levels"},
		{"too large", `{"n": 4096, "stakes": [` + strings.Repeat("0, ", 4095) + `0], "emission": 1, "epochs": [` + strings.Repeat("{}, ", 16) + `{}]}`, "epochs: n*n*len(epochs) = 285212672 bonds to print, more than 268435456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseString(tt.json)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestScenarioValidate covers scenarios built in code rather than parsed.
func TestValidate(t *testing.T) {
	owner := uint16(5)
	tests := []struct {
		name string
		sc   Spec
		want string
	}{
		{"no UIDs", Spec{}, "n: must be between 1 and 4096, got 0"},
		{"stakes", Spec{N: 2, Stakes: []uint64{1}}, "stakes: has 1 entries, want n=2"},
		{"owner", Spec{N: 1, Stakes: []uint64{1}, OwnerUID: &owner, Params: yuma.DefaultParams()}, "owner_uid: UID 5 out of range"},
		{"params", Spec{N: 1, Stakes: []uint64{1}}, "params: yuma: invalid params: max_allowed_validators"},
		{"weights", Spec{N: 2, Stakes: []uint64{1, 1}, Params: yuma.DefaultParams(), Epochs: []Epoch{{Weights: []WeightsUpdate{{UID: 0, Weights: ws(1, 1, 1, 2)}}}}}, `epochs[0].weights["0"]: duplicate target UID 1`},
		{"register", Spec{N: 2, Stakes: []uint64{1, 1}, Params: yuma.DefaultParams(), Epochs: []Epoch{{Register: []uint16{2}}}}, "epochs[0].register[0]: UID 2 out of range"},
		{"state length", Spec{N: 2, Stakes: []uint64{1, 1}, Params: yuma.DefaultParams(), State: State{RegisteredAt: []uint64{1}}}, "state.registered_at: has 1 entries, want n=2"},
		{"state weights", Spec{N: 2, Stakes: []uint64{1, 1}, Params: yuma.DefaultParams(), State: State{Weights: []WeightsUpdate{{UID: 2}}}}, `state.weights["2"]: validator UID 2 out of range`},
		{"state bonds", Spec{N: 2, Stakes: []uint64{1, 1}, Params: yuma.DefaultParams(), State: State{Bonds: []BondsUpdate{{UID: 1, Bonds: []yuma.Bond{{UID: 0, Value: yuma.One + 1}}}}}}, `state.bonds["1"]: bond`},
		{"block order", Spec{N: 1, Stakes: []uint64{1}, Params: yuma.DefaultParams(), Epochs: []Epoch{{Block: 5}, {Block: 3}}}, "epochs[1].block: must be after the previous epoch's block 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Simulate(&tt.sc); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
