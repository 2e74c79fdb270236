package loadgen

import (
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// stats counts what happened to the transactions; safe for concurrent use.
type stats struct {
	mu        sync.Mutex
	sentN     [numKinds]int
	accepted  [numKinds]int
	rejected  [numKinds]int
	mempool   int            // rejections because the mempool was full or had the tx
	rejects   map[string]int // CheckTx rejection reason -> count
	failures  map[string]int // DeliverTx failure reason -> count
	lost      int
	expired   int
	roundTrip []time.Duration
}

func newStats() *stats {
	return &stats{rejects: map[string]int{}, failures: map[string]int{}}
}

func (s *stats) sent(k msgKind, rtt time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sentN[k]++
	s.roundTrip = append(s.roundTrip, rtt)
}

func (s *stats) accept(k msgKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted[k]++
}

// reject records a CheckTx rejection (or a transaction that never got
// there) for reason, which the caller has normalised.
func (s *stats) reject(k msgKind, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[k]++
	s.rejects[k.String()+": "+reason]++
}

// rejectCode records a CheckTx rejection; mempool-full, already-in-cache
// and too-large rejections are also counted as mempool rejections.
func (s *stats) rejectCode(k msgKind, codespace string, code uint32, log string) {
	if codespace == sdkerrors.RootCodespace {
		switch code {
		case sdkerrors.ErrMempoolIsFull.ABCICode(), sdkerrors.ErrTxInMempoolCache.ABCICode(), sdkerrors.ErrTxTooLarge.ABCICode():
			s.mu.Lock()
			s.mempool++
			s.mu.Unlock()
		}
	}
	s.reject(k, fmt.Sprintf("code %d (%s): %s", code, codespace, normalise(log)))
}

func (s *stats) fail(k msgKind, codespace string, code uint32, log string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[fmt.Sprintf("%s: code %d (%s): %s", k, code, codespace, normalise(log))]++
}

func (s *stats) lose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lost++
}

func (s *stats) expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired++
}

// snapshot copies the counters.
func (s *stats) snapshot() (sent, accepted, rejected [numKinds]int, mempool int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentN, s.accepted, s.rejected, s.mempool
}

var (
	addrRe   = regexp.MustCompile(`tensor1[02-9ac-hj-np-z]{38,}`)
	numberRe = regexp.MustCompile(`\d+`)
)

// normalise turns an error log into a reason that groups: addresses and
// numbers are replaced, and long logs cut.
func normalise(log string) string {
	log = addrRe.ReplaceAllString(log, "ADDR")
	log = numberRe.ReplaceAllString(log, "N")
	if len(log) > 160 {
		log = log[:160] + "..."
	}
	return log
}

// percentile returns the p-th percentile (0..100, nearest rank) of xs.
func percentile[T time.Duration | int | float64](xs []T, p float64) T {
	if len(xs) == 0 {
		var zero T
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
