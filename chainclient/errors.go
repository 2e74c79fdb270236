package chainclient

import (
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// ErrTxFailed is returned when a transaction is rejected or fails in a block.
var ErrTxFailed = errors.New("transaction failed")

// TxError is a transaction the chain refused before any block (CheckTx: Height is 0) or
// that failed in a block (DeliverTx: Height is that block). errors.Is matches it against
// ErrTxFailed and against the error registered (with cosmossdk.io/errors) for its
// codespace and code, so callers test what went wrong with the module's own errors, e.g.
// errors.Is(err, subnettypes.ErrServingRateLimit), errors.Is(err, sdkerrors.ErrWrongSequence)
// or errors.Is(err, sdkerrors.ErrInsufficientFunds), never by reading the log. x/subnet's
// errors are registered by this package's import of its types; the SDK's by the SDK.
type TxError struct {
	// TxHash is the transaction's hash (hex).
	TxHash string
	// Height is the block the transaction failed in; 0 when it was refused by CheckTx.
	Height int64
	// Codespace and Code identify the registered error, e.g. "subnet" and 18.
	Codespace string
	Code      uint32
	// Log is the chain's message.
	Log string
}

// newTxError returns the error for a transaction result with a non-zero code.
func newTxError(res *sdk.TxResponse) *TxError {
	return &TxError{TxHash: res.TxHash, Height: res.Height, Codespace: res.Codespace, Code: res.Code, Log: res.RawLog}
}

// Error keeps the chain's codespace, code and log.
func (e *TxError) Error() string {
	return fmt.Sprintf("%v: code %d (%s): %s", ErrTxFailed, e.Code, e.Codespace, e.Log)
}

// Unwrap returns ErrTxFailed and the registered error of the codespace and code (an error
// that matches nothing when none is registered in this process).
func (e *TxError) Unwrap() []error {
	return []error{ErrTxFailed, errorsmod.ABCIError(e.Codespace, e.Code, e.Log)}
}
