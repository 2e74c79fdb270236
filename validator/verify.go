package validator

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/neuron"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Model check results and the reasons a miner is flagged.
const (
	checkMatch    = "match"
	checkMismatch = "mismatch"

	reasonMismatch    = "answers_mismatch" // its answers differ from its committed model's
	reasonSHA         = "sha_mismatch"     // the file it serves does not hash to its commitment
	reasonRefused     = "download_refused" // it does not serve ModelDownload to this validator (see downloadReason)
	reasonInvalid     = "model_invalid"    // the committed file is no usable model for the task
	reasonTooLarge    = "model_too_large"  // its commitment is above verify.max_model_bytes
	reasonUnavailable = "download_failed"  // downloads keep failing while it answers queries
	reasonBusy        = "download_busy"    // downloads answer ResourceExhausted past verify.busy_bound
)

// Failed downloads that are not at once the miner's fault, as downloadReason
// returns them; "" is a transient failure.
const (
	// notPermitted: PermissionDenied or Unauthenticated, which a miner
	// answers until its metagraph shows this validator's permit, and a
	// dodging miner answers for ever.
	notPermitted = "-not_permitted"
	// busy: ResourceExhausted, every download slot of the miner is taken
	// (or this validator's hotkey already holds its one).
	busy = "-busy"
)

const (
	// maxDownloadFailures is how many transient download failures in a row
	// flag a miner that keeps answering queries meanwhile.
	maxDownloadFailures = 3
	// downloadTimeout bounds one model download.
	downloadTimeout = time.Minute
	// retryBase and retryMax bound the backoff between download attempts.
	retryBase = 5 * time.Second
	retryMax  = 2 * time.Minute
	// maxPending is how many answered samples per miner wait for its model.
	maxPending = 4
)

// sample is part of one answered challenge, kept to re-run on the miner's
// committed model (task.Instance.Sample).
type sample struct {
	rows    int
	inputs  task.Tensors // the rows' inputs
	outputs task.Tensors // the miner's outputs for them
}

// downloader fetches a miner's model file; *axon.Client is one.
type downloader interface {
	DownloadModel(ctx context.Context, target axon.AxonTarget, w io.Writer) ([]byte, uint64, error)
}

// minerCheck is the verification state of one UID for one (hotkey, model).
type minerCheck struct {
	hotkey, sha string
	pending     []sample
	bad         string // reason, once the model is known not to check out
	nextTry     time.Time
	downloadRecord
}

// downloadRecord is how a miner's downloads have failed. It follows the
// hotkey across model commitments, so a miner cannot reset it by
// committing another model; a successful download clears it.
type downloadRecord struct {
	failures  int       // transient failures in a row
	firstFail time.Time // the first of them
	refusals  int       // PermissionDenied/Unauthenticated answers past the permit grace
	busySince time.Time // first ResourceExhausted of the current run of them; zero when none
	busyTries int       // ResourceExhausted answers in that run
	lastOK    time.Time // last answered query
}

// pendingCheck is a miner's samples that waited for its model.
type pendingCheck struct {
	miner   neuronView
	samples []sample
}

type downloadJob struct {
	target neuronView
}

// verifier re-runs a sample of each miner's answers on the model the miner
// committed to, downloading each committed model once. It is safe for
// concurrent use.
type verifier struct {
	cfg        VerifyConfig
	task       subnettypes.TaskSpec
	netuid     uint32
	client     downloader
	log        *slog.Logger
	metrics    *metrics
	now        func() time.Time
	flag       func(uid uint32, hotkey, reason, detail string) // scores the miner 0
	jobs       chan downloadJob
	sessionOpt onnx.SessionOptions

	mu       sync.Mutex
	models   map[string]*onnx.Session // by committed sha256
	miners   map[uint32]*minerCheck
	inflight map[string]bool // sha256 being downloaded
	// permitSince is when this validator was first seen holding a permit,
	// zero while it holds none.
	permitSince time.Time
}

func newVerifier(cfg VerifyConfig, spec subnettypes.TaskSpec, netuid uint32, client downloader, log *slog.Logger, m *metrics) *verifier {
	return &verifier{cfg: cfg, task: spec, netuid: netuid, client: client, log: log, metrics: m,
		now: time.Now, flag: func(uint32, string, string, string) {}, jobs: make(chan downloadJob, 64),
		sessionOpt: onnx.SessionOptions{Device: onnx.DeviceCPU, IntraOpThreads: 1, Logger: log},
		models:     make(map[string]*onnx.Session), miners: make(map[uint32]*minerCheck), inflight: make(map[string]bool)}
}

