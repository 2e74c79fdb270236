package digits_test

import (
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// TestEvalAccuracy is the acceptance check for the digits model: measured
// through ONNX Runtime, the default training reaches at least 0.93 held-out
// accuracy and an untrained model stays at chance level.
func TestEvalAccuracy(t *testing.T) {
	_, held, trained, initial := fixtureData(t)
	tests := []struct {
		name     string
		m        *digits.MLP
		min, max float64
	}{
		{name: "default options", m: trained, min: 0.93, max: 1},
		{name: "zero epochs", m: initial, min: 0, max: 0.3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openSession(t, writeModel(t, tc.m))
			acc, n, err := digits.Eval(s, held)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("ONNX Runtime held-out accuracy %.4f on %d samples", acc, n)
			if n != held.Len() || acc < tc.min || acc > tc.max {
				t.Fatalf("accuracy %.4f on %d samples, want [%v, %v] on %d", acc, n, tc.min, tc.max, held.Len())
			}
		})
	}
}

func TestEvalRejectsOtherTasks(t *testing.T) {
	_, held, _, _ := fixtureData(t)
	initRuntime(t)
	f := onnxpbFloat
	tests := []struct {
		name    string
		b       []byte
		wantErr string
	}{
		{name: "wrong input width", b: handMadeModel(t, "Relu", tensorValue("x", f, 1, 32), tensorValue("y", f, 1, 32), 13),
			wantErr: "does not fit the digits task"},
		{name: "rank 1", b: handMadeModel(t, "Relu", tensorValue("x", f, 64), tensorValue("y", f, 64), 13),
			wantErr: "does not fit the digits task"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := onnx.LoadSessionBytes(tc.b, onnx.SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer closeSession(t, s)
			if _, _, err := digits.Eval(s, held); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
