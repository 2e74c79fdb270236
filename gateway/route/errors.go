package route

import "errors"

var (
	// ErrNoCandidates means no miner could be tried: the set is empty, or
	// every breaker is open.
	ErrNoCandidates = errors.New("no miner available")
	// ErrNoAgreement means DoRedundant got two or more answers and no two
	// of them agree.
	ErrNoAgreement = errors.New("miners disagree: no two answers agree")
	// ErrAllFailed means every attempt failed (or no untried miner was
	// left); the error also wraps the last attempt's error.
	ErrAllFailed = errors.New("all attempts failed")
)

// errAbandoned is the cancel cause of an attempt whose answer is no longer
// wanted (another attempt won, or Do returned); it is not the miner's fault.
var errAbandoned = errors.New("route: attempt abandoned")

// permanentError marks an error the caller caused.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as the caller's fault (bad input): Do does not retry
// it and it does not count against the miner's breaker. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err or an error it wraps came from Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