// check returns the state of t, fresh when t's hotkey or model changed
// (keeping the download record of a hotkey that changed its model). The
// caller holds mu.
func (v *verifier) check(t neuronView) *minerCheck {
	mc := v.miners[t.UID]
	if mc == nil || mc.hotkey != t.Hotkey || mc.sha != t.ModelSHA256 {
		fresh := &minerCheck{hotkey: t.Hotkey, sha: t.ModelSHA256}
		if mc != nil && mc.hotkey == t.Hotkey {
			fresh.downloadRecord = mc.downloadRecord
		}
		mc = fresh
		v.miners[t.UID] = mc
	}
	return mc
}

// notePermit follows this validator's permit: the grace starts when it is
// first seen, and losing it forgets the refusals counted. The caller holds
// mu.
func (v *verifier) notePermit(held bool) {
	switch {
	case held && v.permitSince.IsZero():
		v.permitSince = v.now()
	case !held && !v.permitSince.IsZero():
		v.permitSince = time.Time{}
		for _, mc := range v.miners {
			mc.refusals = 0
		}
	}
}

// permitSettled reports whether this validator has held its permit for
// verify.permit_grace, long enough for every miner's metagraph to show it.
// The caller holds mu.
func (v *verifier) permitSettled(now time.Time) bool {
	return !v.permitSince.IsZero() && now.Sub(v.permitSince) >= v.cfg.PermitGrace
}

// observe checks one answered sample of miner t against its committed
// model, now if the model is loaded, else once it has been downloaded
// (which only a validator with a permit may do). A miner that fails is
// flagged through v.flag.
func (v *verifier) observe(t neuronView, s sample, permit bool) {
	v.mu.Lock()
	v.notePermit(permit)
	mc := v.check(t)
	mc.lastOK = v.now()
	if bad := mc.bad; bad != "" {
		v.mu.Unlock()
		v.flag(t.UID, t.Hotkey, bad, "its committed model did not check out")
		return
	}
	sess := v.models[t.ModelSHA256]
	if sess == nil {
		mc.pending = append(mc.pending, s)
		if len(mc.pending) > maxPending {
			mc.pending = mc.pending[1:]
		}
		if permit {
			v.schedule(t, mc)
		}
		v.mu.Unlock()
		return
	}
	v.mu.Unlock()
	v.compare(t, sess, s)
}

// schedule queues a download of t's model unless one is running or the
// backoff says wait. The caller holds mu.
func (v *verifier) schedule(t neuronView, mc *minerCheck) {
	if v.inflight[t.ModelSHA256] || v.now().Before(mc.nextTry) {
		return
	}
	select {
	case v.jobs <- downloadJob{target: t}:
		v.inflight[t.ModelSHA256] = true
	default: // the queue is full; a later answer asks again
	}
}

// compare re-runs s on the committed model and flags the miner on a
// difference above the tolerance.
func (v *verifier) compare(t neuronView, sess *onnx.Session, s sample) {
	out, err := sess.Run(s.inputs)
	if errors.Is(err, onnx.ErrSessionClosed) {
		return // the model was replaced while this ran
	}
	if err != nil {
		v.log.Error("re-running a miner's committed model failed", "uid", t.UID, "sha256", t.ModelSHA256, "error", err)
		return
	}
	if diff := maxDiffTensors(s.outputs, out); diff > v.cfg.Tolerance {
		v.metrics.checks.WithLabelValues(checkMismatch).Inc()
		v.log.Debug("miner's answers differ from its committed model", "uid", t.UID, "miner", t.Hotkey,
			"sha256", t.ModelSHA256, "max_difference", diff, "tolerance", v.cfg.Tolerance, "rows", s.rows)
		v.flag(t.UID, t.Hotkey, reasonMismatch, fmt.Sprintf("answers differ from committed model %s by up to %.4g (tolerance %g)",
			t.ModelSHA256, diff, v.cfg.Tolerance))
		return
	}
	v.metrics.checks.WithLabelValues(checkMatch).Inc()
}

// maxDiffTensors returns the largest absolute difference between the
// miner's outputs and the local ones, over every output the miner's sample
// holds: +Inf when a local output is missing, or the dtypes, shapes or
// sizes differ, a value is not finite, or integer values differ.
func maxDiffTensors(miner, local task.Tensors) float64 {
	d := 0.0
	for name, m := range miner {
		l, ok := local[name]
		if !ok || m.DType != l.DType || !slices.Equal(m.Shape, l.Shape) {
			return math.Inf(1)
		}
		switch m.DType {
		case onnx.Float32:
			d = max(d, maxDiff(m.Float32, l.Float32))
		case onnx.Int64:
			if !slices.Equal(m.Int64, l.Int64) {
				return math.Inf(1)
			}
		default:
			return math.Inf(1)
		}
	}
	return d
}

