package oip

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
)

// benchBody is an infer request of rows × 64 FP32 values, nested when asked.
func benchBody(rows int, nested bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"inputs":[{"name":"pixels","shape":[%d,64],"datatype":"FP32","data":[`, rows)
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		if nested {
			b.WriteByte('[')
		}
		for c := range 64 {
			if c > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%g", float32(r*64+c)/7)
		}
		if nested {
			b.WriteByte(']')
		}
	}
	b.WriteString(`]}]}`)
	return b.Bytes()
}

func BenchmarkDecodeInferRequest(b *testing.B) {
	for _, rows := range []int{1, 64} {
		for _, nested := range []bool{false, true} {
			body := benchBody(rows, nested)
			b.Run(fmt.Sprintf("rows=%d/nested=%v", rows, nested), func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := DecodeInferRequest(body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkEncodeOutputs(b *testing.B) {
	outputs := map[string]onnx.Tensor{
		"probs": onnx.NewFloat32Tensor([]int64{64, 10}, make([]float32, 640)),
		"label": onnx.NewInt64Tensor([]int64{64}, make([]int64, 64)),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeOutputs(outputs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateExchange(b *testing.B) {
	ex := exchange{"POST", "/v2/models/digits/infer", jsonHeader("Authorization", "Bearer t"), goodInfer, 200, jsonHeader(), goodReply}
	b.ReportAllocs()
	for b.Loop() {
		if err := validate(ex); err != nil {
			b.Fatal(err)
		}
	}
}
