package validator

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/model"
	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// latencyWeight is the share of a query's score that latency can take away:
// score = accuracy * (1 - latencyWeight * min(1, latency / query_timeout)).
const latencyWeight = 0.1

// digitsTask is the task kind this validator scores.
const digitsTask = "digits-classification"

// ErrUnsupportedTask is returned by Run when the subnet's task is not one
// this validator can score.
var ErrUnsupportedTask = errors.New("validator: unsupported subnet task")

// digitsTensors checks that task is the digits task, one float32 input
// [batch, 64] and one float32 output [batch, 10], and returns their names.
func digitsTensors(task subnettypes.TaskSpec) (input, output string, err error) {
	fits := func(ts []subnettypes.TensorSpec, width int64) bool {
		return len(ts) == 1 && ts[0].Dtype == string(onnx.Float32) && len(ts[0].Shape) == 2 && ts[0].Shape[1] == width
	}
	if task.Kind != digitsTask || !fits(task.Inputs, model.NumFeatures) || !fits(task.Outputs, model.NumClasses) {
		return "", "", fmt.Errorf("%w: %q with inputs %v and outputs %v; this validator scores %q (float32 [batch, %d] in, [batch, %d] out)",
			ErrUnsupportedTask, task.Kind, task.Inputs, task.Outputs, digitsTask, model.NumFeatures, model.NumClasses)
	}
	return task.Inputs[0].Name, task.Outputs[0].Name, nil
}

// inferer sends a signed Infer to a miner; *axon.Client is one.
type inferer interface {
	Infer(ctx context.Context, target axon.AxonTarget, inputs []*axonpb.Tensor) (*axonpb.InferResponse, error)
}

// scorer runs the scoring steps: challenges out, answers scored, EMAs
// updated. It is what a step costs, without the chain.
type scorer struct {
	cfg     Config
	data    *evalSet
	client  inferer
	scores  *scoreTable
	verify  *verifier // nil: no verification
	metrics *metrics
	log     *slog.Logger
	input   string
	output  string
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

// query sends one challenge to t and scores the answer.
func (s *scorer) query(ctx context.Context, netuid uint32, t neuronView, rng *rand.Rand, verifyOn, permit bool) queryResult {
	rows := s.cfg.ChallengeBatch
	x := make([]float32, rows*model.NumFeatures)
	labels := make([]int, rows)
	s.data.challenge(rng, s.cfg.Perturb, x, labels)
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	start := s.now()
	resp, err := s.client.Infer(qctx, t.target(netuid),
		[]*axonpb.Tensor{axon.Float32Tensor(s.input, []int64{int64(rows), model.NumFeatures}, x)})
	res := queryResult{miner: t, latency: s.now().Sub(start), err: err}
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
	probs, err := s.probabilities(resp, rows)
	if err != nil {
		res.outcome, res.err = outcomeInvalid, err
		return res
	}
	res.outcome = outcomeOK
	res.score = accuracy(probs, labels) * (1 - latencyWeight*min(1, res.latency.Seconds()/s.cfg.QueryTimeout.Seconds()))
	if verifyOn && s.verify != nil {
		s.verify.observe(t, pickSample(rng, s.cfg.Verify.Sample, x, probs, rows), permit)
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

// probabilities returns the task's output tensor, [rows, 10] float32.
func (s *scorer) probabilities(resp *axonpb.InferResponse, rows int) ([]float32, error) {
	for _, t := range resp.GetOutputs() {
		if t.GetName() != s.output {
			continue
		}
		p, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", s.output, err)
		}
		if sh := t.GetShape(); len(sh) != 2 || sh[0] != int64(rows) || sh[1] != model.NumClasses || len(p) != rows*model.NumClasses {
			return nil, fmt.Errorf("output %q has shape %v, want [%d %d]", s.output, sh, rows, model.NumClasses)
		}
		return p, nil
	}
	return nil, fmt.Errorf("no output %q in the answer", s.output)
}

// accuracy is the share of rows whose highest probability is at the label;
// a row holding NaN or an infinity is wrong.
func accuracy(probs []float32, labels []int) float64 {
	correct := 0
	for r, label := range labels {
		row := probs[r*model.NumClasses : (r+1)*model.NumClasses]
		best, ok := 0, true
		for k, p := range row {
			if math.IsNaN(float64(p)) || math.IsInf(float64(p), 0) {
				ok = false
				break
			}
			if p > row[best] {
				best = k
			}
		}
		if ok && best == label {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}

// pickSample copies k random rows of a challenge and the miner's answers.
func pickSample(rng *rand.Rand, k int, x, probs []float32, rows int) sample {
	k = min(k, rows)
	s := sample{rows: k, inputs: make([]float32, 0, k*model.NumFeatures), outputs: make([]float32, 0, k*model.NumClasses)}
	for _, r := range rng.Perm(rows)[:k] {
		s.inputs = append(s.inputs, x[r*model.NumFeatures:(r+1)*model.NumFeatures]...)
		s.outputs = append(s.outputs, probs[r*model.NumClasses:(r+1)*model.NumClasses]...)
	}
	return s
}
