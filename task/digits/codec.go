package digits

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
)

// maxPayloadRows bounds the images of one JSON payload.
const maxPayloadRows = MaxChallengeRows

// Payload is the digits task's JSON payload. Pixels are in the data set's
// raw unit, 0 (blank) to 16 (a fully inked 4x4 block), row by row from the
// top left, not necessarily whole numbers; the codec divides them by 16, as
// the data set's loader does. Pixels is either one image of 64 values or a
// list of such images:
//
//	{"pixels": [0, 0, 5, 13, 9, 1, 0, 0, ...]}
//	{"pixels": [[0, 0, 5, ...], [0, 0, 0, ...]]}
type Payload struct {
	Pixels json.RawMessage `json:"pixels"`
}

// Answer is the digits task's answer to one image.
type Answer struct {
	// Label is the digit with the highest probability.
	Label int `json:"label"`
	// Probabilities are the model's ten class probabilities.
	Probabilities []float32 `json:"probabilities"`
}

// codec is the digits task.Codec for one spec's tensor names.
type codec struct{ input, output string }

// DecodeJSON implements task.Codec (see Payload).
func (c codec) DecodeJSON(payload []byte) (task.Tensors, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var p Payload
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", task.ErrBadPayload, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", task.ErrBadPayload)
	}
	rows, err := decodePixels(p.Pixels)
	if err != nil {
		return nil, fmt.Errorf("%w: pixels: %w", task.ErrBadPayload, err)
	}
	x := make([]float32, 0, len(rows)*NumFeatures)
	for i, row := range rows {
		if len(row) != NumFeatures {
			return nil, fmt.Errorf("%w: image %d has %d pixels, want %d", task.ErrBadPayload, i, len(row), NumFeatures)
		}
		for j, v := range row {
			if !(v >= 0 && v <= maxPixel) {
				return nil, fmt.Errorf("%w: image %d pixel %d is %v, want 0 to %d", task.ErrBadPayload, i, j, v, maxPixel)
			}
			x = append(x, float32(v/maxPixel))
		}
	}
	return task.Tensors{c.input: onnx.NewFloat32Tensor([]int64{int64(len(rows)), NumFeatures}, x)}, nil
}

// decodePixels reads one image (a list of numbers) or a list of images.
func decodePixels(raw json.RawMessage) ([][]float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("missing")
	}
	var one []float64
	if err := json.Unmarshal(raw, &one); err == nil {
		if len(one) == 0 {
			return nil, fmt.Errorf("no images")
		}
		return [][]float64{one}, nil
	}
	var many [][]float64
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("want a list of %d numbers or a list of such lists", NumFeatures)
	}
	if len(many) == 0 || len(many) > maxPayloadRows {
		return nil, fmt.Errorf("%d images, want 1 to %d", len(many), maxPayloadRows)
	}
	return many, nil
}

// EncodeJSON implements task.Codec: the inverse of DecodeJSON, always a
// list of images.
func (c codec) EncodeJSON(inputs task.Tensors) ([]byte, error) {
	t, ok := inputs[c.input]
	if !ok || t.DType != onnx.Float32 || len(t.Shape) != 2 || t.Shape[1] != NumFeatures || t.Shape[0] < 1 ||
		int64(len(t.Float32)) != t.Shape[0]*NumFeatures {
		return nil, fmt.Errorf("%w: want input %q float32 [n, %d]", task.ErrBadPayload, c.input, NumFeatures)
	}
	rows := make([][]float64, t.Shape[0])
	for r := range rows {
		rows[r] = make([]float64, NumFeatures)
		for j, v := range t.Float32[r*NumFeatures : (r+1)*NumFeatures] {
			rows[r][j] = float64(v) * maxPixel
		}
	}
	pixels, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", task.ErrBadPayload, err)
	}
	return json.Marshal(Payload{Pixels: pixels})
}

// Answer implements task.Codec: one Answer per row of the probabilities.
func (c codec) Answer(outputs task.Tensors) ([]any, error) {
	t, ok := outputs[c.output]
	if !ok || t.DType != onnx.Float32 || len(t.Shape) != 2 || t.Shape[1] != NumClasses || t.Shape[0] < 1 ||
		int64(len(t.Float32)) != t.Shape[0]*NumClasses {
		return nil, fmt.Errorf("%w: want output %q float32 [n, %d]", task.ErrBadOutput, c.output, NumClasses)
	}
	answers := make([]any, t.Shape[0])
	for r := range answers {
		row := t.Float32[r*NumClasses : (r+1)*NumClasses]
		best, ok := finiteArgmax(row)
		if !ok {
			return nil, fmt.Errorf("%w: row %d holds a value that is not finite", task.ErrBadOutput, r)
		}
		answers[r] = Answer{Label: best, Probabilities: append([]float32(nil), row...)}
	}
	return answers, nil
}

// Agree implements task.Codec: answers agree on their label.
func (codec) Agree(answer any) string {
	switch a := answer.(type) {
	case Answer:
		return strconv.Itoa(a.Label)
	case *Answer:
		if a != nil {
			return strconv.Itoa(a.Label)
		}
	}
	return ""
}
