// Package oip is the gateway's Open Inference Protocol v2 REST layer: the
// request and response types, a strict decoder that turns an infer request
// into onnx tensors, checks of those tensors against a subnet's task spec,
// the encoding of model outputs, model metadata built from a task spec, and
// the OpenAPI 3 document of every gateway endpoint with a validator for
// conformance tests.
//
// Guarantees: every error DecodeInferRequest, CheckInputs and DType return,
// and every caller error EncodeOutputs returns, wraps ErrBadRequest, so the
// server can answer 400 with errors.Is alone. Decoding never allocates more
// than a small multiple of the body size, whatever shape a request claims.
// Only FP32 and INT64 tensors are supported; the binary-data extension is
// not.
package oip
