package axon

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Internal error classes. Server code wraps one of them with the details
// and statusOf maps the class to the gRPC code the README documents.
var (
	errUnauthenticated = errors.New("unauthenticated")
	errStale           = errors.New("stale nonce")
	errReplay          = errors.New("replayed nonce")
	errPermission      = errors.New("permission denied")
	errMalformed       = errors.New("invalid argument")
	errTooLarge        = errors.New("request too large")
	errBusy            = errors.New("busy")
	errShed            = errors.New("shed: queue full of higher-stake work")
	errClosed          = errors.New("server is shutting down")
	errDisabled        = errors.New("not served by this axon")
)

// statusOf turns an error from the request path into a gRPC status error.
// Errors that already carry a status keep it.
func statusOf(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codeOf(err), err.Error())
}

func codeOf(err error) codes.Code {
	switch {
	case errors.Is(err, errUnauthenticated), errors.Is(err, errStale), errors.Is(err, errReplay):
		return codes.Unauthenticated
	case errors.Is(err, errPermission):
		return codes.PermissionDenied
	case errors.Is(err, errMalformed), errors.Is(err, ErrInvalidInput):
		return codes.InvalidArgument
	case errors.Is(err, errTooLarge), errors.Is(err, errBusy), errors.Is(err, errShed):
		return codes.ResourceExhausted
	case errors.Is(err, errClosed):
		return codes.Unavailable
	case errors.Is(err, errDisabled):
		return codes.Unimplemented
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	default:
		return codes.Internal
	}
}
