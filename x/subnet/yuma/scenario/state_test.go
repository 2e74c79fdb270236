package scenario

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// inputScenario writes a one-epoch scenario that replays in: its state, block, emission
// and params, with every fraction written exactly (yuma.Fixed.String).
func inputScenario(in yuma.Input) string {
	var b strings.Builder
	list := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	u64s := func(xs []uint64) string {
		return list(len(xs), func(i int) string { return strconv.FormatUint(xs[i], 10) })
	}
	n := len(in.Stake)
	owner := "null"
	if in.HasOwner {
		owner = strconv.Itoa(int(in.OwnerUID))
	}
	p := in.Params
	fmt.Fprintf(&b, `{"n": %d, "stakes": %s, "emission": 1, "owner_uid": %s,`, n, u64s(in.Stake), owner)
	fmt.Fprintf(&b, `"params": {"kappa": %s, "bonds_moving_average": %d, "bonds_penalty": %s, "activity_cutoff": %d,
		"max_allowed_validators": %d, "tempo": %d, "yuma3": %t, "liquid_alpha": %t, "alpha_low": %s, "alpha_high": %s,
		"alpha_sigmoid_steepness": %d},`, p.Kappa, p.BondsMovingAverage, p.BondsPenalty, p.ActivityCutoff,
		p.MaxAllowedValidators, p.Tempo, p.Yuma3, p.LiquidAlpha, p.AlphaLow, p.AlphaHigh, p.AlphaSigmoidSteepness)
	weights := list(n, func(i int) string {
		return fmt.Sprintf("%q: ", strconv.Itoa(i)) + list(len(in.Weights[i]), func(k int) string {
			return fmt.Sprintf("[%d, %d]", in.Weights[i][k].UID, in.Weights[i][k].Value)
		})
	})
	bonds := list(n, func(i int) string {
		return fmt.Sprintf("%q: ", strconv.Itoa(i)) + list(len(in.Bonds[i]), func(k int) string {
			return fmt.Sprintf("[%d, %s]", in.Bonds[i][k].UID, in.Bonds[i][k].Value)
		})
	})
	fmt.Fprintf(&b, `"state": {"registered_at": %s, "last_update": %s, "validator_permit": %s, "weights": {%s}, "bonds": {%s}},`,
		u64s(in.RegisteredAt), u64s(in.LastUpdate),
		list(n, func(i int) string { return strconv.FormatBool(in.ValidatorPermit[i]) }),
		weights[1:len(weights)-1], bonds[1:len(bonds)-1])
	fmt.Fprintf(&b, `"epochs": [{"block": %d, "emission": %d}]}`, in.Block, in.Emission)
	return b.String()
}

// TestSimulateReplaysState checks that a scenario with a "state", a block, an emission
// and a tempo replays an arbitrary epoch exactly: the simulator prints what yuma.Run returns
// for the same yuma.Input.
func TestSimulateReplaysState(t *testing.T) {
	g := &gen{s: 21}
	for c := range 300 {
		in := randomInput(g, 1+g.intn(24))
		out, err := yuma.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		var want, got bytes.Buffer
		if err := (&Result{Epochs: []EpochResult{{Block: in.Block, Output: out}}}).WriteJSON(&want); err != nil {
			t.Fatal(err)
		}
		sc := inputScenario(in)
		if err := SimulateJSON(strings.NewReader(sc), &got); err != nil {
			t.Fatalf("case %d: %v\n%s", c, err, sc)
		}
		if got.String() != want.String() {
			t.Fatalf("case %d: replay differs\nscenario %s\ngot  %s\nwant %s", c, sc, got.String(), want.String())
		}
	}
}

// TestSimulateEpochBlocks checks the default blocks (the previous epoch's plus one) and
// explicit ones, and a per-epoch emission: with tempo 10, a UID registered at block 5 is
// recent at block 12 (its bonds are reset) but not at block 16.
func TestSimulateEpochBlocks(t *testing.T) {
	sc, err := Parse(strings.NewReader(`{"n": 2, "stakes": [1, 0], "emission": 10, "params": {"tempo": 10},
		"state": {"registered_at": [0, 5], "validator_permit": [true, false], "bonds": {"0": [[1, 0.5]]}},
		"epochs": [{"block": 12}, {}, {"block": 16, "emission": 7}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Simulate(sc)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []uint64
	for _, ep := range res.Epochs {
		blocks = append(blocks, ep.Block)
	}
	if fmt.Sprint(blocks) != "[12 13 16]" {
		t.Fatalf("blocks %v, want [12 13 16]", blocks)
	}
	if len(res.Epochs[0].Output.Bonds[0]) != 0 {
		t.Fatalf("bond on UID 1 (registered at 5 > 12 - 10) was not reset: %v", res.Epochs[0].Output.Bonds[0])
	}
	if e := res.Epochs[2].Output.Emission; e[0]+e[1] != 7 {
		t.Fatalf("block 16 paid %v, want 7 in all", e)
	}
}
