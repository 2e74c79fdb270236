package textline

import (
	"errors"
	"image/color"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func TestRegistered(t *testing.T) {
	got, err := task.Get(Kind)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind() != Kind {
		t.Fatalf("Get(%q).Kind() = %q", Kind, got.Kind())
	}
	if _, ok := got.(task.ModelMaker); !ok {
		t.Error("textline is not a task.ModelMaker")
	}
	if _, ok := got.(task.Evaluator); !ok {
		t.Error("textline is not a task.Evaluator")
	}
}

func TestSpecChecks(t *testing.T) {
	env := testEnv(t)
	def := Task{}.DefaultSpec()
	if err := def.Validate(); err != nil {
		t.Fatalf("DefaultSpec does not pass x/subnet's validation: %v", err)
	}
	if _, err := (Task{}).New(def, env); err != nil {
		t.Fatalf("New(DefaultSpec) = %v", err)
	}
	renamed := Task{}.DefaultSpec()
	renamed.Inputs[0].Name, renamed.Outputs[0].Name, renamed.Scoring = "image", "probs", ""
	if _, err := (Task{}).New(renamed, env); err != nil {
		t.Fatalf("New with other tensor names and the default scoring = %v, want them accepted", err)
	}
	for name, mutate := range map[string]func(*subnettypes.TaskSpec){
		"kind":          func(s *subnettypes.TaskSpec) { s.Kind = "digits-classification" },
		"scoring":       func(s *subnettypes.TaskSpec) { s.Scoring = "accuracy" },
		"two inputs":    func(s *subnettypes.TaskSpec) { s.Inputs = append(s.Inputs, s.Inputs[0]) },
		"no output":     func(s *subnettypes.TaskSpec) { s.Outputs = nil },
		"input height":  func(s *subnettypes.TaskSpec) { s.Inputs[0].Shape = []int64{-1, 3, 32, -1} },
		"input dtype":   func(s *subnettypes.TaskSpec) { s.Inputs[0].Dtype = "int64" },
		"class count":   func(s *subnettypes.TaskSpec) { s.Outputs[0].Shape = []int64{-1, -1, 97} },
		"output rank":   func(s *subnettypes.TaskSpec) { s.Outputs[0].Shape = []int64{-1, 6625} },
		"output dtype":  func(s *subnettypes.TaskSpec) { s.Outputs[0].Dtype = "int64" },
		"fixed batch":   func(s *subnettypes.TaskSpec) { s.Inputs[0].Shape = []int64{1, 3, 48, -1} },
		"channel count": func(s *subnettypes.TaskSpec) { s.Inputs[0].Shape = []int64{-1, 1, 48, -1} },
	} {
		t.Run(name, func(t *testing.T) {
			spec := Task{}.DefaultSpec()
			mutate(&spec)
			if _, err := (Task{}).New(spec, env); !errors.Is(err, task.ErrBadSpec) {
				t.Fatalf("New = %v, want ErrBadSpec", err)
			}
		})
	}
	if _, err := (Task{}).New(def, task.Env{CacheDir: env.CacheDir, Settings: map[string]any{"fonts": "x"}}); err == nil || !strings.Contains(err.Error(), "fonts") {
		t.Errorf("New with an unknown setting = %v, want an error naming it", err)
	}
	if err := (Task{}).CheckSettings(map[string]any{"b": 1, "a": 2}); err == nil || !strings.Contains(err.Error(), "a, b") {
		t.Errorf("CheckSettings = %v, want both keys named, sorted", err)
	}
	if err := (Task{}).CheckSettings(map[string]any{}); err != nil {
		t.Errorf("CheckSettings(empty) = %v", err)
	}
	if _, err := (Task{}).New(def, task.Env{CacheDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "scripts/fetch-") {
		t.Errorf("New with an empty cache = %v, want an error naming the fetch script", err)
	}
}

func TestChallengeShapeAndContent(t *testing.T) {
	in := testInstance(t)
	c, err := in.Challenge(newRand(1), 24)
	if err != nil {
		t.Fatal(err)
	}
	x := c.Inputs[InputName]
	W := x.Shape[3]
	if c.Rows != 24 || len(c.Inputs) != 1 || x.DType != onnx.Float32 || !slices.Equal(x.Shape[:3], []int64{24, 3, Height}) ||
		W%StepWidth != 0 || W > MaxWidth || int64(len(x.Float32)) != 24*3*Height*W {
		t.Fatalf("challenge input is %s %v with %d values, want float32 [24, 3, 48, W<=%d, W%%8=0]", x.DType, x.Shape, len(x.Float32), MaxWidth)
	}
	for _, v := range x.Float32 {
		if v < -1 || v > 1 || math.IsNaN(float64(v)) {
			t.Fatalf("input value %v outside [-1, 1]", v)
		}
	}
	texts := c.Truth.(Truth).Texts
	distinct := map[string]bool{}
	for _, text := range texts {
		n := len([]rune(text))
		if n < MinChars || n > MaxChars || !in.dict.Covers(text) || strings.TrimSpace(text) != text || strings.Contains(text, "  ") {
			t.Errorf("line %q: %d characters, want %d..%d from the dictionary, single spaces inside", text, n, MinChars, MaxChars)
		}
		distinct[text] = true
	}
	if len(distinct) < 20 {
		t.Errorf("only %d distinct lines in 24: %q", len(distinct), texts)
	}
	for _, rows := range []int{0, -1, MaxRows + 1} {
		if _, err := in.Challenge(newRand(1), rows); err == nil {
			t.Errorf("Challenge(%d rows) succeeded", rows)
		}
	}
}

func TestChallengeReproducibleAndFresh(t *testing.T) {
	in := testInstance(t)
	a, err := in.Challenge(newRand(7), 8)
	if err != nil {
		t.Fatal(err)
	}
	b, err := in.Challenge(newRand(7), 8)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different challenges")
	}
	for seed := uint64(8); seed < 11; seed++ {
		c, err := in.Challenge(newRand(seed), 8)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(c.Truth, a.Truth) || reflect.DeepEqual(c.Inputs, a.Inputs) {
			t.Fatalf("seed %d repeated seed 7's challenge", seed)
		}
		for i, text := range c.Truth.(Truth).Texts {
			if text == a.Truth.(Truth).Texts[i] {
				t.Errorf("seed %d row %d repeats seed 7's line %q", seed, i, text)
			}
		}
	}
}

// TestRenderStyles checks that the style's random draws stay within their
// documented ranges and that every font renders a line of ink on paper.
func TestRenderStyles(t *testing.T) {
	in := testInstance(t)
	rng := newRand(3)
	for i := 0; i < 200; i++ {
		st := in.corpus.RandomStyle(rng)
		if st.Size < 20 || st.Size > 44 || math.Abs(st.Angle) > 2*math.Pi/180 || st.Blur > 1.1 || st.Noise > 20 ||
			st.Background.R < 173 || st.Ink.R > 114 {
			t.Fatalf("style %+v outside its ranges", st)
		}
	}
	for f, name := range in.corpus.FontNames() {
		st := Style{Font: f, Size: 32, Background: colorGrey(240), Ink: colorGrey(10), PadLeft: .2, PadRight: .2, PadTop: .1, PadBottom: .1}
		img, err := in.corpus.Render(rng, "Hello 42", st)
		if err != nil {
			t.Fatal(err)
		}
		dark, light := 0, 0
		for i := 0; i < len(img.Pix); i += 4 {
			switch {
			case img.Pix[i] < 60:
				dark++
			case img.Pix[i] > 200:
				light++
			}
		}
		b := img.Bounds()
		if b.Dy() < 32 || b.Dy() > 64 || b.Dx() < 2*b.Dy() || dark < 200 || light < dark {
			t.Errorf("font %s: %dx%d image with %d dark and %d light pixels; want a wide crop of dark ink on light paper",
				name, b.Dx(), b.Dy(), dark, light)
		}
	}
	if _, err := in.corpus.Render(rng, "x", Style{Font: len(in.corpus.FontNames()), Size: 20}); err == nil {
		t.Error("Render with a font out of range succeeded")
	}
}

func TestScoreHandMadeOutputs(t *testing.T) {
	in := testInstance(t)
	c, err := in.Challenge(newRand(11), 4)
	if err != nil {
		t.Fatal(err)
	}
	texts := c.Truth.(Truth).Texts
	T := int(c.Inputs[InputName].Shape[3]) / StepWidth
	score := func(out onnx.Tensor) []float64 {
		t.Helper()
		s, err := in.Score(c, task.Tensors{OutputName: out})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := score(oneHot(t, in.dict, texts, T)); !slices.Equal(s, []float64{1, 1, 1, 1}) {
		t.Errorf("perfect output scored %v, want all 1", s)
	}
	wrong := make([]string, len(texts))
	for i, text := range texts {
		wrong[i] = strings.Map(func(r rune) rune {
			if r == ' ' {
				return r
			}
			return '#'
		}, text)
	}
	for i, s := range score(oneHot(t, in.dict, wrong, T)) {
		if s > 0.35 { // only the spaces are right
			t.Errorf("row %d: reading %q as %q scored %v, want at most 0.35", i, texts[i], wrong[i], s)
		}
	}
	empty := make([]string, len(texts))
	if s := score(oneHot(t, in.dict, empty, T)); !slices.Equal(s, []float64{0, 0, 0, 0}) {
		t.Errorf("empty output scored %v, want all 0", s)
	}
	// One character dropped from row 0 costs 1/len; a NaN row scores 0
	// without failing the others.
	partial := slices.Clone(texts)
	partial[0] = texts[0][1:]
	out := oneHot(t, in.dict, partial, T)
	out.Float32[len(out.Float32)-1] = float32(math.NaN())
	s := score(out)
	if want := 1 - 1/float64(len([]rune(texts[0]))); math.Abs(s[0]-want) > 1e-12 || s[1] != 1 || s[2] != 1 || s[3] != 0 {
		t.Errorf("scores %v, want [%v 1 1 0]", s, want)
	}
}

func TestScoreMalformedOutputs(t *testing.T) {
	in := testInstance(t)
	c, err := in.Challenge(newRand(12), 3)
	if err != nil {
		t.Fatal(err)
	}
	W := c.Inputs[InputName].Shape[3]
	good := oneHot(t, in.dict, c.Truth.(Truth).Texts, int(W/StepWidth))
	C := int64(in.dict.Classes())
	for _, tc := range []struct {
		name    string
		outputs task.Tensors
		msg     string
	}{
		{"missing output", task.Tensors{"other": good}, `no output "softmax_11.tmp_0"`},
		{"int64", task.Tensors{OutputName: onnx.NewInt64Tensor(good.Shape, make([]int64, len(good.Float32)))}, `dtype "int64", want "float32"`},
		{"rank 2", task.Tensors{OutputName: onnx.NewFloat32Tensor([]int64{3, C}, make([]float32, 3*C))}, "want rank 3"},
		{"too few rows", task.Tensors{OutputName: onnx.NewFloat32Tensor([]int64{2, 4, C}, make([]float32, 2*4*C))}, "2 rows, want 3"},
		{"wrong classes", task.Tensors{OutputName: onnx.NewFloat32Tensor([]int64{3, 4, 97}, make([]float32, 3*4*97))}, "does not fit [-1 -1 6625]"},
		{"no steps", task.Tensors{OutputName: onnx.NewFloat32Tensor([]int64{3, 0, C}, nil)}, "does not fit"},
		{"more steps than columns", task.Tensors{OutputName: onnx.NewFloat32Tensor([]int64{3, W + 1, C}, make([]float32, 3*(W+1)*C))}, "time steps for"},
		{"short data", task.Tensors{OutputName: onnx.NewFloat32Tensor(good.Shape, good.Float32[1:])}, "values for shape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := in.Score(c, tc.outputs)
			if !errors.Is(err, task.ErrBadOutput) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Score = %v, want ErrBadOutput mentioning %q", err, tc.msg)
			}
			if _, _, err := in.Sample(c, tc.outputs, []int{0}); !errors.Is(err, task.ErrBadOutput) {
				t.Fatalf("Sample = %v, want ErrBadOutput", err)
			}
		})
	}
	if _, err := in.Score(task.Challenge{Rows: 3, Truth: "not textline"}, task.Tensors{OutputName: good}); err == nil {
		t.Error("Score of a foreign challenge succeeded")
	}
}

