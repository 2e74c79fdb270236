package validator

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// ErrUnsupportedTask is returned by Run when the subnet's task is not one
// this validator can score: its kind is not linked in (the error lists the
// kinds that are) or its TaskSpec does not fit the kind. It wraps
// task.ErrUnknownKind or task.ErrBadSpec.
var ErrUnsupportedTask = errors.New("validator: unsupported subnet task")

// inferer sends a signed Infer to a miner; *axon.Client is one.
type inferer interface {
	Infer(ctx context.Context, target axon.AxonTarget, inputs []*axonpb.Tensor) (*axonpb.InferResponse, error)
}

// scorer runs the scoring steps: challenges out, answers scored, EMAs
// updated. It is what a step costs, without the chain.
type scorer struct {
	cfg     Config
	task    task.Instance // the subnet's task, set at startup
	client  inferer
	scores  *scoreTable
	verify  *verifier // nil: no verification
	metrics *metrics
	log     *slog.Logger
	now     func() time.Time
	// resync asks for a metagraph read, when a receipt names a model the
	// metagraph does not.
	resync func()
	// seed is the validator's private challenge seed (state_dir/challenge_seed.json).
	seed [32]byte
	// round is the last step's round: its start time in Unix nanoseconds,
	// made strictly increasing, so no two steps of this seed share one, across
	// restarts too. Steps run one at a time.
	round uint64
}

// queryResult is one query's outcome.
type queryResult struct {
	miner   neuronView
	outcome string // "" when the step was stopped before an answer
	score   float64
	latency time.Duration
	err     error
}

// step queries miners (all, or sample_size of them) with bounded
// concurrency and folds their scores into the EMAs. verifyOn enables model
// checks; permit says whether this validator may download models.
func (s *scorer) step(ctx context.Context, snap *snapshot, verifyOn, permit bool) []queryResult {
	start := s.now()
	s.round = max(s.round+1, uint64(start.UnixNano())) //nolint:gosec // G115: times after 1970
	round := s.round
	s.log.Debug("scoring step", "round", round)
	targets := s.scores.pick(snap.miners(), s.cfg.SampleSize, challengeRand(s.seed, round, 0))
	results := make([]queryResult, len(targets))
	sem := make(chan struct{}, s.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = s.query(ctx, snap.Subnet.Netuid, t, challengeRand(s.seed, round, uint64(i+1)), verifyOn, permit)
		}()
	}
	wg.Wait()
	s.record(results, snap.epoch())
	s.metrics.steps.Inc()
	s.metrics.stepDuration.Observe(s.now().Sub(start).Seconds())
	return results
}

// record folds the step's results into the scores.
func (s *scorer) record(results []queryResult, epoch uint64) {
	now := s.now()
	for _, r := range results {
		if r.outcome == "" {
			continue
		}
		s.metrics.queries.WithLabelValues(r.outcome).Inc()
		if r.outcome == outcomeOK {
			s.metrics.queryDuration.Observe(r.latency.Seconds())
		} else {
			s.log.Debug("query failed", "uid", r.miner.UID, "outcome", r.outcome, "error", r.err)
		}
		if ema, ok := s.scores.update(r.miner.UID, r.miner.Hotkey, r.score, now, epoch); ok {
			s.metrics.setScore(r.miner.UID, ema)
		}
	}
}

// query sends one challenge to t and scores the answer: the mean of its
// rows' scores times the latency factor (task.LatencyFactor).
func (s *scorer) query(ctx context.Context, netuid uint32, t neuronView, rng *rand.Rand, verifyOn, permit bool) queryResult {
	res := queryResult{miner: t}
	c, err := s.task.Challenge(rng, s.cfg.ChallengeBatch)
	if err != nil {
		s.log.Error("cannot make a challenge", "error", err)
		return res // no score: the fault is ours
	}
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	start := s.now()
	resp, err := s.client.Infer(qctx, t.target(netuid), axon.FromONNX(specNames(s.task.Spec().Inputs), c.Inputs))
	res.latency, res.err = s.now().Sub(start), err
	if ctx.Err() != nil {
		return res // stopping: no score either way
	}
	if err != nil {
		res.outcome = classify(err, qctx)
		return res
	}
	if got := hex.EncodeToString(resp.GetLeaf().GetModelSha256()); got != t.ModelSHA256 {
		res.outcome, res.err = outcomeWrongModel, fmt.Errorf("receipt leaf names model %s, the commitment is %s", got, t.ModelSHA256)
		s.resync()
		return res
	}
	outputs := axon.ToONNX(resp.GetOutputs())
	scores, err := s.task.Score(c, outputs)
	if err != nil {
		if !errors.Is(err, task.ErrBadOutput) {
			s.log.Error("cannot score an answer", "uid", t.UID, "error", err)
			return queryResult{miner: t} // no score: the fault is ours
		}
		res.outcome, res.err = outcomeInvalid, err
		return res
	}
	res.outcome = outcomeOK
	res.score = task.Mean(scores) * task.LatencyFactor(res.latency, s.cfg.QueryTimeout)
	if verifyOn && s.verify != nil {
		idx := rng.Perm(c.Rows)[:min(s.cfg.Verify.Sample, c.Rows)]
		in, out, err := s.task.Sample(c, outputs, idx)
		if err != nil {
			s.log.Error("cannot sample an answer", "uid", t.UID, "error", err)
			return res
		}
		s.verify.observe(t, sample{rows: len(idx), inputs: in, outputs: out}, permit)
	}
	return res
}

// classify names the outcome of a failed query.
func classify(err error, qctx context.Context) string {
	switch status.Code(err) {
	case codes.DeadlineExceeded:
		return outcomeTimeout
	case codes.ResourceExhausted:
		return outcomeShed
	case codes.PermissionDenied, codes.Unauthenticated:
		return outcomeRefused
	}
	switch {
	case errors.Is(err, axon.ErrInvalidResponse), errors.Is(err, axon.ErrTLSFingerprint):
		return outcomeInvalid
	case errors.Is(qctx.Err(), context.DeadlineExceeded):
		return outcomeTimeout
	}
	return outcomeError
}

// specNames are the tensor names of specs, in order.
func specNames(specs []subnettypes.TensorSpec) []string {
	names := make([]string, len(specs))
	for i, sp := range specs {
		names[i] = sp.Name
	}
	return names
}
