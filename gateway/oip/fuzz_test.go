package oip

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeInferRequest checks that the decoder (and its key walker, on
// any bytes) never panics, that every
// error wraps ErrBadRequest, and that what it accepts is consistent: one
// tensor per input whose data fills its shape, which encodes back to JSON
// that decodes to the same tensors.
func FuzzDecodeInferRequest(f *testing.F) {
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]}]}`))
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[3],"datatype":"INT64","data":[1,-2,3]}],"outputs":[{"name":"y"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// The key walker only ever sees valid JSON; it must still end,
		// without panicking, on anything.
		_ = checkKeys(body)
		req, tensors, err := DecodeInferRequest(body)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			if req != nil || tensors != nil {
				t.Fatal("values returned with an error")
			}
			return
		}
		if len(tensors) != len(req.Inputs) {
			t.Fatalf("%d tensors for %d inputs", len(tensors), len(req.Inputs))
		}
		for _, in := range req.Inputs {
			tensor := tensors[in.Name]
			n := int64(1)
			for _, d := range tensor.Shape {
				n *= d
			}
			if int64(tensor.Len()) != n || Datatype(tensor.DType) != in.Datatype {
				t.Fatalf("input %q: tensor %v %v with %d values", in.Name, tensor.DType, tensor.Shape, tensor.Len())
			}
		}
		outs, err := EncodeOutputs(tensors, nil)
		if err != nil {
			t.Fatalf("EncodeOutputs of decoded tensors: %v", err)
		}
		again := InferRequest{}
		for _, o := range outs {
			data, err := json.Marshal(o.Data)
			if err != nil {
				t.Fatal(err)
			}
			again.Inputs = append(again.Inputs, RequestInput{Name: o.Name, Shape: o.Shape, Datatype: o.Datatype, Data: data})
		}
		body2, err := json.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		_, tensors2, err := DecodeInferRequest(body2)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", body2, err)
		}
		if !reflect.DeepEqual(tensors, tensors2) {
			t.Fatalf("round trip changed the tensors: %v != %v", tensors, tensors2)
		}
	})
}