func TestSample(t *testing.T) {
	in := testInstance(t)
	c, err := in.Challenge(newRand(13), 5)
	if err != nil {
		t.Fatal(err)
	}
	x := c.Inputs[InputName]
	W := int(x.Shape[3])
	out := oneHot(t, in.dict, c.Truth.(Truth).Texts, W/StepWidth)
	ins, outs, err := in.Sample(c, task.Tensors{OutputName: out}, []int{4, 1})
	if err != nil {
		t.Fatal(err)
	}
	sx, so := ins[InputName], outs[OutputName]
	if !slices.Equal(sx.Shape, []int64{2, 3, Height, int64(W)}) || !slices.Equal(so.Shape, []int64{2, out.Shape[1], out.Shape[2]}) {
		t.Fatalf("sample shapes %v, %v", sx.Shape, so.Shape)
	}
	rowIn, rowOut := 3*Height*W, len(out.Float32)/5
	if !slices.Equal(sx.Float32[:rowIn], x.Float32[4*rowIn:5*rowIn]) || !slices.Equal(sx.Float32[rowIn:], x.Float32[rowIn:2*rowIn]) ||
		!slices.Equal(so.Float32[:rowOut], out.Float32[4*rowOut:5*rowOut]) || !slices.Equal(so.Float32[rowOut:], out.Float32[rowOut:2*rowOut]) {
		t.Fatal("Sample did not return rows 4 and 1, in that order")
	}
	for _, idx := range [][]int{{5}, {-1}} {
		if _, _, err := in.Sample(c, task.Tensors{OutputName: out}, idx); err == nil {
			t.Errorf("Sample(%v) succeeded", idx)
		}
	}
}

