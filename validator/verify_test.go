package validator

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

var testTask = subnettypes.TaskSpec{
	Kind:    digits.Kind,
	Inputs:  []subnettypes.TensorSpec{{Name: "input", Dtype: "float32", Shape: []int64{-1, 64}}},
	Outputs: []subnettypes.TensorSpec{{Name: "probabilities", Dtype: "float32", Shape: []int64{-1, 10}}},
	Scoring: digits.ScoringAccuracy,
}

// testInstance is the digits task on testTask and the real data set.
func testInstance(tb testing.TB) task.Instance {
	tb.Helper()
	inst, err := task.Instantiate(testTask, task.Env{Settings: map[string]any{"data_path": ortlib.DigitsPath(tb)}})
	if err != nil {
		tb.Fatal(err)
	}
	return inst
}

// onnxModel trains a digits MLP for epochs (0: untrained) and returns its
// ONNX bytes and their sha256 in hex.
func onnxModel(t testing.TB, epochs int, seed uint64) ([]byte, string) {
	t.Helper()
	if err := onnx.InitRuntime(ortlib.LibraryPath(t)); err != nil {
		t.Fatal(err)
	}
	train, held, err := digits.LoadDigitsSplit(ortlib.DigitsPath(t))
	if err != nil {
		t.Fatal(err)
	}
	opts := digits.DefaultTrainOptions()
	opts.Epochs, opts.Seed = epochs, seed
	m, err := digits.Train(train, held, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalONNX()
	if err != nil {
		t.Fatal(err)
	}
	return b, onnx.HashBytes(b)
}

// fakeDownloads serves model files by miner hotkey, or an error.
type fakeDownloads struct {
	files map[string][]byte
	errs  map[string]error
	calls int
}

func (f *fakeDownloads) DownloadModel(_ context.Context, target axon.AxonTarget, w io.Writer) ([]byte, uint64, error) {
	f.calls++
	if err := f.errs[target.Hotkey]; err != nil {
		return nil, 0, err
	}
	b := f.files[target.Hotkey]
	_, _ = w.Write(b)
	sum := sha256.Sum256(b)
	return sum[:], uint64(len(b)), nil
}

type flagged map[uint32]string

func newTestVerifier(t *testing.T, d downloader) (*verifier, flagged, *time.Time) {
	t.Helper()
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig().Verify
	v := newVerifier(cfg, testTask, 1, d, slog.New(slog.DiscardHandler), m)
	t.Cleanup(v.close)
	flags := flagged{}
	v.flag = func(uid uint32, _, reason, _ string) { flags[uid] = reason }
	now := time.Unix(1000, 0)
	v.now = func() time.Time { return now }
	return v, flags, &now
}

// answers runs a challenge through the model file b, as a miner serving it
// would answer.
func answers(t *testing.T, b []byte, rng *rand.Rand) sample {
	t.Helper()
	s, err := onnx.LoadSessionBytes(b, onnx.SessionOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inst := testInstance(t)
	c, err := inst.Challenge(rng, 8)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(c.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	idx := rng.Perm(c.Rows)[:4]
	in, minerOut, err := inst.Sample(c, out, idx)
	if err != nil {
		t.Fatal(err)
	}
	return sample{rows: len(idx), inputs: in, outputs: minerOut}
}

// drain runs the queued downloads.
func drain(v *verifier) {
	for {
		select {
		case job := <-v.jobs:
			v.download(context.Background(), job.target)
		default:
			return
		}
	}
}

func TestVerifier(t *testing.T) {
	a, shaA := onnxModel(t, 30, 1)
	b, _ := onnxModel(t, 3, 2)
	rng := rand.New(rand.NewPCG(1, 1))
	miner := func(uid uint32, hotkey, sha string, size int) neuronView {
		return neuronView{UID: uid, Hotkey: hotkey, Address: "127.0.0.1:1", ModelSHA256: sha, ModelSize: uint64(size)}
	}
	tests := []struct {
		name     string
		serves   []byte // the file ModelDownload hands out
		err      error  // or the download's error
		runs     []byte // the model that computes the answers
		permit   bool
		size     int
		want     string // flag reason, "" for none
		download bool   // a download is attempted
	}{
		{name: "honest", serves: a, runs: a, permit: true, download: true},
		{name: "answers from another model", serves: a, runs: b, permit: true, want: reasonMismatch, download: true},
		{name: "serves another file than it committed", serves: b, runs: b, permit: true, want: reasonSHA, download: true},
		{name: "does not serve downloads", err: status.Error(codes.Unimplemented, "model download disabled"), runs: a, permit: true, want: reasonRefused, download: true},
		{name: "served file does not hash to its own model", err: status.Error(codes.DataLoss, "hash"), runs: a, permit: true, want: reasonRefused, download: true},
		{name: "not permitted yet", err: status.Error(codes.PermissionDenied, "no permit"), runs: a, permit: true, download: true},
		{name: "one transient failure", err: status.Error(codes.Unavailable, "connection refused"), runs: a, permit: true, download: true},
		{name: "no download without a permit", serves: a, runs: b, permit: false},
		{name: "committed model too large", serves: a, runs: a, permit: true, size: 300 << 20, want: reasonTooLarge, download: true},
		{name: "committed file is not a model", serves: []byte("not onnx"), runs: a, permit: true, want: reasonInvalid, download: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &fakeDownloads{files: map[string][]byte{"m": tc.serves}, errs: map[string]error{"m": tc.err}}
			v, flags, _ := newTestVerifier(t, d)
			sha, size := shaA, len(a)
			if tc.want == reasonInvalid {
				sha, size = onnx.HashBytes(tc.serves), len(tc.serves)
			}
			if tc.size != 0 {
				size = tc.size
			}
			m := miner(3, "m", sha, size)
			v.observe(m, answers(t, tc.runs, rng), tc.permit)
			drain(v)
			v.observe(m, answers(t, tc.runs, rng), tc.permit) // against the loaded model, if any
			drain(v)
			if got := flags[3]; got != tc.want {
				t.Fatalf("flag = %q, want %q", got, tc.want)
			}
			if (d.calls > 0) != tc.download && tc.want != reasonTooLarge {
				t.Fatalf("%d downloads, want some: %v", d.calls, tc.download)
			}
			matches := value(v.metrics.checks.WithLabelValues(checkMatch))
			if wantMatches := map[bool]float64{true: 2, false: 0}[tc.name == "honest"]; matches != wantMatches {
				t.Fatalf("%v answers checked and matching, want %v", matches, wantMatches)
			}
		})
	}
}

// TestVerifierTransientFailures: downloads that keep failing flag a miner
// only while it answers queries, and never before maxDownloadFailures.
func TestVerifierTransientFailures(t *testing.T) {
	a, shaA := onnxModel(t, 30, 1)
	rng := rand.New(rand.NewPCG(2, 2))
	m := neuronView{UID: 5, Hotkey: "m", Address: "127.0.0.1:1", ModelSHA256: shaA, ModelSize: uint64(len(a))}
	d := &fakeDownloads{errs: map[string]error{"m": status.Error(codes.Unavailable, "connection refused")}}
	v, flags, now := newTestVerifier(t, d)
	for i := 1; i <= maxDownloadFailures; i++ {
		v.observe(m, answers(t, a, rng), true)
		drain(v)
		if d.calls != i {
			t.Fatalf("attempt %d: %d downloads", i, d.calls)
		}
		if i < maxDownloadFailures && flags[5] != "" {
			t.Fatalf("flagged after %d failures", i)
		}
		v.observe(m, answers(t, a, rng), true) // within the backoff: no new attempt
		drain(v)
		if d.calls != i {
			t.Fatalf("a download during the backoff (attempt %d)", i)
		}
		*now = now.Add(retryMax)
	}
	if flags[5] != reasonUnavailable {
		t.Fatalf("flag = %q after %d failures while answering, want %q", flags[5], maxDownloadFailures, reasonUnavailable)
	}
	// another hotkey takes the UID and serves its model: checks start afresh
	delete(flags, 5)
	m.Hotkey = "m2"
	d.files = map[string][]byte{"m2": a}
	v.prune(&snapshot{Neurons: []neuronView{m}})
	v.observe(m, answers(t, a, rng), true)
	drain(v)
	if flags[5] != "" || value(v.metrics.checks.WithLabelValues(checkMatch)) != 1 {
		t.Fatalf("new hotkey: flag %q, %v matching checks; want no flag and one match", flags[5],
			value(v.metrics.checks.WithLabelValues(checkMatch)))
	}
}

func TestMaxDiff(t *testing.T) {
	nan := float32(0)
	nan /= nan
	tests := []struct {
		name        string
		miner, mine []float32
		want        float64
	}{
		{"equal", []float32{0.1, 0.9}, []float32{0.1, 0.9}, 0},
		{"small", []float32{0.1, 0.9}, []float32{0.1005, 0.8995}, 0.0005},
		{"length", []float32{0.1}, []float32{0.1, 0.9}, 2},
		{"nan", []float32{nan, 0.9}, []float32{0.1, 0.9}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := maxDiff(tc.miner, tc.mine)
			if (tc.want == 2 && got < 1e9) || (tc.want < 2 && (got-tc.want > 1e-6 || tc.want-got > 1e-6)) {
				t.Fatalf("maxDiff = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMaxDiffTensors checks the comparison over named output tensors of
// any task: float32 within the difference, int64 equal, and anything that
// does not line up infinitely far.
func TestMaxDiffTensors(t *testing.T) {
	f := func(shape []int64, v ...float32) onnx.Tensor { return onnx.NewFloat32Tensor(shape, v) }
	i := func(v ...int64) onnx.Tensor { return onnx.NewInt64Tensor([]int64{int64(len(v))}, v) }
	tests := []struct {
		name         string
		miner, local task.Tensors
		want         float64 // 2: infinite
	}{
		{"two outputs", task.Tensors{"p": f([]int64{1, 2}, 0.1, 0.9), "ids": i(3, 4)},
			task.Tensors{"p": f([]int64{1, 2}, 0.1, 0.8), "ids": i(3, 4), "extra": i(1)}, 0.1},
		{"int64 differs", task.Tensors{"ids": i(3, 4)}, task.Tensors{"ids": i(3, 5)}, 2},
		{"missing locally", task.Tensors{"p": f([]int64{1, 1}, 0)}, task.Tensors{}, 2},
		{"shape differs", task.Tensors{"p": f([]int64{1, 2}, 0, 0)}, task.Tensors{"p": f([]int64{2, 1}, 0, 0)}, 2},
		{"dtype differs", task.Tensors{"p": i(0)}, task.Tensors{"p": f([]int64{1}, 0)}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := maxDiffTensors(tc.miner, tc.local)
			if (tc.want == 2 && got < 1e9) || (tc.want < 2 && (got-tc.want > 1e-6 || tc.want-got > 1e-6)) {
				t.Fatalf("maxDiffTensors = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestVerifierRefusals is attack 3 of issue 15: a miner refuses ModelDownload
// with PermissionDenied (or Unauthenticated) to a validator that holds a
// permit, while answering queries from another model than it committed to.
// Within verify.permit_grace of the permit the refusals do not count (the
// miner's metagraph may not show the permit yet); after it, the miner is
// flagged download_refused at its max_refusals-th refusal, also when it
// commits another model in between. A validator without a permit never
// downloads and never flags it.
func TestVerifierRefusals(t *testing.T) {
	a, shaA := onnxModel(t, 30, 1)
	b, shaB := onnxModel(t, 3, 2)
	tests := []struct {
		name     string
		err      error
		permit   bool
		recommit bool // commits model B after the first counted refusal
		want     string
	}{
		{name: "PermissionDenied to a permit holder", err: status.Error(codes.PermissionDenied, "caller has no validator permit"), permit: true, want: reasonRefused},
		{name: "Unauthenticated to a permit holder", err: status.Error(codes.Unauthenticated, "bad signature"), permit: true, want: reasonRefused},
		{name: "a new commitment does not reset the count", err: status.Error(codes.PermissionDenied, "no permit"), permit: true, recommit: true, want: reasonRefused},
		{name: "validator without a permit", err: status.Error(codes.PermissionDenied, "no permit"), permit: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			swapped := answers(t, b, rng) // what the dodger answers
			d := &fakeDownloads{errs: map[string]error{"m": tc.err}}
			v, flags, now := newTestVerifier(t, d)
			m := neuronView{UID: 4, Hotkey: "m", Address: "127.0.0.1:1", ModelSHA256: shaA, ModelSize: uint64(len(a))}
			start := *now
			attempt := func() {
				v.observe(m, swapped, tc.permit)
				drain(v)
			}
			for now.Sub(start) < v.cfg.PermitGrace { // within the grace: retried, never counted
				attempt()
				if flags[4] != "" {
					t.Fatalf("flagged %q %s after the permit, within the grace", flags[4], now.Sub(start))
				}
				*now = now.Add(retryBase)
			}
			inGrace := d.calls
			after := 0
			for flags[4] == "" && after < 10 {
				*now = now.Add(retryMax)
				attempt()
				after++
				if tc.recommit && after == 1 {
					m.ModelSHA256, m.ModelSize = shaB, uint64(len(b))
					v.prune(&snapshot{Neurons: []neuronView{m}, Self: neuronView{Permit: tc.permit}, SelfFound: true})
				}
			}
			t.Logf("%d downloads refused within the %s grace, flag %q at attempt %d after it", inGrace, v.cfg.PermitGrace, flags[4], after)
			if flags[4] != tc.want {
				t.Fatalf("flag = %q, want %q", flags[4], tc.want)
			}
			if !tc.permit {
				if d.calls != 0 {
					t.Fatalf("%d downloads without a permit", d.calls)
				}
				return
			}
			if inGrace < 2 || after != v.cfg.MaxRefusals {
				t.Fatalf("%d attempts in the grace, flagged at attempt %d after it; want retries in the grace and the flag at attempt %d",
					inGrace, after, v.cfg.MaxRefusals)
			}
		})
	}
}

// TestVerifierPermitLost: refusals counted before this validator lost its
// permit are forgotten, and the grace starts again when it gets one back.
func TestVerifierPermitLost(t *testing.T) {
	a, shaA := onnxModel(t, 30, 1)
	rng := rand.New(rand.NewPCG(4, 4))
	s := answers(t, a, rng)
	d := &fakeDownloads{errs: map[string]error{"m": status.Error(codes.PermissionDenied, "no permit")}}
	v, flags, now := newTestVerifier(t, d)
	m := neuronView{UID: 4, Hotkey: "m", Address: "127.0.0.1:1", ModelSHA256: shaA, ModelSize: uint64(len(a))}
	snap := func(permit bool) *snapshot {
		return &snapshot{Neurons: []neuronView{m}, Self: neuronView{Permit: permit}, SelfFound: true}
	}
	v.prune(snap(true))
	*now = now.Add(v.cfg.PermitGrace)
	for range v.cfg.MaxRefusals - 1 {
		v.observe(m, s, true)
		drain(v)
		*now = now.Add(retryMax)
	}
	v.prune(snap(false)) // the permit is gone (the miner's refusals were right)
	v.prune(snap(true))  // and back
	v.observe(m, s, true)
	drain(v)
	if flags[4] != "" {
		t.Fatalf("flagged %q by a refusal within the new grace", flags[4])
	}
	*now = now.Add(v.cfg.PermitGrace)
	for i := 1; i <= v.cfg.MaxRefusals; i++ {
		*now = now.Add(retryMax)
		v.observe(m, s, true)
		drain(v)
		if got := flags[4] != ""; got != (i == v.cfg.MaxRefusals) {
			t.Fatalf("refusal %d after the new grace: flagged %v", i, got)
		}
	}
}

// TestVerifierBusy: ResourceExhausted, what another caller's stalled
// downloads produce, is retried with backoff and never flags a miner within
// verify.busy_bound (the old rule flagged download_failed at the third);
// past the bound, busy without a break while answering, it flags
// download_busy.
func TestVerifierBusy(t *testing.T) {
	a, shaA := onnxModel(t, 30, 1)
	s := answers(t, a, rand.New(rand.NewPCG(5, 5)))
	busyErr := status.Error(codes.ResourceExhausted, "busy: 2 model downloads in progress (max_concurrent_downloads)")
	m := neuronView{UID: 6, Hotkey: "m", Address: "127.0.0.1:1", ModelSHA256: shaA, ModelSize: uint64(len(a))}
	d := &fakeDownloads{errs: map[string]error{"m": busyErr}}
	v, flags, now := newTestVerifier(t, d)
	start := *now
	for {
		v.observe(m, s, true)
		drain(v)
		if now.Sub(start) >= v.cfg.BusyBound {
			break
		}
		if flags[6] != "" {
			t.Fatalf("flagged %q after %d busy answers in %s, within busy_bound %s", flags[6], d.calls, now.Sub(start), v.cfg.BusyBound)
		}
		*now = now.Add(retryMax)
	}
	t.Logf("%d busy answers in %s: no flag; flag %q past the bound", d.calls, v.cfg.BusyBound, flags[6])
	if d.calls < maxDownloadFailures*3 {
		t.Fatalf("only %d attempts in %s: busy must be retried", d.calls, v.cfg.BusyBound)
	}
	if flags[6] != reasonBusy {
		t.Fatalf("flag = %q past busy_bound, want %q", flags[6], reasonBusy)
	}
}
