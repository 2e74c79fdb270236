package digits

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// glyph returns an 8x8 image with ink (1) at the given (x, y) pixels.
func glyph(pixels ...[2]int) []float32 {
	img := make([]float32, NumFeatures)
	for _, p := range pixels {
		img[p[1]*side+p[0]] = 1
	}
	return img
}

// ink returns the total ink of img.
func ink(img []float32) float64 {
	var s float64
	for _, v := range img {
		s += float64(v)
	}
	return s
}

// maxAugment is every setting at its bound.
var maxAugment = Augment{Rotate: maxAugmentRotate, Scale: maxAugmentScale, Shear: maxAugmentShear,
	Shift: maxAugmentShift, Elastic: maxAugmentElastic, Stroke: maxAugmentStroke, Noise: maxPixel}

func TestAugmentValidate(t *testing.T) {
	tests := []struct {
		name    string
		a       Augment
		wantErr []string
	}{
		{name: "zero", a: Augment{}},
		{name: "default", a: DefaultAugment()},
		{name: "every bound", a: maxAugment},
		{name: "negative rotation", a: Augment{Rotate: -1}, wantErr: []string{"rotate must be in [0, 30], got -1"}},
		{name: "scale", a: Augment{Scale: 0.31}, wantErr: []string{"scale must be in [0, 0.3]"}},
		{name: "shear", a: Augment{Shear: 0.6}, wantErr: []string{"shear must be in [0, 0.5]"}},
		{name: "shift", a: Augment{Shift: 3}, wantErr: []string{"shift must be in [0, 2]"}},
		{name: "elastic", a: Augment{Elastic: math.Inf(1)}, wantErr: []string{"elastic must be in [0, 1]"}},
		{name: "stroke not a number", a: Augment{Stroke: math.NaN()}, wantErr: []string{"stroke must be in [0, 1]"}},
		{name: "noise", a: Augment{Noise: 17}, wantErr: []string{"noise must be in [0, 16]"}},
		{name: "every problem at once", a: Augment{Rotate: 90, Noise: -1},
			wantErr: []string{"rotate must be", "noise must be"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.a.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			for _, want := range tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("Validate() = %v, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestAugmentZeroIsIdentity(t *testing.T) {
	src := glyph([2]int{2, 2}, [2]int{3, 2}, [2]int{2, 5})
	src[4] = 0.25
	dst := make([]float32, NumFeatures)
	Augment{}.Apply(rand.New(rand.NewPCG(1, 2)), src, dst)
	for i := range src {
		if math.Abs(float64(dst[i]-src[i])) > 1e-6 {
			t.Fatalf("pixel %d = %v, want %v", i, dst[i], src[i])
		}
	}
}

// TestAugmentKeepsInkInside draws the largest geometric changes allowed
// for digits touching each edge: the fitted map must keep every inked pixel
// centre inside the image, and no ink may be lost off the edge.
func TestAugmentKeepsInkInside(t *testing.T) {
	a := Augment{Rotate: maxAugmentRotate, Scale: maxAugmentScale, Shear: maxAugmentShear, Shift: maxAugmentShift}
	tests := []struct {
		name string
		img  []float32
	}{
		{"left column", glyph([2]int{0, 1}, [2]int{0, 4}, [2]int{0, 6})},
		{"bottom row", glyph([2]int{1, 7}, [2]int{4, 7}, [2]int{7, 7})},
		{"corners", glyph([2]int{0, 0}, [2]int{7, 7}, [2]int{0, 7}, [2]int{7, 0})},
		{"centre", glyph([2]int{3, 3}, [2]int{4, 4})},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const c = float64(side-1) / 2
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 500 {
				m, shift := a.affine(rng, tc.img)
				lo, hi, ok := inkBox(m.fwd, tc.img)
				if !ok {
					t.Fatal("no ink found")
				}
				for k := range 2 {
					if lo[k]+shift[k] < -c-1e-9 || hi[k]+shift[k] > c+1e-9 {
						t.Fatalf("axis %d: ink spans [%v, %v] after the map, outside [-%v, %v]", k, lo[k]+shift[k], hi[k]+shift[k], c, c)
					}
				}
			}
		})
	}
}

func TestAugmentIsReproducibleAndFresh(t *testing.T) {
	src := glyph([2]int{2, 1}, [2]int{3, 2}, [2]int{3, 3}, [2]int{3, 4}, [2]int{2, 5}, [2]int{4, 5})
	draw := func(seed uint64) []float32 {
		dst := make([]float32, NumFeatures)
		DefaultAugment().Apply(rand.New(rand.NewPCG(seed, 0)), src, dst)
		return dst
	}
	a, b, other := draw(7), draw(7), draw(8)
	if !slices.Equal(a, b) {
		t.Fatalf("one seed gave two variants:\n%v\n%v", a, b)
	}
	if slices.Equal(a, other) {
		t.Fatal("two seeds gave the same variant")
	}
	for i, v := range a {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("pixel %d = %v outside [0, 1]", i, v)
		}
	}
}

func TestStroke(t *testing.T) {
	src := glyph([2]int{3, 1}, [2]int{3, 2}, [2]int{3, 3}, [2]int{3, 4}, [2]int{3, 5})
	src[2*side+4], src[4*side+2] = 0.5, 0.25 // partly covered pixels
	apply := func(s float64) []float32 {
		var img [NumFeatures]float64
		for i, v := range src {
			img[i] = float64(v)
		}
		stroke(&img, s)
		out := make([]float32, NumFeatures)
		for i, v := range img {
			out[i] = float32(v)
		}
		return out
	}
	tests := []struct {
		name               string
		s                  float64
		wantMore, wantLess bool
	}{
		{"none", 0, false, false},
		{"thicker", 0.8, true, false},
		{"thinner", -0.8, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := apply(tc.s)
			before, after := ink(src), ink(got)
			if tc.wantMore != (after > before+1e-6) || tc.wantLess != (after < before-1e-6) {
				t.Fatalf("ink %v -> %v for stroke %v", before, after, tc.s)
			}
			for i, v := range src {
				if v == 1 && got[i] != 1 {
					t.Fatalf("fully inked pixel %d became %v", i, got[i])
				}
			}
			// (2, 1) is blank beside the stroke's top: a thicker pen reaches it
			if spilled := got[1*side+2] > 0; spilled != tc.wantMore {
				t.Fatalf("pixel beside the stroke = %v for stroke %v", got[1*side+2], tc.s)
			}
		})
	}
}

