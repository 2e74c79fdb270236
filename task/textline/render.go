package textline

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Line generation limits.
const (
	// MinChars and MaxChars bound a generated line's length in characters,
	// spaces included. MaxChars keeps most lines within MaxWidth at their
	// natural aspect ratio.
	MinChars = 3
	MaxChars = 18
	// minWordLen and maxWordLen bound the words taken from the word list.
	minWordLen = 2
	maxWordLen = 12
)

// Corpus is what challenge lines are made of: fonts and words. It is
// read-only after LoadCorpus and safe for concurrent use.
type Corpus struct {
	fonts     []*opentype.Font
	fontNames []string
	words     []string
}

// LoadCorpus parses every .ttf file in fontsDir (in name order) and the word
// list at wordsPath, keeping the words of 2 to 12 ASCII letters the
// dictionary covers.
func LoadCorpus(fontsDir, wordsPath string, dict *Dictionary) (*Corpus, error) {
	names, err := filepath.Glob(filepath.Join(fontsDir, "*.ttf"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("no .ttf fonts in %s (scripts/fetch-fonts.sh fetches them)", fontsDir)
	}
	c := &Corpus{}
	for _, name := range names {
		b, err := os.ReadFile(name) //nolint:gosec // G304: the host's cache
		if err != nil {
			return nil, err
		}
		f, err := opentype.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", name, err)
		}
		c.fonts = append(c.fonts, f)
		c.fontNames = append(c.fontNames, strings.TrimSuffix(filepath.Base(name), ".ttf"))
	}
	b, err := os.ReadFile(wordsPath) //nolint:gosec // G304: the host's cache
	if err != nil {
		return nil, fmt.Errorf("word list (scripts/fetch-fonts.sh fetches it): %w", err)
	}
	c.words = filterWords(b, dict)
	if len(c.words) < 1000 {
		return nil, fmt.Errorf("word list %s has %d usable words, want at least 1000", wordsPath, len(c.words))
	}
	return c, nil
}

// filterWords keeps, in file order, the lines of 2 to 12 ASCII letters that
// dict covers (no possessives, no accents).
func filterWords(b []byte, dict *Dictionary) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if len(w) < minWordLen || len(w) > maxWordLen || !asciiLetters(w) || !dict.Covers(w) {
			continue
		}
		out = append(out, w)
	}
	return out
}

func asciiLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// FontNames lists the fonts lines are rendered in, in the order Style.Font
// indexes them.
func (c *Corpus) FontNames() []string { return append([]string(nil), c.fontNames...) }

// Words is the number of usable words.
func (c *Corpus) Words() int { return len(c.words) }

// Line draws a line of MinChars to MaxChars characters: words (as listed,
// capitalised or in capitals, some with punctuation) and numbers (integers,
// decimals, prices, percentages, dates, times), separated by single spaces.
func (c *Corpus) Line(rng *rand.Rand) string {
	target := MinChars + rng.IntN(MaxChars-MinChars+1)
	var parts []string
	n := 0
	for n < target {
		tok := c.token(rng)
		add := len(tok)
		if len(parts) > 0 {
			add++
		}
		if n+add > MaxChars {
			if len(parts) > 0 {
				break
			}
			continue // a first token too long for any line: draw again
		}
		parts = append(parts, tok)
		n += add
	}
	return strings.Join(parts, " ")
}

// token draws one word or number.
func (c *Corpus) token(rng *rand.Rand) string {
	if rng.IntN(10) < 3 {
		return number(rng)
	}
	w := c.words[rng.IntN(len(c.words))]
	switch p := rng.IntN(20); {
	case p < 4:
		w = strings.ToUpper(w[:1]) + w[1:]
	case p < 6:
		w = strings.ToUpper(w)
	}
	switch p := rng.IntN(20); {
	case p < 2:
		w += ","
	case p < 3:
		w += "."
	case p < 4:
		w += string(":;!?"[rng.IntN(4)])
	case p < 5:
		w = "(" + w + ")"
	}
	return w
}

// number draws a number in one of several everyday formats.
func number(rng *rand.Rand) string {
	switch rng.IntN(8) {
	case 0:
		return strconv.Itoa(rng.IntN(100))
	case 1:
		return strconv.Itoa(rng.IntN(100000))
	case 2:
		return fmt.Sprintf("%d,%03d", 1+rng.IntN(999), rng.IntN(1000))
	case 3:
		return fmt.Sprintf("%d.%02d", rng.IntN(1000), rng.IntN(100))
	case 4:
		return fmt.Sprintf("$%d.%02d", rng.IntN(1000), rng.IntN(100))
	case 5:
		return fmt.Sprintf("%d%%", rng.IntN(101))
	case 6:
		return fmt.Sprintf("%d-%02d-%02d", 1950+rng.IntN(100), 1+rng.IntN(12), 1+rng.IntN(28))
	default:
		return fmt.Sprintf("%02d:%02d", rng.IntN(24), rng.IntN(60))
	}
}