// maxDiff returns the largest absolute difference between the miner's and
// the local values; +Inf when their sizes differ or a value is not finite.
func maxDiff(miner, local []float32) float64 {
	if len(miner) != len(local) {
		return math.Inf(1)
	}
	d := 0.0
	for i, a := range miner {
		x := math.Abs(float64(a) - float64(local[i]))
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return math.Inf(1)
		}
		d = max(d, x)
	}
	return d
}

// run downloads the queued models until ctx ends.
func (v *verifier) run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case job := <-v.jobs:
			v.download(ctx, job.target)
		}
	}
}

// download fetches t's committed model, checks it and loads it, then runs
// every sample waiting for it.
func (v *verifier) download(ctx context.Context, t neuronView) {
	sess, reason, err := v.fetch(ctx, t)
	v.mu.Lock()
	delete(v.inflight, t.ModelSHA256)
	mc := v.check(t)
	if sess == nil {
		defer v.mu.Unlock()
		v.failed(t, mc, reason, err)
		return
	}
	if old := v.models[t.ModelSHA256]; old != nil {
		_ = old.Close()
	}
	v.models[t.ModelSHA256] = sess
	mc.downloadRecord = downloadRecord{lastOK: mc.lastOK}
	var waiting []pendingCheck
	for uid, c := range v.miners {
		if c.sha == t.ModelSHA256 && len(c.pending) > 0 && c.bad == "" {
			waiting = append(waiting, pendingCheck{neuronView{UID: uid, Hotkey: c.hotkey, ModelSHA256: c.sha}, c.pending})
			c.pending = nil
		}
	}
	v.mu.Unlock()
	v.log.Info("committed model downloaded: its sha256 matches", "uid", t.UID, "sha256", t.ModelSHA256, "size", t.ModelSize)
	for _, w := range waiting {
		for _, s := range w.samples {
			v.compare(w.miner, sess, s)
		}
	}
}

