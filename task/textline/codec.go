package textline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"strings"

	"github.com/tensorcosm/tensorcosm/task"
)

// Codec limits: a payload holds at most MaxPayloadImages images of at most
// MaxImageSide pixels a side and MaxImagePixels in all; larger ones are
// refused from their headers, before decoding.
const (
	MaxPayloadImages = 64
	MaxImageSide     = 8192
	MaxImagePixels   = 1 << 24
)

// Payload is the JSON a user sends: one image or several, each a base64
// PNG or JPEG of one text line.
type Payload struct {
	Image  string   `json:"image,omitempty"`
	Images []string `json:"images,omitempty"`
}

// Answer is the task's answer for one line: the decoded text and, per
// character of it, the model's score for that character.
type Answer struct {
	Text        string    `json:"text"`
	Confidences []float64 `json:"confidences"`
}

// Codec returns the gateway's codec for the instance.
func (in *Instance) Codec() task.Codec { return codec{in} }

type codec struct{ in *Instance }

// DecodeJSON decodes {"image": "<base64>"} (one row) or {"images": [...]}
// (one row each), every image preprocessed by Preprocess and the rows
// padded to one width by Batch.
func (c codec) DecodeJSON(payload []byte) (task.Tensors, error) {
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: want {\"image\": base64 PNG or JPEG} or {\"images\": [...]}: %w", task.ErrBadPayload, err)
	}
	imgs := p.Images
	if p.Image != "" {
		if len(imgs) > 0 {
			return nil, fmt.Errorf("%w: give \"image\" or \"images\", not both", task.ErrBadPayload)
		}
		imgs = []string{p.Image}
	}
	if len(imgs) == 0 || len(imgs) > MaxPayloadImages {
		return nil, fmt.Errorf("%w: %d images, want 1..%d", task.ErrBadPayload, len(imgs), MaxPayloadImages)
	}
	lines := make([]Line, len(imgs))
	for i, s := range imgs {
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: image %d is not base64: %w", task.ErrBadPayload, i, err)
		}
		if lines[i], err = decodeLine(data, ""); err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
	}
	return task.Tensors{c.in.inName: Batch(lines)}, nil
}

// DecodeImage decodes an uploaded image/png or image/jpeg into one row.
func (c codec) DecodeImage(contentType string, data []byte) (task.Tensors, error) {
	format := ""
	switch ct := strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0])); ct {
	case "image/png":
		format = "png"
	case "image/jpeg", "image/jpg":
		format = "jpeg"
	default:
		return nil, fmt.Errorf("%w: content type %q, want image/png or image/jpeg", task.ErrBadPayload, contentType)
	}
	line, err := decodeLine(data, format)
	if err != nil {
		return nil, err
	}
	return task.Tensors{c.in.inName: Batch([]Line{line})}, nil
}

// decodeLine decodes a PNG or JPEG (format "" accepts either) after
// checking its declared size, and preprocesses it.
func decodeLine(data []byte, format string) (Line, error) {
	cfg, got, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Line{}, fmt.Errorf("%w: not a PNG or JPEG image: %w", task.ErrBadPayload, err)
	}
	if (got != "png" && got != "jpeg") || (format != "" && got != format) {
		return Line{}, fmt.Errorf("%w: image is %s, want %s", task.ErrBadPayload, got, orEither(format))
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide || cfg.Width*cfg.Height > MaxImagePixels {
		return Line{}, fmt.Errorf("%w: image is %dx%d, want 1..%d pixels a side and at most %d in all",
			task.ErrBadPayload, cfg.Width, cfg.Height, MaxImageSide, MaxImagePixels)
	}
	var img image.Image
	if got == "png" {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return Line{}, fmt.Errorf("%w: decode %s: %w", task.ErrBadPayload, got, err)
	}
	line, err := Preprocess(img)
	if err != nil {
		return Line{}, fmt.Errorf("%w: %w", task.ErrBadPayload, err)
	}
	return line, nil
}

func orEither(format string) string {
	if format == "" {
		return "png or jpeg"
	}
	return format
}

// EncodeJSON is DecodeJSON's inverse for inputs it made: each row, cut at
// its padding (see Unbatch), as a base64 PNG; one row gives {"image": ...},
// several {"images": [...]}. Decoding the result gives the same tensor.
func (c codec) EncodeJSON(inputs task.Tensors) ([]byte, error) {
	x, ok := inputs[c.in.inName]
	if !ok {
		return nil, fmt.Errorf("%w: no input %q", task.ErrBadPayload, c.in.inName)
	}
	lines, err := Unbatch(x)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", task.ErrBadPayload, err)
	}
	imgs := make([]string, len(lines))
	for i, l := range lines {
		var b bytes.Buffer
		if err := png.Encode(&b, l.Image()); err != nil {
			return nil, err
		}
		imgs[i] = base64.StdEncoding.EncodeToString(b.Bytes())
	}
	if len(imgs) == 1 {
		return json.Marshal(Payload{Image: imgs[0]})
	}
	return json.Marshal(Payload{Images: imgs})
}

// Answer decodes every row of the output into an Answer. A row with a NaN
// or infinite score is an error wrapping task.ErrBadOutput: there is no
// honest answer to give for it.
func (c codec) Answer(outputs task.Tensors) ([]any, error) {
	out, ok := outputs[c.in.outName]
	if !ok {
		return nil, fmt.Errorf("%w: no output %q", task.ErrBadOutput, c.in.outName)
	}
	classes := int64(c.in.dict.Classes())
	if out.DType != "float32" || len(out.Shape) != 3 || out.Shape[0] < 1 || out.Shape[1] < 1 || out.Shape[2] != classes ||
		int64(len(out.Float32)) != out.Shape[0]*out.Shape[1]*out.Shape[2] {
		return nil, fmt.Errorf("%w: %q is %s %v with %d values, want float32 [N, T, %d]", task.ErrBadOutput, c.in.outName, out.DType, out.Shape, out.Len(), classes)
	}
	steps := int(out.Shape[1])
	stride := steps * int(classes)
	answers := make([]any, out.Shape[0])
	for r := range answers {
		d := c.in.dict.DecodeRow(out.Float32[r*stride:(r+1)*stride], steps)
		if !d.Finite {
			return nil, fmt.Errorf("%w: %q row %d holds a NaN or infinite score", task.ErrBadOutput, c.in.outName, r)
		}
		a := Answer{Text: d.Text, Confidences: make([]float64, len(d.Confidences))}
		for i, v := range d.Confidences {
			// float32 -> float64 widening shows noise digits in JSON;
			// six decimals are all a softmax score carries.
			a.Confidences[i] = math.Round(float64(v)*1e6) / 1e6
		}
		answers[r] = a
	}
	return answers, nil
}

// Agree compares answers by their text.
func (codec) Agree(answer any) string {
	switch a := answer.(type) {
	case Answer:
		return a.Text
	case *Answer:
		if a != nil {
			return a.Text
		}
	}
	return ""
}