// Style is how one line is rendered. Every field is drawn by RandomStyle.
type Style struct {
	// Font indexes FontNames.
	Font int
	// Size is the font size in pixels (em height).
	Size float64
	// Spacing is extra space between letters, in pixels.
	Spacing float64
	// Angle is the rotation in radians, counter-clockwise.
	Angle float64
	// Blur is the Gaussian blur's standard deviation in pixels.
	Blur float64
	// Noise is the Gaussian pixel noise's standard deviation, 0..255 scale.
	Noise float64
	// Background and Ink are the colours.
	Background, Ink color.NRGBA
	// PadLeft, PadRight, PadTop and PadBottom are the margins around the
	// text box, in line heights.
	PadLeft, PadRight, PadTop, PadBottom float64
}

// RandomStyle draws a style: any font, 20-44 px, letter spacing -0.02 to
// +0.12 em, rotation within +-2 degrees, blur sigma 0-1.1 px, noise sigma
// 0-20, dark ink on a light background, margins as a text detector's crop.
func (c *Corpus) RandomStyle(rng *rand.Rand) Style {
	s := Style{
		Font:      rng.IntN(len(c.fonts)),
		Size:      20 + 24*rng.Float64(),
		Angle:     (rng.Float64()*4 - 2) * math.Pi / 180,
		Blur:      1.1 * rng.Float64(),
		Noise:     20 * rng.Float64(),
		PadLeft:   0.05 + 0.4*rng.Float64(),
		PadRight:  0.05 + 0.4*rng.Float64(),
		PadTop:    0.02 + 0.18*rng.Float64(),
		PadBottom: 0.02 + 0.18*rng.Float64(),
	}
	s.Spacing = s.Size * (-0.02 + 0.14*rng.Float64())
	bg := 185 + rng.IntN(71)
	ink := rng.IntN(90)
	s.Background = tint(rng, bg, 12)
	s.Ink = tint(rng, ink, 25)
	return s
}

// tint returns the grey level v with each channel moved by up to +-spread.
func tint(rng *rand.Rand, v, spread int) color.NRGBA {
	ch := func() uint8 { return uint8(min(255, max(0, v+rng.IntN(2*spread+1)-spread))) }
	return color.NRGBA{R: ch(), G: ch(), B: ch(), A: 255}
}