// fetch downloads and loads t's model. On failure it returns the flag
// reason for a failure that is the miner's doing, or "" for one that may
// be transient.
func (v *verifier) fetch(ctx context.Context, t neuronView) (*onnx.Session, string, error) {
	if t.ModelSize > v.cfg.MaxModelBytes {
		return nil, reasonTooLarge, fmt.Errorf("committed model is %d bytes, verify.max_model_bytes is %d", t.ModelSize, v.cfg.MaxModelBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	var buf bytes.Buffer
	sum, _, err := v.client.DownloadModel(ctx, t.target(v.netuid), &buf)
	if err != nil {
		return nil, downloadReason(err), err
	}
	if got := hex.EncodeToString(sum); got != t.ModelSHA256 {
		v.metrics.downloads.WithLabelValues(reasonSHA).Inc()
		return nil, reasonSHA, fmt.Errorf("served model hashes to %s, the commitment is %s", got, t.ModelSHA256)
	}
	v.metrics.downloads.WithLabelValues("ok").Inc()
	sess, err := onnx.LoadSessionBytes(buf.Bytes(), v.sessionOpt)
	if err == nil {
		if err = neuron.CheckTask(v.task, sess.Inputs(), sess.Outputs()); err != nil {
			_ = sess.Close()
		}
	}
	if err != nil {
		return nil, reasonInvalid, err
	}
	return sess, "", nil
}

// downloadReason classifies a failed download: the flag reason for a
// refusal that is the miner's at once (Unimplemented: not served; DataLoss:
// its file does not hash to its own model), notPermitted, busy, or "" for
// failures that may pass (unreachable, timed out, cut, Internal).
func downloadReason(err error) string {
	switch status.Code(err) {
	case codes.Unimplemented, codes.DataLoss:
		return reasonRefused
	case codes.PermissionDenied, codes.Unauthenticated:
		return notPermitted
	case codes.ResourceExhausted:
		return busy
	}
	return ""
}

// failed records a failed download and flags the miner when the failure,
// or the run of them, is its doing. The caller holds mu.
func (v *verifier) failed(t neuronView, mc *minerCheck, reason string, err error) {
	now := v.now()
	if reason != busy {
		mc.busySince, mc.busyTries = time.Time{}, 0
	}
	switch reason {
	case notPermitted:
		if !v.refused(t, mc, now, err) {
			return
		}
		reason = reasonRefused
	case busy:
		if !v.busy(t, mc, now, err) {
			return
		}
		reason = reasonBusy
	case "":
		if !v.transient(t, mc, now, err) {
			return
		}
		reason = reasonUnavailable
	case reasonRefused:
		v.metrics.downloads.WithLabelValues("refused").Inc()
	}
	mc.bad, mc.pending = reason, nil
	v.flag(t.UID, t.Hotkey, reason, err.Error()) // takes the scores lock, which never waits for mu
}

// refused counts a PermissionDenied or Unauthenticated answer once this
// validator's permit is settled (before that the miner may not know it),
// and reports whether verify.max_refusals of them flag the miner. Retries
// back off (10 s, 20 s, ...), so that a permit this validator lost is seen
// in its next metagraph sync before the count is reached.
func (v *verifier) refused(t neuronView, mc *minerCheck, now time.Time, err error) bool {
	if !v.permitSettled(now) {
		v.metrics.downloads.WithLabelValues("not_permitted").Inc()
		mc.nextTry = now.Add(retryBase)
		v.log.Debug("model download not permitted yet", "uid", t.UID, "error", err)
		return false
	}
	v.metrics.downloads.WithLabelValues("refused").Inc()
	mc.refusals++
	mc.nextTry = now.Add(min(retryMax, retryBase<<min(mc.refusals, 5)))
	v.log.Warn("miner refuses its model to this validator, which holds a permit", "uid", t.UID, "miner", t.Hotkey,
		"refusals", mc.refusals, "max_refusals", v.cfg.MaxRefusals, "error", err)
	return mc.refusals >= v.cfg.MaxRefusals
}

// busy records a ResourceExhausted answer, retried with backoff and never
// counted as a failure: it is what another caller's stalled streams
// produce. It reports whether the miner has been busy to this validator
// without a break for verify.busy_bound while answering its queries: with
// one download slot per caller an honest miner never is for long.
func (v *verifier) busy(t neuronView, mc *minerCheck, now time.Time, err error) bool {
	v.metrics.downloads.WithLabelValues("busy").Inc()
	if mc.busySince.IsZero() {
		mc.busySince = now
	}
	mc.busyTries++
	mc.nextTry = now.Add(min(retryMax, retryBase<<min(mc.busyTries, 5)))
	busyFor := now.Sub(mc.busySince)
	v.log.Debug("miner busy: model download refused with ResourceExhausted", "uid", t.UID, "busy_for", busyFor,
		"attempt", mc.busyTries, "error", err)
	return busyFor >= v.cfg.BusyBound && mc.busyTries >= maxDownloadFailures && mc.lastOK.After(mc.busySince)
}

// transient counts a failure that may pass and reports whether
// maxDownloadFailures of them in a row, while the miner kept answering
// queries, flag it.
func (v *verifier) transient(t neuronView, mc *minerCheck, now time.Time, err error) bool {
	v.metrics.downloads.WithLabelValues("error").Inc()
	if mc.failures == 0 {
		mc.firstFail = now
	}
	mc.failures++
	mc.nextTry = now.Add(min(retryMax, retryBase<<min(mc.failures, 5)))
	v.log.Warn("model download failed", "uid", t.UID, "sha256", t.ModelSHA256, "attempt", mc.failures, "error", err)
	// maybe the miner is down, and its queries score 0 anyway
	return mc.failures >= maxDownloadFailures && mc.lastOK.After(mc.firstFail)
}

// prune follows the metagraph: it notes this validator's permit, forgets
// miners whose hotkey changed, renews those whose model changed and closes
// the models nobody commits to any more.
func (v *verifier) prune(snap *snapshot) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.notePermit(snap.SelfFound && snap.Self.Permit)
	committed := make(map[string]bool)
	byUID := make(map[uint32]neuronView, len(snap.Neurons))
	for _, n := range snap.Neurons {
		committed[n.ModelSHA256] = true
		byUID[n.UID] = n
	}
	for uid, mc := range v.miners {
		switch n, ok := byUID[uid]; {
		case !ok || n.Hotkey != mc.hotkey:
			delete(v.miners, uid)
		case n.ModelSHA256 != mc.sha:
			v.check(n)
		}
	}
	for sha, s := range v.models {
		if !committed[sha] {
			_ = s.Close()
			delete(v.models, sha)
		}
	}
}

// close releases the loaded models.
func (v *verifier) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for sha, s := range v.models {
		_ = s.Close()
		delete(v.models, sha)
	}
}
