package oip

import (
	"encoding/json"
	"errors"
)

// Parameters holds the free-form "parameters" object OIP allows on requests,
// responses and tensors. The gateway accepts and ignores request parameters.
type Parameters = map[string]any

// RequestInput is one input tensor of an infer request. Data holds the
// tensor's values, flat or nested row-major, as raw JSON.
type RequestInput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// RequestOutput names one output the caller wants back.
type RequestOutput struct {
	Name       string     `json:"name"`
	Parameters Parameters `json:"parameters,omitempty"`
}

// InferRequest is the body of POST /v2/models/{model}/infer.
type InferRequest struct {
	ID         string          `json:"id,omitempty"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Inputs     []RequestInput  `json:"inputs"`
	Outputs    []RequestOutput `json:"outputs,omitempty"`
}

// ResponseOutput is one output tensor of an infer response; Data is a flat
// row-major slice ([]float32 or []int64).
type ResponseOutput struct {
	Name       string     `json:"name"`
	Shape      []int64    `json:"shape"`
	Datatype   string     `json:"datatype"`
	Parameters Parameters `json:"parameters,omitempty"`
	Data       any        `json:"data"`
}

// InferResponse is the body of a successful infer call.
type InferResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version,omitempty"`
	ID           string           `json:"id,omitempty"`
	Parameters   Parameters       `json:"parameters,omitempty"`
	Outputs      []ResponseOutput `json:"outputs"`
}

// ServerMetadata is the body of GET /v2.
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// TensorMetadata describes one model input or output; -1 in Shape is a
// dynamic dimension.
type TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// ModelMetadata is the body of GET /v2/models/{model}.
type ModelMetadata struct {
	Name       string           `json:"name"`
	Versions   []string         `json:"versions,omitempty"`
	Platform   string           `json:"platform"`
	Inputs     []TensorMetadata `json:"inputs"`
	Outputs    []TensorMetadata `json:"outputs"`
	Parameters Parameters       `json:"parameters,omitempty"`
}

// ErrorResponse is the body of every error answer (4xx and 5xx).
type ErrorResponse struct {
	Error string `json:"error"`
}

// LiveResponse is the body of GET /v2/health/live.
type LiveResponse struct {
	Live bool `json:"live"`
}

// ReadyResponse is the body of GET /v2/health/ready when the server is ready.
type ReadyResponse struct {
	Ready bool `json:"ready"`
}

// ModelReadyResponse is the body of GET /v2/models/{model}/ready when the
// model is ready.
type ModelReadyResponse struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// Platform is the ModelMetadata platform of every subnet model.
const Platform = "tensorcosm-subnet"

// OIP datatype names the gateway supports.
const (
	// DatatypeFP32 is OIP's name for float32 tensors.
	DatatypeFP32 = "FP32"
	// DatatypeINT64 is OIP's name for int64 tensors.
	DatatypeINT64 = "INT64"
)

// MaxRank bounds the rank of a request tensor; it also bounds the nesting
// depth the data decoder recurses to.
const MaxRank = 32

var (
	// ErrBadRequest marks a request the caller got wrong; every decode and
	// validation error wraps it, so the server answers 400.
	ErrBadRequest = errors.New("bad inference request")
	// ErrBadOutput marks model outputs that cannot be encoded (unsupported
	// dtype, data that does not fit the shape, NaN or infinite values JSON
	// cannot carry): the miner's fault, not the caller's.
	ErrBadOutput = errors.New("bad model output")
)