// Render draws text in style st, cropped like a text detector's box around
// the line, with blur and noise drawn from rng.
func (c *Corpus) Render(rng *rand.Rand, text string, st Style) (*image.NRGBA, error) {
	if st.Font < 0 || st.Font >= len(c.fonts) {
		return nil, fmt.Errorf("style font %d out of range [0, %d)", st.Font, len(c.fonts))
	}
	face, err := opentype.NewFace(c.fonts[st.Font], &opentype.FaceOptions{Size: st.Size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	defer func() { _ = face.Close() }() // opentype faces never fail to close
	m := face.Metrics()
	ascent, descent := i26(m.Ascent), i26(m.Descent)
	lineH := ascent + descent
	advance := textAdvance(face, text, st.Spacing)
	// The margin leaves room for the crop's padding and the rotation.
	margin := math.Ceil(0.6*lineH + math.Abs(math.Sin(st.Angle))*advance/2)
	w, h := int(math.Ceil(advance+2*margin)), int(math.Ceil(lineH+2*margin))
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: face,
		Dot: fixed.Point26_6{X: fixed.Int26_6(margin * 64), Y: fixed.Int26_6((margin + ascent) * 64)}}
	prev := rune(-1)
	for _, r := range text {
		if prev >= 0 {
			d.Dot.X += face.Kern(prev, r) + fixed.Int26_6(st.Spacing*64)
		}
		d.DrawString(string(r))
		prev = r
	}
	cov := newPlane(w, h)
	for i, a := range mask.Pix {
		cov.v[i] = float32(a) / 255
	}
	cx, cy := float64(w)/2, float64(h)/2
	cov = cov.rotate(st.Angle, cx, cy)
	cov = cov.blur(st.Blur)
	box := rotatedBox(image.Rect(int(margin), int(margin), int(math.Ceil(margin+advance)), int(math.Ceil(margin+lineH))), st.Angle, cx, cy)
	crop := image.Rect(
		box.Min.X-int(st.PadLeft*lineH), box.Min.Y-int(st.PadTop*lineH),
		box.Max.X+int(st.PadRight*lineH), box.Max.Y+int(st.PadBottom*lineH),
	).Intersect(image.Rect(0, 0, w, h))
	return compose(rng, cov, crop, st), nil
}

// textAdvance is the width of text drawn with kerning and extra spacing.
func textAdvance(face font.Face, text string, spacing float64) float64 {
	var adv fixed.Int26_6
	prev := rune(-1)
	for _, r := range text {
		if prev >= 0 {
			adv += face.Kern(prev, r) + fixed.Int26_6(spacing*64)
		}
		a, _ := face.GlyphAdvance(r)
		adv += a
		prev = r
	}
	return i26(adv)
}

func i26(v fixed.Int26_6) float64 { return float64(v) / 64 }

// rotatedBox is the bounding box of r's corners rotated by angle about (cx, cy).
func rotatedBox(r image.Rectangle, angle, cx, cy float64) image.Rectangle {
	sin, cos := math.Sincos(angle)
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [4][2]float64{{float64(r.Min.X), float64(r.Min.Y)}, {float64(r.Max.X), float64(r.Min.Y)},
		{float64(r.Min.X), float64(r.Max.Y)}, {float64(r.Max.X), float64(r.Max.Y)}} {
		dx, dy := p[0]-cx, p[1]-cy
		// Image y grows downwards, so a counter-clockwise turn on screen
		// is a clockwise one in these coordinates.
		x, y := cx+dx*cos+dy*sin, cy-dx*sin+dy*cos
		minX, minY, maxX, maxY = math.Min(minX, x), math.Min(minY, y), math.Max(maxX, x), math.Max(maxY, y)
	}
	return image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
}

// compose paints the crop of the coverage plane in st's colours and adds
// the pixel noise.
func compose(rng *rand.Rand, cov plane, crop image.Rectangle, st Style) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, crop.Dx(), crop.Dy()))
	bg := [3]float64{float64(st.Background.R), float64(st.Background.G), float64(st.Background.B)}
	ink := [3]float64{float64(st.Ink.R), float64(st.Ink.G), float64(st.Ink.B)}
	for y := crop.Min.Y; y < crop.Max.Y; y++ {
		for x := crop.Min.X; x < crop.Max.X; x++ {
			a := float64(cov.at(x, y))
			n := st.Noise * rng.NormFloat64()
			o := img.PixOffset(x-crop.Min.X, y-crop.Min.Y)
			for ch := 0; ch < 3; ch++ {
				v := bg[ch]*(1-a) + ink[ch]*a + n
				img.Pix[o+ch] = uint8(math.Round(math.Min(255, math.Max(0, v))))
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

// plane is a single-channel float image.
type plane struct {
	w, h int
	v    []float32
}

func newPlane(w, h int) plane { return plane{w: w, h: h, v: make([]float32, w*h)} }

func (p plane) at(x, y int) float32 {
	if x < 0 || y < 0 || x >= p.w || y >= p.h {
		return 0
	}
	return p.v[y*p.w+x]
}

// sample reads p at a real position, bilinearly, 0 outside.
func (p plane) sample(x, y float64) float32 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	top := p.at(ix, iy)*(1-fx) + p.at(ix+1, iy)*fx
	bot := p.at(ix, iy+1)*(1-fx) + p.at(ix+1, iy+1)*fx
	return top*(1-fy) + bot*fy
}

// rotate turns p by angle (counter-clockwise on screen) about (cx, cy).
func (p plane) rotate(angle, cx, cy float64) plane {
	if angle == 0 {
		return p
	}
	out := newPlane(p.w, p.h)
	sin, cos := math.Sincos(angle)
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			// Inverse of rotatedBox's mapping: where does (x, y) come from?
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			sx, sy := cx+dx*cos-dy*sin, cy+dx*sin+dy*cos
			out.v[y*p.w+x] = p.sample(sx-0.5, sy-0.5)
		}
	}
	return out
}

// blur applies a separable Gaussian blur of standard deviation sigma.
func (p plane) blur(sigma float64) plane {
	if sigma < 0.2 {
		return p
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float32
	for i := -r; i <= r; i++ {
		k[i+r] = float32(math.Exp(-float64(i*i) / (2 * sigma * sigma)))
		sum += k[i+r]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp, out := newPlane(p.w, p.h), newPlane(p.w, p.h)
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var acc float32
			for i := -r; i <= r; i++ {
				acc += k[i+r] * p.at(x+i, y)
			}
			tmp.v[y*p.w+x] = acc
		}
	}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var acc float32
			for i := -r; i <= r; i++ {
				acc += k[i+r] * tmp.at(x, y+i)
			}
			out.v[y*p.w+x] = acc
		}
	}
	return out
}
