package cli

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/task/textline"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// instance is the default-spec instance of t, the one samplePayload draws from.
func instance(tb testing.TB, t task.Task) task.Instance {
	tb.Helper()
	inst, err := task.Instantiate(t.DefaultSpec(), task.Env{CacheDir: onnx.CacheDir()})
	if err != nil {
		tb.Fatal(err)
	}
	return inst
}

// TestSamplePayloadDigits checks the digits samples: an OIP request the
// gateway's decoder accepts, with one [1, 64] row of pixels in [0, 1], and
// the natural payload, which the task's codec turns into the same row.
func TestSamplePayloadDigits(t *testing.T) {
	t.Setenv(digits.DigitsPathEnv, ortlib.DigitsPath(t))
	body, err := samplePayload("digits", SampleOIP, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, in, err := oip.DecodeInferRequest(body)
	if err != nil {
		t.Fatalf("the gateway refuses the OIP sample: %v\n%s", err, body)
	}
	x, ok := in[digits.InputName]
	if !ok || len(x.Shape) != 2 || x.Shape[0] != 1 || x.Shape[1] != digits.NumFeatures {
		t.Fatalf("OIP sample input: %+v", x)
	}
	for i, v := range x.Float32 {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %d is %v, want 0..1", i, v)
		}
	}
	js, err := samplePayload("digits-classification", SampleJSON, 7)
	if err != nil {
		t.Fatal(err)
	}
	got, err := instance(t, digits.Task{}).Codec().DecodeJSON(js)
	if err != nil {
		t.Fatalf("the codec refuses the JSON sample: %v\n%s", err, js)
	}
	for i, v := range got[digits.InputName].Float32 {
		if d := v - x.Float32[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("pixel %d: JSON sample %v, OIP sample %v (same seed)", i, v, x.Float32[i])
		}
	}
	if _, err := samplePayload("digits", SamplePNG, 7); !errors.Is(err, ErrNoSample) {
		t.Errorf("digits as PNG: got %v, want ErrNoSample", err)
	}
}

// TestSamplePayloadTextlinePNG checks the textline PNG is one text line
// the task's codec accepts as an upload, and that the command writes it.
func TestSamplePayloadTextlinePNG(t *testing.T) {
	ortlib.OCRModelPath(t)
	ortlib.TextlineDataDir(t)
	out := filepath.Join(t.TempDir(), "line.png")
	cmd := NewRootCmd()
	cmd.SetArgs([]string{"sample-payload", "--task", "textline", "--format", "png", "--out", out})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < r.Dy() || r.Dy() < 8 {
		t.Errorf("image is %dx%d, want a line wider than high", r.Dx(), r.Dy())
	}
	in, err := instance(t, textline.Task{}).Codec().DecodeImage("image/png", b)
	if err != nil {
		t.Fatalf("the codec refuses the PNG: %v", err)
	}
	if x := in["x"]; len(x.Shape) != 4 || x.Shape[0] != 1 {
		t.Errorf("decoded input shape %v, want [1, 3, 48, W]", x.Shape)
	}
}

// TestSamplePayloadRefusals checks unknown formats and kinds are refused.
func TestSamplePayloadRefusals(t *testing.T) {
	if _, err := samplePayload("digits", "csv", 1); !errors.Is(err, ErrNoSample) {
		t.Errorf("format csv: got %v, want ErrNoSample", err)
	}
	if _, err := samplePayload("speech", SampleJSON, 1); !errors.Is(err, task.ErrUnknownKind) {
		t.Errorf("kind speech: got %v, want ErrUnknownKind", err)
	}
}