func colorGrey(v uint8) color.NRGBA { return color.NRGBA{R: v, G: v, B: v, A: 255} }

// TestChallengeConcurrent makes the same challenge from several goroutines
// at once: the instance is shared by a validator's concurrent queries.
func TestChallengeConcurrent(t *testing.T) {
	in := testInstance(t)
	want, err := in.Challenge(newRand(5), 4)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]task.Challenge, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], errs[i] = in.Challenge(newRand(5), 4) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || !reflect.DeepEqual(got[i], want) {
			t.Fatalf("goroutine %d: %v, or a different challenge from the same seed", i, errs[i])
		}
	}
}

// FuzzScore feeds outputs of any shape and values: Score never panics, and
// either fails with ErrBadOutput or returns one score in [0, 1] per row.
func FuzzScore(f *testing.F) {
	f.Add(int8(2), int8(5), int16(6625), float32(0.5), uint16(3))
	f.Add(int8(2), int8(0), int16(6625), float32(1), uint16(0))
	f.Add(int8(1), int8(5), int16(12), float32(-1), uint16(7))
	in := testInstance(f)
	c, err := in.Challenge(newRand(41), 2)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rows, steps int8, classes int16, v float32, hot uint16) {
		n := int(rows) * int(steps) * int(classes)
		if n < 0 || n > 1<<22 {
			return
		}
		data := make([]float32, n)
		for i := int(hot); i < n; i += int(hot) + 1 {
			data[i] = v
		}
		out := onnx.NewFloat32Tensor([]int64{int64(rows), int64(steps), int64(classes)}, data)
		scores, err := in.Score(c, task.Tensors{OutputName: out})
		if err != nil {
			if !errors.Is(err, task.ErrBadOutput) {
				t.Fatalf("Score error %v does not wrap ErrBadOutput", err)
			}
			return
		}
		if len(scores) != c.Rows {
			t.Fatalf("%d scores for %d rows", len(scores), c.Rows)
		}
		for _, s := range scores {
			if s < 0 || s > 1 || math.IsNaN(s) {
				t.Fatalf("score %v outside [0, 1]", s)
			}
		}
	})
}
