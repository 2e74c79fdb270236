package validator

import (
	"math/rand/v2"
	"testing"

	"github.com/tensorcosm/tensorcosm/model"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// glyph returns an 8x8 image with ink (1) at the given (x, y) pixels.
func glyph(pixels ...[2]int) []float32 {
	img := make([]float32, side*side)
	for _, p := range pixels {
		img[p[1]*side+p[0]] = 1
	}
	return img
}

func TestFitShift(t *testing.T) {
	center := glyph([2]int{3, 3}, [2]int{4, 4})
	leftEdge := glyph([2]int{0, 3})
	bottomEdge := glyph([2]int{5, 7})
	tests := []struct {
		name       string
		img        []float32
		d          int
		horizontal bool
		want       int
	}{
		{"no shift", center, 0, true, 0},
		{"room to the right", center, 2, true, 2},
		{"room to the left", center, -3, true, -3},
		{"ink on the left edge cannot go left", leftEdge, -1, true, 0},
		{"ink on the left edge can go right", leftEdge, 1, true, 1},
		{"ink on the bottom row cannot go down", bottomEdge, 1, false, 0},
		{"ink on the bottom row can go up", bottomEdge, -2, false, -2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fitShift(tc.img, tc.d, tc.horizontal); got != tc.want {
				t.Fatalf("fitShift(%d) = %d, want %d", tc.d, got, tc.want)
			}
		})
	}
}

func TestPerturb(t *testing.T) {
	src := glyph([2]int{2, 2}, [2]int{3, 2}, [2]int{2, 5})
	rng := rand.New(rand.NewPCG(3, 4))
	dst := make([]float32, side*side)
	t.Run("nothing to do", func(t *testing.T) {
		perturb(rng, PerturbConfig{}, src, dst)
		for i := range src {
			if dst[i] != src[i] {
				t.Fatalf("pixel %d = %v, want %v", i, dst[i], src[i])
			}
		}
	})
	t.Run("shifts keep every ink pixel", func(t *testing.T) {
		moved := 0
		for range 200 {
			perturb(rng, PerturbConfig{ShiftProb: 1, MaxShift: 2}, src, dst)
			var ink float32
			for _, v := range dst {
				ink += v
			}
			if ink != 3 {
				t.Fatalf("ink %v after a shift, want 3: %v", ink, dst)
			}
			if dst[2*side+2] != 1 {
				moved++
			}
		}
		if moved < 100 {
			t.Fatalf("only %d of 200 images moved", moved)
		}
	})
	t.Run("noise stays in range and is fresh", func(t *testing.T) {
		other := make([]float32, side*side)
		perturb(rng, PerturbConfig{Noise: 2}, src, dst)
		perturb(rng, PerturbConfig{Noise: 2}, src, other)
		same := 0
		for i, v := range dst {
			if v < 0 || v > 1 {
				t.Fatalf("pixel %d = %v outside [0, 1]", i, v)
			}
			if v == other[i] {
				same++
			}
		}
		if same > side*side/2+8 { // clamped background pixels coincide at 0 about half the time
			t.Fatalf("two perturbations of one image share %d of 64 pixels", same)
		}
	})
}

// TestChallengesKeepTheirLabels trains the digits MLP (pure Go) and checks
// that perturbed challenges are still the digits they are labelled: the
// trained model stays accurate on them, an untrained one does not.
func TestChallengesKeepTheirLabels(t *testing.T) {
	data := ortlib.DigitsPath(t)
	e, err := loadEvalSet(data)
	if err != nil {
		t.Fatal(err)
	}
	train, held, err := model.LoadDigitsSplit(data)
	if err != nil {
		t.Fatal(err)
	}
	trained, err := model.Train(train, held, model.DefaultTrainOptions())
	if err != nil {
		t.Fatal(err)
	}
	opts := model.DefaultTrainOptions()
	opts.Epochs = 0
	untrained, err := model.Train(train, held, opts)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	rng := rand.New(rand.NewPCG(5, 6))
	x, labels := make([]float32, n*model.NumFeatures), make([]int, n)
	e.challenge(rng, DefaultConfig().Perturb, x, labels)
	for name, tc := range map[string]struct {
		m        *model.MLP
		min, max float64
	}{"trained": {trained, 0.75, 1}, "untrained": {untrained, 0, 0.3}} {
		probs, err := tc.m.Forward(x, n)
		if err != nil {
			t.Fatal(err)
		}
		acc := accuracy(probs, labels)
		t.Logf("%s model: accuracy %.3f on %d perturbed challenges", name, acc, n)
		if acc < tc.min || acc > tc.max {
			t.Errorf("%s model: accuracy %.3f, want [%v, %v]", name, acc, tc.min, tc.max)
		}
	}
}
