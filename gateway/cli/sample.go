package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// ErrNoSample is wrapped by sample-payload errors about its arguments: an
// unknown format, or a format the task has no payload in.
var ErrNoSample = errors.New("no sample payload")

// Sample payload formats of `sample-payload --format`.
const (
	// SampleJSON is the task's natural JSON payload, the body of POST
	// /v1/subnets/{netuid}/predict with Content-Type application/json.
	SampleJSON = "json"
	// SampleOIP is an OIP v2 infer request, the body of POST
	// /v2/models/{model}/infer.
	SampleOIP = "oip"
	// SamplePNG is the PNG image inside the natural JSON payload (tasks
	// whose payload is an image), the body of POST
	// /v1/subnets/{netuid}/predict with Content-Type image/png.
	SamplePNG = "png"
)

// taskAliases maps the short names sample-payload accepts to task kinds.
var taskAliases = map[string]string{"digits": "digits-classification"}

// NewSamplePayloadCmd returns `sample-payload`: one challenge item of a
// task, made the way a validator makes its challenges, written as a request
// body the gateway accepts.
func NewSamplePayloadCmd() *cobra.Command {
	var kind, format, out string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "sample-payload",
		Short: "Write a sample request body for a task (natural JSON, OIP infer request or PNG)",
		Long: `Write one challenge item of a task, drawn as a validator draws its challenges
(from the task's data set or renderer, fetched into the shared cache by the
repository's scripts), as a request body the gateway accepts:

  json  the task's natural JSON payload, for POST /v1/subnets/{netuid}/predict
  oip   an OIP v2 infer request, for POST /v2/models/{model}/infer
  png   the image inside the natural payload (image tasks such as textline),
        for POST /v1/subnets/{netuid}/predict with Content-Type image/png

The item is drawn from the task's default spec; --seed picks it.`,
		Example: `  tensorcosm-gateway sample-payload --task textline --format png --out line.png
  tensorcosm-gateway sample-payload --task digits --format oip --out digit.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, err := samplePayload(kind, format, seed)
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(body)
				return err
			}
			return os.WriteFile(out, body, 0o644) //nolint:gosec // a sample payload, not a secret
		},
	}
	f := cmd.Flags()
	f.StringVar(&kind, "task", "", "task kind, e.g. digits (digits-classification) or textline (required)")
	f.StringVar(&format, "format", SampleJSON, "json, oip or png")
	f.StringVar(&out, "out", "", "file to write (default: stdout)")
	f.Uint64Var(&seed, "seed", 1, "seed of the drawn item")
	_ = cmd.MarkFlagRequired("task")
	return cmd
}

// samplePayload draws one item of task kind (or its alias) with seed and
// encodes it in format.
func samplePayload(kind, format string, seed uint64) ([]byte, error) {
	if !slices.Contains([]string{SampleJSON, SampleOIP, SamplePNG}, format) {
		return nil, fmt.Errorf("%w: --format %q, want json, oip or png", ErrNoSample, format)
	}
	if k, ok := taskAliases[kind]; ok {
		kind = k
	}
	t, err := task.Get(kind)
	if err != nil {
		return nil, err
	}
	inst, err := task.Instantiate(t.DefaultSpec(), task.Env{CacheDir: onnx.CacheDir()})
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", kind, err)
	}
	ch, err := inst.Challenge(rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), 1) //nolint:gosec // a reproducible sample, not a secret
	if err != nil {
		return nil, fmt.Errorf("task %s: drawing an item: %w", kind, err)
	}
	switch format {
	case SampleOIP:
		return oipRequest(inst.Spec().Inputs, ch.Inputs)
	case SamplePNG:
		return pngOf(kind, inst.Codec(), ch.Inputs)
	}
	body, err := inst.Codec().EncodeJSON(ch.Inputs)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", kind, err)
	}
	return append(body, '\n'), nil
}

// oipRequest is an infer request with inputs, in the spec's input order.
func oipRequest(specs []subnettypes.TensorSpec, inputs task.Tensors) ([]byte, error) {
	var req oip.InferRequest
	for _, s := range specs {
		t, ok := inputs[s.Name]
		if !ok {
			return nil, fmt.Errorf("%w: the task made no input %q", ErrNoSample, s.Name)
		}
		dt := oip.Datatype(t.DType)
		var data any
		switch t.DType {
		case onnx.Float32:
			data = t.Float32
		case onnx.Int64:
			data = t.Int64
		}
		if dt == "" || data == nil {
			return nil, fmt.Errorf("%w: input %q is %s, which OIP support is not built for", ErrNoSample, s.Name, t.DType)
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		req.Inputs = append(req.Inputs, oip.RequestInput{Name: s.Name, Shape: t.Shape, Datatype: dt, Data: raw})
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	return append(body, '\n'), nil
}

// pngOf is the PNG inside the natural JSON payload {"image": "<base64>"}.
func pngOf(kind string, c task.Codec, inputs task.Tensors) ([]byte, error) {
	body, err := c.EncodeJSON(inputs)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", kind, err)
	}
	var p struct {
		Image string `json:"image"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Image == "" {
		return nil, fmt.Errorf("%w: task %s's payload is not an image (try --format json or oip)", ErrNoSample, kind)
	}
	img, err := base64.StdEncoding.DecodeString(p.Image)
	if err != nil || !strings.HasPrefix(string(img), "\x89PNG") {
		return nil, fmt.Errorf("%w: task %s's payload image is not a base64 PNG", ErrNoSample, kind)
	}
	return img, nil
}