func TestElasticField(t *testing.T) {
	var f elasticField
	for i := range f.dx {
		f.dx[i], f.dy[i] = float64(i), -float64(i)
	}
	tests := []struct {
		name           string
		x, y           float64
		wantDX, wantDY float64
	}{
		{"top left control point", 0, 0, 0, 0},
		{"centre control point", 3.5, 3.5, 4, -4},
		{"bottom right control point", 7, 7, 8, -8},
		{"between two control points", 1.75, 0, 0.5, -0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dx, dy := f.at(tc.x, tc.y)
			if math.Abs(dx-tc.wantDX) > 1e-12 || math.Abs(dy-tc.wantDY) > 1e-12 {
				t.Fatalf("at(%v, %v) = (%v, %v), want (%v, %v)", tc.x, tc.y, dx, dy, tc.wantDX, tc.wantDY)
			}
		})
	}
}

func TestAugmentDataset(t *testing.T) {
	d := &Dataset{Features: append(glyph([2]int{3, 3}), glyph([2]int{4, 4})...), Labels: []int{1, 7}}
	out := DefaultAugment().Dataset(d, 3, rand.New(rand.NewPCG(1, 1)))
	if out.Len() != 6 || len(out.Features) != 6*NumFeatures {
		t.Fatalf("got %d rows and %d features, want 6 rows", out.Len(), len(out.Features))
	}
	for i, want := range []int{1, 7, 1, 7, 1, 7} {
		if out.Labels[i] != want {
			t.Fatalf("labels %v, want the source labels repeated", out.Labels)
		}
	}
	if slices.Equal(out.Row(0), out.Row(2)) {
		t.Fatal("two copies of one image are the same variant")
	}
}

// FuzzAugmentApply checks that any image and any valid settings give a
// finite image in [0, 1].
func FuzzAugmentApply(f *testing.F) {
	f.Add(uint64(1), 12.0, 0.1, 0.15, 0.0, 0.4, 0.4, 1.0, float32(1))
	f.Add(uint64(2), 30.0, 0.3, 0.5, 2.0, 1.0, 1.0, 16.0, float32(0.5))
	f.Add(uint64(3), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, float32(0))
	f.Fuzz(func(t *testing.T, seed uint64, rotate, scale, shear, shift, elastic, strokeMax, noise float64, fill float32) {
		a := Augment{Rotate: rotate, Scale: scale, Shear: shear, Shift: shift, Elastic: elastic, Stroke: strokeMax, Noise: noise}
		if a.Validate() != nil || !(fill >= 0 && fill <= 1) {
			return // settings Validate refuses are never applied: nothing to check
		}
		rng := rand.New(rand.NewPCG(seed, seed))
		src := make([]float32, NumFeatures)
		for i := range src {
			if rng.IntN(3) == 0 {
				src[i] = fill
			}
		}
		dst := make([]float32, NumFeatures)
		a.Apply(rng, src, dst)
		for i, v := range dst {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("pixel %d = %v outside [0, 1]", i, v)
			}
		}
	})
}

// BenchmarkAugmentApply times one challenge image: a validator step against
// 256 miners with 16 images each draws 4,096.
func BenchmarkAugmentApply(b *testing.B) {
	src := glyph([2]int{2, 1}, [2]int{3, 2}, [2]int{3, 3}, [2]int{3, 4}, [2]int{2, 5}, [2]int{4, 5})
	dst := make([]float32, NumFeatures)
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	a := DefaultAugment()
	b.ReportAllocs()
	for b.Loop() {
		a.Apply(rng, src, dst)
	}
}
