package axon

import (
	"context"
	"errors"
	"io"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// ErrInvalidInput is what a Model returns (wrapped) when it rejects its
// inputs; the server answers InvalidArgument instead of Internal.
var ErrInvalidInput = errors.New("axon: invalid model input")

// ModelInfo describes the model a miner serves and has committed to on chain.
type ModelInfo struct {
	// SHA256 is the SHA-256 of the model file, as committed on chain.
	SHA256 [32]byte
	// Size is the size of the model file in bytes.
	Size uint64
	// TaskKind names the subnet task the model performs.
	TaskKind string
	// Inputs and Outputs describe the model's tensors; -1 in a shape is a
	// dynamic dimension.
	Inputs  []*axonpb.TensorSpec
	Outputs []*axonpb.TensorSpec
}

// Model is what the axon serves. Run gets inputs already checked against
// Info().Inputs and in that order; it must be safe for concurrent use by
// the server's workers.
type Model interface {
	// Info describes the model; the server reads it on every request, so it
	// should be cheap.
	Info() ModelInfo
	// Run runs the model. Errors wrapping ErrInvalidInput become
	// InvalidArgument, other errors Internal.
	Run(ctx context.Context, inputs []*axonpb.Tensor) ([]*axonpb.Tensor, error)
}

// ModelOpener is implemented by models that can hand out their file, for
// ModelDownload. The bytes must hash to Info().SHA256.
type ModelOpener interface {
	// OpenModel opens the model file for reading.
	OpenModel() (io.ReadCloser, error)
}
