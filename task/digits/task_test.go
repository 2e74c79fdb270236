package digits_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// instance returns the registered digits task on its default spec.
func instance(t *testing.T) task.Instance {
	t.Helper()
	inst, err := task.Instantiate(digits.Task{}.DefaultSpec(), task.Env{Settings: map[string]any{"data_path": ortlib.DigitsPath(t)}})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestRegistered(t *testing.T) {
	got, err := task.Get(digits.Kind)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind() != digits.Kind || got.DefaultSpec().Scoring != digits.ScoringAccuracy {
		t.Fatalf("registered %q with scoring %q", got.Kind(), got.DefaultSpec().Scoring)
	}
	for _, iface := range []struct {
		name string
		ok   bool
	}{
		{"ModelMaker", is[task.ModelMaker](got)}, {"Evaluator", is[task.Evaluator](got)},
		{"Trainer", is[task.Trainer](got)}, {"SettingsChecker", is[task.SettingsChecker](got)},
	} {
		if !iface.ok {
			t.Errorf("the digits task does not implement task.%s", iface.name)
		}
	}
}

func is[T any](v any) bool { _, ok := v.(T); return ok }

func TestNewChecksTheSpec(t *testing.T) {
	env := task.Env{Settings: map[string]any{"data_path": ortlib.DigitsPath(t)}}
	for _, tc := range []struct {
		name    string
		mutate  func(*subnettypes.TaskSpec)
		wantErr string // "" accepts
	}{
		{"default", func(*subnettypes.TaskSpec) {}, ""},
		{"empty scoring means accuracy", func(s *subnettypes.TaskSpec) { s.Scoring = "" }, ""},
		{"other names and a fixed batch", func(s *subnettypes.TaskSpec) {
			s.Inputs[0].Name, s.Outputs[0].Name, s.Inputs[0].Shape[0] = "x", "y", 16
		}, ""},
		{"unknown scoring", func(s *subnettypes.TaskSpec) { s.Scoring = "top5" }, `scoring "top5"`},
		{"another kind", func(s *subnettypes.TaskSpec) { s.Kind = "textline" }, `kind "textline"`},
		{"wrong input width", func(s *subnettypes.TaskSpec) { s.Inputs[0].Shape[1] = 63 }, "inputs"},
		{"int64 output", func(s *subnettypes.TaskSpec) { s.Outputs[0].Dtype = "int64" }, "outputs"},
		{"two inputs", func(s *subnettypes.TaskSpec) { s.Inputs = append(s.Inputs, s.Inputs[0]) }, "inputs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := digits.Task{}.DefaultSpec()
			spec.Inputs = slices.Clone(spec.Inputs)
			spec.Inputs[0].Shape = slices.Clone(spec.Inputs[0].Shape)
			tc.mutate(&spec)
			inst, err := digits.Task{}.New(spec, env)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if inst.Spec().Kind != spec.Kind {
					t.Fatalf("instance spec %v", inst.Spec())
				}
				return
			}
			if !errors.Is(err, task.ErrBadSpec) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want ErrBadSpec naming %q", err, tc.wantErr)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	data := ortlib.DigitsPath(t)
	for _, tc := range []struct {
		name     string
		settings map[string]any
		wantErr  string
	}{
		{"none", nil, ""},
		{"numbers of any type and strings", map[string]any{"rotate": 20, "noise": "2.5", "shift": 1.0, "data_path": data}, ""},
		{"unknown key", map[string]any{"rotation": 10}, `unknown setting "rotation"`},
		{"out of bounds", map[string]any{"rotate": 40}, "rotate must be in [0, 30]"},
		{"not a number", map[string]any{"noise": "loud"}, `noise: "loud" is not a number`},
		{"wrong type", map[string]any{"scale": true}, "scale: want a number"},
		{"path not a string", map[string]any{"data_path": 3}, "data_path: want a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := digits.Task{}.CheckSettings(tc.settings)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error naming %q", err, tc.wantErr)
			}
		})
	}
	s, err := digits.DecodeSettings(task.Env{Settings: map[string]any{"rotate": "20", "noise": 2}})
	if err != nil || s.Augment.Rotate != 20 || s.Augment.Noise != 2 || s.Augment.Scale != digits.DefaultAugment().Scale {
		t.Fatalf("decoded %+v, %v", s, err)
	}
	_, err = digits.Task{}.New(digits.Task{}.DefaultSpec(), task.Env{Settings: map[string]any{"data_path": t.TempDir() + "/none.csv.gz"}})
	if err == nil || !strings.Contains(err.Error(), "scripts/fetch-digits.sh") {
		t.Fatalf("a missing data set: %v, want an error naming scripts/fetch-digits.sh", err)
	}
}

