package textline

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
)

func TestCodecJSONRoundTrip(t *testing.T) {
	in := testInstance(t)
	codec := in.Codec()
	for _, rows := range []int{1, 5} {
		c, err := in.Challenge(newRand(21), rows)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := codec.EncodeJSON(c.Inputs)
		if err != nil {
			t.Fatal(err)
		}
		var p Payload
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		if (rows == 1) != (p.Image != "" && p.Images == nil) {
			t.Fatalf("%d rows encoded as %d images and image %v", rows, len(p.Images), p.Image != "")
		}
		back, err := codec.DecodeJSON(payload)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c.Inputs) {
			t.Fatalf("%d rows: DecodeJSON(EncodeJSON(inputs)) differs from inputs (shapes %v, %v)",
				rows, back[InputName].Shape, c.Inputs[InputName].Shape)
		}
	}
}

// linePicture is a synthetic 100x20 line: dark bars on white.
func linePicture() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 100, 20))
	for y := 0; y < 20; y++ {
		for x := 0; x < 100; x++ {
			v := uint8(250)
			if y > 4 && y < 16 && x%10 < 4 {
				v = 20
			}
			img.SetNRGBA(x, y, color.NRGBA{R: v, G: v, B: v, A: 255})
		}
	}
	return img
}

func encode(t *testing.T, f func(*bytes.Buffer, image.Image) error, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCodecDecodeImage(t *testing.T) {
	in := testInstance(t)
	codec := in.Codec()
	img := linePicture()
	pngBytes := encode(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }, img)
	jpegBytes := encode(t, func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, &jpeg.Options{Quality: 95}) }, img)
	want, err := Preprocess(img)
	if err != nil {
		t.Fatal(err)
	}
	// 100x20 resized to height 48 is 240 wide: one row, already a multiple of 8.
	if want.Width != 240 {
		t.Fatalf("Preprocess width %d, want 240", want.Width)
	}
	got, err := codec.DecodeImage("image/png", pngBytes)
	if err != nil {
		t.Fatal(err)
	}
	if x := got[InputName]; !slices.Equal(x.Shape, []int64{1, 3, Height, 240}) || !slices.Equal(x.Float32, want.Pix) {
		t.Fatalf("DecodeImage(png) = %v, not Preprocess of the picture", x.Shape)
	}
	if j, err := codec.DecodeImage("image/jpeg; charset=binary", jpegBytes); err != nil || !slices.Equal(j[InputName].Shape, []int64{1, 3, Height, 240}) {
		t.Fatalf("DecodeImage(jpeg) = %v, %v", j[InputName].Shape, err)
	}
	// The same picture through JSON gives the same tensor.
	payload, _ := json.Marshal(Payload{Image: base64.StdEncoding.EncodeToString(pngBytes)})
	if j, err := codec.DecodeJSON(payload); err != nil || !reflect.DeepEqual(j, got) {
		t.Fatalf("DecodeJSON of the PNG differs from DecodeImage: %v", err)
	}
}

