package digits

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeImage accepts JPEG
	_ "image/png"  // and PNG
	"strings"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
)

const (
	// bitmapSide is the side of the bitmaps the data set was made from:
	// each of its 8x8 features counts the inked pixels of a 4x4 block.
	bitmapSide = 32
	// blockSide is the side of one such block.
	blockSide = bitmapSide / side
	// maxImagePixels bounds the uploads DecodeImage decodes (4096x4096).
	maxImagePixels = 1 << 24
	// inkThreshold is the ink level, in [0, 1], above which a pixel is ink.
	inkThreshold = 0.5
)

// DecodeImage implements task.Codec: a PNG or JPEG of one digit becomes one
// row the way the data set was made. The image is turned to grey; when its
// border is light the digit is taken to be dark ink on a light background,
// else light on dark. Pixels past half ink are set; the bounding box of the
// set pixels is scaled, keeping its aspect ratio, so that its longer side
// fills a 32x32 bitmap and centred; each feature is the count of set pixels
// of a 4x4 block (0..16), divided by 16. An image with no ink is an error.
func (c codec) DecodeImage(contentType string, data []byte) (task.Tensors, error) {
	switch strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0])) {
	case "image/png", "image/jpeg":
	default:
		return nil, fmt.Errorf("%w: content type %q (the digits task takes image/png or image/jpeg)", task.ErrNotSupported, contentType)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", task.ErrBadPayload, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxImagePixels/cfg.Height {
		return nil, fmt.Errorf("%w: image of %dx%d pixels, at most %d pixels", task.ErrBadPayload, cfg.Width, cfg.Height, maxImagePixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", task.ErrBadPayload, err)
	}
	x, err := ImageFeatures(img)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", task.ErrBadPayload, err)
	}
	return task.Tensors{c.input: onnx.NewFloat32Tensor([]int64{1, NumFeatures}, x)}, nil
}

// ImageFeatures turns an image of one digit into the 64 features of the
// data set, scaled to [0, 1], as DecodeImage describes.
func ImageFeatures(img image.Image) ([]float32, error) {
	ink := inkLevels(img)
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		for x := range w {
			if ink[y*w+x] > inkThreshold {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return nil, fmt.Errorf("the image holds no ink")
	}
	bw, bh := x1-x0+1, y1-y0+1
	scale := float64(max(bw, bh)) / bitmapSide // source pixels per bitmap pixel
	// centre the box in the bitmap
	offX := float64(x0) + float64(bw)/2 - scale*bitmapSide/2
	offY := float64(y0) + float64(bh)/2 - scale*bitmapSide/2
	x := make([]float32, NumFeatures)
	for by := range bitmapSide {
		for bx := range bitmapSide {
			sx := int(offX + (float64(bx)+0.5)*scale)
			sy := int(offY + (float64(by)+0.5)*scale)
			if sx < 0 || sy < 0 || sx >= w || sy >= h || ink[sy*w+sx] <= inkThreshold {
				continue
			}
			x[(by/blockSide)*side+bx/blockSide] += 1.0 / maxPixel
		}
	}
	return x, nil
}

// inkLevels returns the ink of every pixel of img, row-major, in [0, 1]:
// darkness when the border is light, lightness otherwise.
func inkLevels(img image.Image) []float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	lum := make([]float64, w*h)
	border, n := 0.0, 0
	for y := range h {
		for x := range w {
			r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// luminance of the premultiplied colour composited on white:
			// a transparent pixel is background, light
			l := (0.299*float64(r)+0.587*float64(g)+0.114*float64(bl))/0xffff + 1 - float64(a)/0xffff
			lum[y*w+x] = l
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				border += l
				n++
			}
		}
	}
	dark := border/float64(n) > 0.5
	for i, l := range lum {
		if dark {
			lum[i] = 1 - l
		}
	}
	return lum
}