// oneHot returns outputs whose highest probability is at labels[r] + shift.
func oneHot(labels []int, shift int) task.Tensors {
	p := make([]float32, len(labels)*digits.NumClasses)
	for r, l := range labels {
		for k := range digits.NumClasses {
			p[r*digits.NumClasses+k] = 0.01
		}
		p[r*digits.NumClasses+(l+shift)%digits.NumClasses] = 0.91
	}
	return task.Tensors{digits.OutputName: onnx.NewFloat32Tensor([]int64{int64(len(labels)), digits.NumClasses}, p)}
}

func TestScore(t *testing.T) {
	inst := instance(t)
	c, err := inst.Challenge(rand.New(rand.NewPCG(1, 2)), 8)
	if err != nil {
		t.Fatal(err)
	}
	labels := c.Truth.([]int)
	nan := oneHot(labels, 0)
	nan[digits.OutputName].Float32[3*digits.NumClasses+2] = float32(math.NaN())
	inf := oneHot(labels, 0)
	inf[digits.OutputName].Float32[5*digits.NumClasses] = float32(math.Inf(-1))
	for _, tc := range []struct {
		name    string
		outputs task.Tensors
		want    []float64
	}{
		{"perfect", oneHot(labels, 0), []float64{1, 1, 1, 1, 1, 1, 1, 1}},
		{"all wrong", oneHot(labels, 1), []float64{0, 0, 0, 0, 0, 0, 0, 0}},
		{"a NaN row scores 0", nan, []float64{1, 1, 1, 0, 1, 1, 1, 1}},
		{"an infinite row scores 0", inf, []float64{1, 1, 1, 1, 1, 0, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := inst.Score(c, tc.outputs)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("scores %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScoreRejectsMalformedOutputs(t *testing.T) {
	inst := instance(t)
	c, err := inst.Challenge(rand.New(rand.NewPCG(1, 2)), 4)
	if err != nil {
		t.Fatal(err)
	}
	good := oneHot(c.Truth.([]int), 0)[digits.OutputName]
	for _, tc := range []struct {
		name    string
		outputs task.Tensors
		wantErr string
	}{
		{"missing", task.Tensors{"logits": good}, `no output "probabilities"`},
		{"wrong width", task.Tensors{digits.OutputName: onnx.NewFloat32Tensor([]int64{4, 9}, good.Float32[:36])}, "does not fit"},
		{"wrong rows", task.Tensors{digits.OutputName: onnx.NewFloat32Tensor([]int64{3, 10}, good.Float32[:30])}, "3 rows, want 4"},
		{"rank 1", task.Tensors{digits.OutputName: onnx.NewFloat32Tensor([]int64{40}, good.Float32)}, "want rank 2"},
		{"int64", task.Tensors{digits.OutputName: onnx.NewInt64Tensor([]int64{4, 10}, make([]int64, 40))}, `dtype "int64"`},
		{"short data", task.Tensors{digits.OutputName: onnx.NewFloat32Tensor([]int64{4, 10}, good.Float32[:39])}, "39 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inst.Score(c, tc.outputs)
			if !errors.Is(err, task.ErrBadOutput) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want ErrBadOutput naming %q", err, tc.wantErr)
			}
			if _, _, err := inst.Sample(c, tc.outputs, []int{0}); !errors.Is(err, task.ErrBadOutput) {
				t.Fatalf("Sample: got %v, want ErrBadOutput", err)
			}
		})
	}
}

func TestSample(t *testing.T) {
	inst := instance(t)
	c, err := inst.Challenge(rand.New(rand.NewPCG(3, 4)), 6)
	if err != nil {
		t.Fatal(err)
	}
	out := oneHot(c.Truth.([]int), 0)
	in, minerOut, err := inst.Sample(c, out, []int{4, 1})
	if err != nil {
		t.Fatal(err)
	}
	x, p := c.Inputs[digits.InputName].Float32, out[digits.OutputName].Float32
	want := append(slices.Clone(x[4*64:5*64]), x[1*64:2*64]...)
	if got := in[digits.InputName]; !slices.Equal(got.Shape, []int64{2, 64}) || !slices.Equal(got.Float32, want) {
		t.Fatalf("sampled inputs %v, want rows 4 and 1", got.Shape)
	}
	wantP := append(slices.Clone(p[40:50]), p[10:20]...)
	if got := minerOut[digits.OutputName]; !slices.Equal(got.Shape, []int64{2, 10}) || !slices.Equal(got.Float32, wantP) {
		t.Fatalf("sampled outputs %v %v, want rows 4 and 1", got.Shape, got.Float32)
	}
	if _, _, err := inst.Sample(c, out, []int{6}); err == nil {
		t.Fatal("row 6 of 6 sampled")
	}
}

func TestCodecJSONRoundTrip(t *testing.T) {
	inst := instance(t)
	codec := inst.Codec()
	c, err := inst.Challenge(rand.New(rand.NewPCG(5, 6)), 3)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := codec.EncodeJSON(c.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := codec.DecodeJSON(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := c.Inputs[digits.InputName]
	if g := got[digits.InputName]; !slices.Equal(g.Shape, want.Shape) || !slices.Equal(g.Float32, want.Float32) {
		t.Fatalf("round trip changed the inputs: %v", g.Shape)
	}
	one := `{"pixels": [` + strings.TrimSuffix(strings.Repeat("16,", 63)+"8", ",") + `]}`
	got, err = codec.DecodeJSON([]byte(one))
	if err != nil {
		t.Fatal(err)
	}
	if g := got[digits.InputName]; !slices.Equal(g.Shape, []int64{1, 64}) || g.Float32[0] != 1 || g.Float32[63] != 0.5 {
		t.Fatalf("one image decoded to %v %v", g.Shape, g.Float32)
	}
	for _, bad := range []string{
		``, `[]`, `{"pixels": []}`, `{"pixels": [1, 2]}`, `{"pixels": [[` + strings.Repeat("1,", 63) + `17]]}`,
		`{"pixels": [` + strings.Repeat("1,", 63) + `-1]}`, `{"pixels": "x"}`, `{"image": [1]}`, `{"pixels": [[]]}`,
	} {
		if _, err := codec.DecodeJSON([]byte(bad)); !errors.Is(err, task.ErrBadPayload) {
			t.Errorf("DecodeJSON(%q): %v, want ErrBadPayload", bad, err)
		}
	}
}

// digitOne draws a dark vertical bar with a foot on a light w x h image:
// a "1" as someone might photograph it.
func digitOne(w, h int, ink, paper color.Color) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, paper)
			inBar := x >= w*9/20 && x < w*11/20 && y >= h/5 && y < h*4/5
			inFoot := x >= w*7/20 && x < w*13/20 && y >= h*3/4 && y < h*4/5
			if inBar || inFoot {
				img.Set(x, y, ink)
			}
		}
	}
	return img
}