func TestCodecRejects(t *testing.T) {
	in := testInstance(t)
	codec := in.Codec()
	pngBytes := encode(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }, linePicture())
	gifBytes := encode(t, func(b *bytes.Buffer, i image.Image) error { return gif.Encode(b, i, nil) }, linePicture())
	b64 := base64.StdEncoding.EncodeToString(pngBytes)
	huge := encode(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) }, image.NewGray(image.Rect(0, 0, MaxImageSide+1, 1)))
	tooMany, _ := json.Marshal(Payload{Images: slices.Repeat([]string{b64}, MaxPayloadImages+1)})
	for name, payload := range map[string]string{
		"not JSON":      "{",
		"unknown field": `{"img": "` + b64 + `"}`,
		"no image":      `{}`,
		"both fields":   `{"image": "` + b64 + `", "images": ["` + b64 + `"]}`,
		"not base64":    `{"image": "@@@"}`,
		"not an image":  `{"image": "` + base64.StdEncoding.EncodeToString([]byte("hello")) + `"}`,
		"gif":           `{"image": "` + base64.StdEncoding.EncodeToString(gifBytes) + `"}`,
		"too large":     `{"image": "` + base64.StdEncoding.EncodeToString(huge) + `"}`,
		"too many":      string(tooMany),
		"truncated png": `{"image": "` + base64.StdEncoding.EncodeToString(pngBytes[:len(pngBytes)/2]) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := codec.DecodeJSON([]byte(payload)); !errors.Is(err, task.ErrBadPayload) {
				t.Fatalf("DecodeJSON = %v, want ErrBadPayload", err)
			}
		})
	}
	for _, tc := range []struct{ contentType, name string }{{"text/plain", "png"}, {"image/jpeg", "png"}, {"image/png", "gif"}} {
		data := pngBytes
		if tc.name == "gif" {
			data = gifBytes
		}
		if _, err := codec.DecodeImage(tc.contentType, data); !errors.Is(err, task.ErrBadPayload) {
			t.Errorf("DecodeImage(%s, %s bytes) = %v, want ErrBadPayload", tc.contentType, tc.name, err)
		}
	}
	for name, inputs := range map[string]task.Tensors{
		"no input":   {"other": onnx.NewFloat32Tensor([]int64{1, 3, Height, 8}, make([]float32, 3*Height*8))},
		"wrong rank": {InputName: onnx.NewFloat32Tensor([]int64{3, Height, 8}, make([]float32, 3*Height*8))},
		"padding":    {InputName: onnx.NewFloat32Tensor([]int64{1, 3, Height, 8}, make([]float32, 3*Height*8))},
	} {
		if _, err := codec.EncodeJSON(inputs); !errors.Is(err, task.ErrBadPayload) {
			t.Errorf("EncodeJSON(%s) = %v, want ErrBadPayload", name, err)
		}
	}
}

func TestCodecAnswerAndAgree(t *testing.T) {
	in := testInstance(t)
	codec := in.Codec()
	out := oneHot(t, in.dict, []string{"Hello 42", "ok"}, 16)
	// Lower the score of the first "l" so the confidences show it.
	l, _ := in.dict.Class('l')
	C := in.dict.Classes()
	out.Float32[2*C+int(l)] = 0.75
	answers, err := codec.Answer(task.Tensors{OutputName: out})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		Answer{Text: "Hello 42", Confidences: []float64{1, 1, 0.75, 1, 1, 1, 1, 1}},
		Answer{Text: "ok", Confidences: []float64{1, 1}},
	}
	if !reflect.DeepEqual(answers, want) {
		t.Fatalf("Answer = %+v, want %+v", answers, want)
	}
	if b, err := json.Marshal(answers[0]); err != nil || !strings.Contains(string(b), `"text":"Hello 42","confidences":[1,1,0.75,`) {
		t.Fatalf("answer JSON %s, %v", b, err)
	}
	a0, a1 := answers[0].(Answer), answers[1].(Answer)
	if codec.Agree(a0) != "Hello 42" || codec.Agree(&a1) != "ok" || codec.Agree("other") != "" {
		t.Error("Agree does not key answers by their text")
	}
	if _, err := codec.Answer(task.Tensors{OutputName: onnx.NewFloat32Tensor([]int64{1, 2, 3}, make([]float32, 6))}); !errors.Is(err, task.ErrBadOutput) {
		t.Errorf("Answer with 3 classes = %v, want ErrBadOutput", err)
	}
	out.Float32[len(out.Float32)-1] = float32(math.Inf(-1))
	if _, err := codec.Answer(task.Tensors{OutputName: out}); !errors.Is(err, task.ErrBadOutput) || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("Answer with an infinite score = %v, want ErrBadOutput naming row 1", err)
	}
	if _, err := codec.Answer(task.Tensors{}); !errors.Is(err, task.ErrBadOutput) {
		t.Errorf("Answer without the output = %v, want ErrBadOutput", err)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"image": "iVBORw0KGgo="}`))
	f.Add([]byte(`{"images": []}`))
	f.Add([]byte(`{"image": ""}`))
	in := testInstance(f)
	codec := in.Codec()
	f.Fuzz(func(t *testing.T, payload []byte) {
		x, err := codec.DecodeJSON(payload)
		if err != nil {
			if !errors.Is(err, task.ErrBadPayload) {
				t.Fatalf("error %v does not wrap ErrBadPayload", err)
			}
			return
		}
		if s := x[InputName].Shape; len(s) != 4 || s[3] > MaxWidth {
			t.Fatalf("decoded shape %v", s)
		}
	})
}
