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
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/model"
	"github.com/tensorcosm/tensorcosm/neuron"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Model check results and the reasons a miner is flagged.
const (
	checkMatch    = "match"
	checkMismatch = "mismatch"

	reasonMismatch    = "answers_mismatch" // its answers differ from its committed model's
	reasonSHA         = "sha_mismatch"     // the file it serves does not hash to its commitment
	reasonRefused     = "download_refused" // it does not serve ModelDownload (Unimplemented, DataLoss)
	reasonInvalid     = "model_invalid"    // the committed file is no usable model for the task
	reasonTooLarge    = "model_too_large"  // its commitment is above verify.max_model_bytes
	reasonUnavailable = "download_failed"  // downloads keep failing while it answers queries
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
// committed model.
type sample struct {
	rows    int
	inputs  []float32 // rows x NumFeatures
	outputs []float32 // rows x NumClasses, the miner's answers
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
	failures    int
	firstFail   time.Time
	nextTry     time.Time
	lastOK      time.Time // last answered query
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
	input      string
	output     string
	netuid     uint32
	client     downloader
	log        *slog.Logger
	metrics    *metrics
	now        func() time.Time
	flag       func(uid uint32, hotkey, reason, detail string) // scores the miner 0
	jobs       chan downloadJob
	sessionOpt model.SessionOptions

	mu       sync.Mutex
	models   map[string]*model.Session // by committed sha256
	miners   map[uint32]*minerCheck
	inflight map[string]bool // sha256 being downloaded
}

func newVerifier(cfg VerifyConfig, task subnettypes.TaskSpec, netuid uint32, client downloader, log *slog.Logger, m *metrics) (*verifier, error) {
	in, out, err := digitsTensors(task)
	if err != nil {
		return nil, err
	}
	return &verifier{cfg: cfg, task: task, input: in, output: out, netuid: netuid, client: client, log: log, metrics: m,
		now: time.Now, flag: func(uint32, string, string, string) {}, jobs: make(chan downloadJob, 64),
		sessionOpt: model.SessionOptions{Device: model.DeviceCPU, IntraOpThreads: 1, Logger: log},
		models:     make(map[string]*model.Session), miners: make(map[uint32]*minerCheck), inflight: make(map[string]bool)}, nil
}

// check returns the state of t, fresh when t's hotkey or model changed.
// The caller holds mu.
func (v *verifier) check(t neuronView) *minerCheck {
	mc := v.miners[t.UID]
	if mc == nil || mc.hotkey != t.Hotkey || mc.sha != t.ModelSHA256 {
		mc = &minerCheck{hotkey: t.Hotkey, sha: t.ModelSHA256}
		v.miners[t.UID] = mc
	}
	return mc
}

// observe checks one answered sample of miner t against its committed
// model, now if the model is loaded, else once it has been downloaded
// (which only a validator with a permit may do). A miner that fails is
// flagged through v.flag.
func (v *verifier) observe(t neuronView, s sample, permit bool) {
	v.mu.Lock()
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
func (v *verifier) compare(t neuronView, sess *model.Session, s sample) {
	out, err := sess.Run(map[string]model.Tensor{v.input: model.NewFloat32Tensor([]int64{int64(s.rows), model.NumFeatures}, s.inputs)})
	if errors.Is(err, model.ErrSessionClosed) {
		return // the model was replaced while this ran
	}
	if err != nil {
		v.log.Error("re-running a miner's committed model failed", "uid", t.UID, "sha256", t.ModelSHA256, "error", err)
		return
	}
	local := out[v.output].Float32
	if diff := maxDiff(s.outputs, local); diff > v.cfg.Tolerance {
		v.metrics.checks.WithLabelValues(checkMismatch).Inc()
		v.log.Debug("miner's answers differ from its committed model", "uid", t.UID, "miner", t.Hotkey,
			"sha256", t.ModelSHA256, "max_difference", diff, "tolerance", v.cfg.Tolerance, "rows", s.rows)
		v.flag(t.UID, t.Hotkey, reasonMismatch, fmt.Sprintf("answers differ from committed model %s by up to %.4g (tolerance %g)",
			t.ModelSHA256, diff, v.cfg.Tolerance))
		return
	}
	v.metrics.checks.WithLabelValues(checkMatch).Inc()
}

// maxDiff returns the largest absolute difference between the miner's and
// the local outputs; +Inf when their sizes differ or a value is not finite.
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
func (v *verifier) fetch(ctx context.Context, t neuronView) (*model.Session, string, error) {
	if t.ModelSize > v.cfg.MaxModelBytes {
		return nil, reasonTooLarge, fmt.Errorf("committed model is %d bytes, verify.max_model_bytes is %d", t.ModelSize, v.cfg.MaxModelBytes)
	}
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	var buf bytes.Buffer
	sum, _, err := v.client.DownloadModel(ctx, axon.AxonTarget{Hotkey: t.Hotkey, Netuid: v.netuid, Address: t.Address}, &buf)
	if err != nil {
		return nil, downloadReason(err), err
	}
	if got := hex.EncodeToString(sum); got != t.ModelSHA256 {
		v.metrics.downloads.WithLabelValues(reasonSHA).Inc()
		return nil, reasonSHA, fmt.Errorf("served model hashes to %s, the commitment is %s", got, t.ModelSHA256)
	}
	v.metrics.downloads.WithLabelValues("ok").Inc()
	sess, err := model.LoadSessionBytes(buf.Bytes(), v.sessionOpt)
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

// downloadReason classifies a failed download: "" for failures that may
// pass (unreachable, busy, timed out), "-" for a refusal that is this
// validator's (no permit in the miner's view yet), else the flag reason.
func downloadReason(err error) string {
	switch status.Code(err) {
	case codes.Unimplemented, codes.DataLoss:
		return reasonRefused
	case codes.PermissionDenied, codes.Unauthenticated:
		return "-"
	}
	return ""
}

// failed records a failed download. The caller holds mu.
func (v *verifier) failed(t neuronView, mc *minerCheck, reason string, err error) {
	now := v.now()
	switch reason {
	case "-":
		v.metrics.downloads.WithLabelValues("not_permitted").Inc()
		mc.nextTry = now.Add(retryBase)
		v.log.Debug("model download not permitted yet", "uid", t.UID, "error", err)
		return
	case "":
		v.metrics.downloads.WithLabelValues("error").Inc()
		if mc.failures == 0 {
			mc.firstFail = now
		}
		mc.failures++
		mc.nextTry = now.Add(min(retryMax, retryBase<<min(mc.failures, 5)))
		v.log.Warn("model download failed", "uid", t.UID, "sha256", t.ModelSHA256, "attempt", mc.failures, "error", err)
		if mc.failures < maxDownloadFailures || !mc.lastOK.After(mc.firstFail) {
			return // maybe the miner is down, and its queries score 0 anyway
		}
		reason = reasonUnavailable
	default:
		if reason == reasonRefused {
			v.metrics.downloads.WithLabelValues("refused").Inc()
		}
	}
	mc.bad, mc.pending = reason, nil
	v.flag(t.UID, t.Hotkey, reason, err.Error()) // takes the scores lock, which never waits for mu
}

// prune forgets miners whose hotkey or model changed and closes the models
// nobody commits to any more.
func (v *verifier) prune(snap *snapshot) {
	v.mu.Lock()
	defer v.mu.Unlock()
	committed := make(map[string]bool)
	byUID := make(map[uint32]neuronView, len(snap.Neurons))
	for _, n := range snap.Neurons {
		committed[n.ModelSHA256] = true
		byUID[n.UID] = n
	}
	for uid, mc := range v.miners {
		if n, ok := byUID[uid]; !ok || n.Hotkey != mc.hotkey || n.ModelSHA256 != mc.sha {
			delete(v.miners, uid)
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
