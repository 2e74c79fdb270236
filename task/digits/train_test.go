package digits_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

func TestDigitsFile(t *testing.T) {
	d, err := digits.LoadDigits(ortlib.DigitsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 1797 {
		t.Fatalf("%d samples, want 1797", d.Len())
	}
	for i, v := range d.Features {
		if v < 0 || v > 1 {
			t.Fatalf("feature %d is %v, outside [0, 1]", i, v)
		}
	}
	// Validators and miners must agree on the held-out set: pin its size
	// and a digest of its labels, so a change to Split cannot go unnoticed.
	train, held := digits.Split(d, digits.SplitSeed)
	digest := 0
	for i, y := range held.Labels {
		digest = (digest*31 + y + i) % 1_000_003
	}
	if train.Len() != 1438 || held.Len() != 359 || digest != 600326 {
		t.Fatalf("split into %d/%d with label digest %d, want 1438/359 and 600326", train.Len(), held.Len(), digest)
	}
}

func TestTrainOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*digits.TrainOptions)
		wantErr string
	}{
		{name: "defaults", edit: func(*digits.TrainOptions) {}},
		{name: "zero epochs", edit: func(o *digits.TrainOptions) { o.Epochs = 0 }},
		{name: "negative epochs", edit: func(o *digits.TrainOptions) { o.Epochs = -1 }, wantErr: "epochs"},
		{name: "zero hidden", edit: func(o *digits.TrainOptions) { o.Hidden = 0 }, wantErr: "hidden"},
		{name: "huge hidden", edit: func(o *digits.TrainOptions) { o.Hidden = digits.MaxHidden + 1 }, wantErr: "hidden"},
		{name: "zero batch", edit: func(o *digits.TrainOptions) { o.BatchSize = 0 }, wantErr: "batch"},
		{name: "zero learning rate", edit: func(o *digits.TrainOptions) { o.LearningRate = 0 }, wantErr: "learning rate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := digits.DefaultTrainOptions()
			tc.edit(&o)
			err := o.Validate()
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestTrainRejectsBadInput(t *testing.T) {
	train, _, _, _ := fixtureData(t)
	bad := digits.DefaultTrainOptions()
	bad.LearningRate = -1
	tests := []struct {
		name string
		data *digits.Dataset
		opts digits.TrainOptions
	}{
		{name: "no data", data: &digits.Dataset{}, opts: digits.DefaultTrainOptions()},
		{name: "nil data", data: nil, opts: digits.DefaultTrainOptions()},
		{name: "bad options", data: train, opts: bad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := digits.Train(tc.data, nil, tc.opts); err == nil {
				t.Fatal("Train succeeded")
			}
		})
	}
}

func TestTrainDeterministic(t *testing.T) {
	train, _, _, _ := fixtureData(t)
	run := func(seed uint64) []byte {
		o := digits.DefaultTrainOptions()
		o.Epochs, o.Seed = 3, seed
		m, err := digits.Train(train, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalONNX()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := run(7), run(7), run(8)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different model files")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same model file")
	}
}

func TestTrainProgress(t *testing.T) {
	train, held, _, _ := fixtureData(t)
	tests := []struct {
		name    string
		heldOut *digits.Dataset
	}{
		{name: "with held-out set", heldOut: held},
		{name: "without held-out set", heldOut: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []digits.EpochStats
			o := digits.DefaultTrainOptions()
			o.Epochs = 5
			o.Progress = func(s digits.EpochStats) { got = append(got, s) }
			if _, err := digits.Train(train, tc.heldOut, o); err != nil {
				t.Fatal(err)
			}
			if len(got) != 5 {
				t.Fatalf("%d progress calls, want 5", len(got))
			}
			for i, s := range got {
				if s.Epoch != i+1 || s.Epochs != 5 || !(s.Loss > 0) {
					t.Fatalf("call %d: %+v", i, s)
				}
				if tc.heldOut == nil && s.HeldOutAccuracy != -1 {
					t.Fatalf("call %d: held-out accuracy %v without a held-out set", i, s.HeldOutAccuracy)
				}
				if tc.heldOut != nil && (s.HeldOutAccuracy < 0 || s.HeldOutAccuracy > 1) {
					t.Fatalf("call %d: held-out accuracy %v", i, s.HeldOutAccuracy)
				}
			}
			if got[4].Loss >= got[0].Loss {
				t.Fatalf("loss went from %v to %v", got[0].Loss, got[4].Loss)
			}
		})
	}
}

func TestTrainedAccuracyPureGo(t *testing.T) {
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
			acc, err := tc.m.Accuracy(held)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("held-out accuracy %.4f", acc)
			if acc < tc.min || acc > tc.max {
				t.Fatalf("held-out accuracy %.4f, want it in [%v, %v]", acc, tc.min, tc.max)
			}
		})
	}
}