func TestCodecDecodeImage(t *testing.T) {
	codec := instance(t).Codec()
	encode := func(img image.Image, asJPEG bool) []byte {
		var buf bytes.Buffer
		var err error
		if asJPEG {
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
		} else {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	dark := digitOne(120, 160, color.Black, color.White)
	x, err := codec.DecodeImage("image/png", encode(dark, false))
	if err != nil {
		t.Fatal(err)
	}
	f := x[digits.InputName].Float32
	// the bar fills the height and sits in the middle columns
	var middle, sides float32
	for i, v := range f {
		if v < 0 || v > 1 {
			t.Fatalf("feature %d is %v, want [0, 1]", i, v)
		}
		if col := i % 8; col == 3 || col == 4 {
			middle += v
		} else {
			sides += v
		}
	}
	if middle < 8 || sides > middle/2 || f[3] == 0 && f[4] == 0 || f[59] == 0 && f[60] == 0 {
		t.Fatalf("a centred vertical bar decoded to %v (middle %v, sides %v)", f, middle, sides)
	}
	light := digitOne(120, 160, color.White, color.Black)
	inv, err := codec.DecodeImage("image/png", encode(light, false))
	if err != nil || !slices.Equal(inv[digits.InputName].Float32, f) {
		t.Fatalf("light ink on dark paper decodes differently: %v, %v", err, inv)
	}
	jp, err := codec.DecodeImage("image/jpeg; charset=binary", encode(dark, true))
	if err != nil || !slices.Equal(jp[digits.InputName].Float32, f) {
		t.Fatalf("the JPEG decodes differently: %v", err)
	}
	blank := digitOne(20, 20, color.White, color.White)
	for _, tc := range []struct {
		name, ctype string
		data        []byte
		want        error
	}{
		{"blank", "image/png", encode(blank, false), task.ErrBadPayload},
		{"not an image", "image/png", []byte("not a png"), task.ErrBadPayload},
		{"gif", "image/gif", encode(dark, false), task.ErrNotSupported},
	} {
		if _, err := codec.DecodeImage(tc.ctype, tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestCodecAnswer(t *testing.T) {
	codec := instance(t).Codec()
	answers, err := codec.Answer(oneHot([]int{7, 2}, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) != 2 || codec.Agree(answers[0]) != "7" || codec.Agree(answers[1]) != "2" {
		t.Fatalf("answers %v", answers)
	}
	if a := answers[0].(digits.Answer); a.Label != 7 || len(a.Probabilities) != 10 || a.Probabilities[7] != 0.91 {
		t.Fatalf("answer %+v", a)
	}
	nan := oneHot([]int{1}, 0)
	nan[digits.OutputName].Float32[0] = float32(math.NaN())
	if _, err := codec.Answer(nan); !errors.Is(err, task.ErrBadOutput) {
		t.Fatalf("a NaN answer: %v, want ErrBadOutput", err)
	}
	if _, err := codec.Answer(task.Tensors{}); !errors.Is(err, task.ErrBadOutput) {
		t.Fatalf("no output: %v, want ErrBadOutput", err)
	}
}

func TestInitModelIsTheUntrainedMLP(t *testing.T) {
	train, _, _, initial := fixtureData(t)
	got, err := digits.Task{}.InitModel(digits.DefaultTrainOptions().Seed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := initial.MarshalONNX()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("InitModel differs from Train with 0 epochs")
	}
	other, err := digits.Task{}.InitModel(2)
	if err != nil || bytes.Equal(other, got) {
		t.Fatalf("seed 2 gives the same model (%v)", err)
	}
	m := digits.NewMLP(digits.DefaultTrainOptions().Hidden, 1)
	if acc, err := m.Accuracy(train); err != nil || acc > 0.3 {
		t.Fatalf("the untrained model has accuracy %v (%v), want near chance", acc, err)
	}
}

func TestEvaluatorAndTrainer(t *testing.T) {
	env := task.Env{Settings: map[string]any{"data_path": ortlib.DigitsPath(t)}}
	opts := digits.Task{}.DefaultTrainOptions()
	epochs := 0
	opts.Progress = func(task.TrainProgress) { epochs++ }
	res, err := digits.Task{}.Train(opts, env)
	if err != nil {
		t.Fatal(err)
	}
	if epochs != opts.Epochs || res.HeldOut.Score < 0.93 || res.HeldOut.Items != 359 || !strings.Contains(res.Architecture, "64-32-10") {
		t.Fatalf("trained: %d epochs reported, %+v, %q", epochs, res.HeldOut, res.Architecture)
	}
	initRuntime(t)
	s, err := onnx.LoadSessionBytes(res.Model, onnx.SessionOptions{Device: onnx.DeviceCPU, IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSession(t, s)
	rep, err := digits.Task{}.Eval(s, env)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items != 359 || math.Abs(rep.Score-res.HeldOut.Score) > 0.01 || rep.Metrics["accuracy"] != rep.Score {
		t.Fatalf("eval %+v, trainer measured %+v", rep, res.HeldOut)
	}
}
