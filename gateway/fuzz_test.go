package gateway_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"testing"

	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/task/textline"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// predictCodecs are the codecs of the linked task kinds, as the gateway's
// predict endpoint uses them.
func predictCodecs(f *testing.F) []struct {
	spec  subnettypes.TaskSpec
	codec task.Codec
} {
	var out []struct {
		spec  subnettypes.TaskSpec
		codec task.Codec
	}
	for _, spec := range []subnettypes.TaskSpec{digits.Task{}.DefaultSpec(), textline.Task{}.DefaultSpec()} {
		inst, err := task.Instantiate(spec, task.Env{CacheDir: onnx.CacheDir()})
		if err != nil {
			f.Fatalf("%s: %v (run make deps)", spec.Kind, err)
		}
		out = append(out, struct {
			spec  subnettypes.TaskSpec
			codec task.Codec
		}{spec, inst.Codec()})
	}
	return out
}

// checkDecoded requires a decoder's result to be either inputs that fit
// the spec (so the request goes on to a miner) or an error the gateway
// answers 400 (ErrBadPayload) or 415 (ErrNotSupported) for.
func checkDecoded(t *testing.T, spec subnettypes.TaskSpec, in task.Tensors, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, task.ErrBadPayload) && !errors.Is(err, task.ErrNotSupported) {
			t.Fatalf("%s: error wraps neither ErrBadPayload nor ErrNotSupported: %v", spec.Kind, err)
		}
		return
	}
	if _, err := oip.CheckInputs(spec.Inputs, in); err != nil {
		t.Fatalf("%s: decoded inputs do not fit the task spec: %v", spec.Kind, err)
	}
}

// FuzzPredictJSON feeds arbitrary bodies to every task's JSON decoder.
func FuzzPredictJSON(f *testing.F) {
	codecs := predictCodecs(f)
	for _, s := range []string{`{"pixels":[0,1,2]}`, `{"pixels":[[` + zeros(64) + `]]}`, `{"pixels":[` + zeros(64) + `]}`,
		`{"image":"iVBORw0KGgo="}`, `{"images":["", "x"]}`, `[]`, `{"pixels":[1e400]}`, `{"pixels":[-1]}`, ``} {
		for i := range codecs {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		c := codecs[int(which)%len(codecs)]
		in, err := c.codec.DecodeJSON(body)
		checkDecoded(t, c.spec, in, err)
	})
}

// FuzzPredictImage feeds arbitrary uploads, as PNG and as JPEG, to every
// task's image decoder.
func FuzzPredictImage(f *testing.F) {
	codecs := predictCodecs(f)
	for _, r := range []image.Rectangle{image.Rect(0, 0, 8, 8), image.Rect(0, 0, 120, 32), image.Rect(0, 0, 1, 1)} {
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewGray(r)); err != nil {
			f.Fatal(err)
		}
		for i := range codecs {
			f.Add(uint8(i), false, b.Bytes())
		}
	}
	f.Add(uint8(0), true, []byte("\xff\xd8\xff\xe0"))
	f.Fuzz(func(t *testing.T, which uint8, jpeg bool, data []byte) {
		c := codecs[int(which)%len(codecs)]
		ct := "image/png"
		if jpeg {
			ct = "image/jpeg"
		}
		in, err := c.codec.DecodeImage(ct, data)
		checkDecoded(t, c.spec, in, err)
	})
}

func zeros(n int) string {
	var b bytes.Buffer
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('0')
	}
	return b.String()
}
