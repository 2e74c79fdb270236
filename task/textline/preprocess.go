package textline

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	xdraw "golang.org/x/image/draw"

	"github.com/tensorcosm/tensorcosm/onnx"
)

// Line is one preprocessed text line: Height rows of Width columns in three
// channels, blue, green, red (PaddleOCR reads images with OpenCV, in BGR
// order), each value (v/255 - 0.5) / 0.5 in [-1, 1].
type Line struct {
	Width int
	// Pix is laid out [3][Height][Width].
	Pix []float32
}

// Preprocess turns a picture of one text line into model input the way
// PaddleOCR's recognizer does: composited over white where it is
// transparent, resized bilinearly to Height rows keeping its aspect ratio
// (width rounded up, at least 1 and at most MaxWidth: wider lines are
// squeezed), and normalised to [-1, 1]. Validators build challenges with it
// and the gateway decodes users' images with it, so both feed models alike.
func Preprocess(img image.Image) (Line, error) {
	b := img.Bounds()
	if b.Dx() < 1 || b.Dy() < 1 {
		return Line{}, fmt.Errorf("empty image %dx%d", b.Dx(), b.Dy())
	}
	w := int(math.Ceil(float64(Height) * float64(b.Dx()) / float64(b.Dy())))
	w = min(max(w, 1), MaxWidth)
	dst := image.NewRGBA(image.Rect(0, 0, w, Height))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	xdraw.BiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Over, nil)
	line := Line{Width: w, Pix: make([]float32, 3*Height*w)}
	plane := Height * w
	for y := 0; y < Height; y++ {
		for x := 0; x < w; x++ {
			o := dst.PixOffset(x, y)
			i := y*w + x
			// dst is opaque, so its premultiplied values are the colours.
			line.Pix[i] = norm(dst.Pix[o+2])
			line.Pix[plane+i] = norm(dst.Pix[o+1])
			line.Pix[2*plane+i] = norm(dst.Pix[o])
		}
	}
	return line, nil
}

// norm maps a channel value to [-1, 1]; no value maps to exactly 0, which
// is what tells padding from picture (see Unbatch).
func norm(v uint8) float32 { return float32(v)/127.5 - 1 }

// denorm inverts norm.
func denorm(v float32) uint8 {
	return uint8(math.Round(math.Min(255, math.Max(0, (float64(v)+1)*127.5))))
}

// BatchWidth is the width a batch of lines is padded to: the widest line
// rounded up to a multiple of StepWidth.
func BatchWidth(lines []Line) int {
	w := 0
	for _, l := range lines {
		w = max(w, l.Width)
	}
	return (w + StepWidth - 1) / StepWidth * StepWidth
}

// Batch stacks lines into one float32 tensor [N, 3, Height, W], each line
// padded on the right with zeros (mid grey, PaddleOCR's padding) to
// W = BatchWidth(lines).
func Batch(lines []Line) onnx.Tensor {
	W := BatchWidth(lines)
	data := make([]float32, len(lines)*3*Height*W)
	for n, l := range lines {
		for c := 0; c < 3; c++ {
			for y := 0; y < Height; y++ {
				src := l.Pix[(c*Height+y)*l.Width : (c*Height+y+1)*l.Width]
				copy(data[((n*3+c)*Height+y)*W:], src)
			}
		}
	}
	return onnx.NewFloat32Tensor([]int64{int64(len(lines)), 3, Height, int64(W)}, data)
}

// Unbatch splits an input tensor [N, 3, Height, W] into its lines, cutting
// each at its padding: the trailing columns that are exactly 0 in every
// channel and row (Preprocess never produces 0).
func Unbatch(t onnx.Tensor) ([]Line, error) {
	if t.DType != onnx.Float32 || len(t.Shape) != 4 || t.Shape[1] != 3 || t.Shape[2] != Height ||
		t.Shape[0] < 1 || t.Shape[3] < 1 || int64(len(t.Float32)) != t.Shape[0]*3*Height*t.Shape[3] {
		return nil, fmt.Errorf("want float32 [N, 3, %d, W] with its data, got %s %v with %d values", Height, t.DType, t.Shape, t.Len())
	}
	N, W := int(t.Shape[0]), int(t.Shape[3])
	out := make([]Line, N)
	for n := range out {
		row := t.Float32[n*3*Height*W : (n+1)*3*Height*W]
		w := W
		for w > 0 && paddingColumn(row, W, w-1) {
			w--
		}
		if w == 0 {
			return nil, fmt.Errorf("line %d is all padding", n)
		}
		l := Line{Width: w, Pix: make([]float32, 3*Height*w)}
		for cy := 0; cy < 3*Height; cy++ {
			copy(l.Pix[cy*w:(cy+1)*w], row[cy*W:cy*W+w])
		}
		out[n] = l
	}
	return out, nil
}

func paddingColumn(row []float32, W, x int) bool {
	for cy := 0; cy < 3*Height; cy++ {
		if row[cy*W+x] != 0 {
			return false
		}
	}
	return true
}

// Image turns a line back into a picture (the inverse of Preprocess's
// normalisation; the resize cannot be undone).
func (l Line) Image() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, l.Width, Height))
	plane := Height * l.Width
	for y := 0; y < Height; y++ {
		for x := 0; x < l.Width; x++ {
			i := y*l.Width + x
			o := img.PixOffset(x, y)
			img.Pix[o] = denorm(l.Pix[2*plane+i])
			img.Pix[o+1] = denorm(l.Pix[plane+i])
			img.Pix[o+2] = denorm(l.Pix[i])
			img.Pix[o+3] = 255
		}
	}
	return img
}
