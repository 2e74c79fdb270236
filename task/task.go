// Package task is the plug-in point for what a subnet's miners compute. The
// chain stores a subnet's task as data (x/subnet TaskSpec: kind, tensors,
// scoring rule); a Task turns that data into behaviour: the challenges a
// validator sends, how answers are scored, which rows are re-executed to
// check a miner's committed model, and how a user's payload becomes tensors
// (the gateway's codec).
//
// Task kinds live in their own packages (task/digits, task/textline) that
// call Register from an init function. The miner, validator and gateway
// never import a kind: the binaries in cmd/ link kinds in with blank imports
// and everything else reaches them through Get. See task/README.md for how
// to add a kind.
package task

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"

	"github.com/tensorcosm/tensorcosm/onnx"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// ErrUnknownKind is returned by Get for a kind no linked-in package registered.
var ErrUnknownKind = errors.New("unknown task kind")

// ErrBadSpec wraps every error about a TaskSpec that does not fit its kind
// (tensors, scoring rule).
var ErrBadSpec = errors.New("task spec does not fit its kind")

// ErrBadOutput wraps every error about a miner's outputs that cannot be
// scored (missing tensor, wrong dtype or shape, wrong row count).
var ErrBadOutput = errors.New("malformed model output")

// ErrBadPayload wraps every error about a user's payload that cannot be
// turned into inputs. The gateway answers it with HTTP 400.
var ErrBadPayload = errors.New("bad payload")

// ErrNotSupported is returned by optional codec methods a kind does not
// offer (for example an image upload for a task without images).
var ErrNotSupported = errors.New("not supported by this task")

// Tensors are named tensors, the unit of a model's inputs and outputs.
type Tensors = map[string]onnx.Tensor

// Env is what a task may need from its host at New.
type Env struct {
	// CacheDir is the shared cache (onnx.CacheDir() by default): data sets,
	// fonts, reference models, fetched by the repository's scripts.
	CacheDir string
	// Settings are the host's settings for this kind (for the validator, the
	// config section tasks.<kind>), decoded by the kind itself; nil means
	// the kind's defaults. Unknown keys are an error.
	Settings map[string]any
}

// Task is one kind of task. Implementations are safe for concurrent use.
type Task interface {
	// Kind is the TaskSpec.kind this task handles, e.g. "digits-classification".
	Kind() string
	// DefaultSpec is the TaskSpec a subnet of this kind is created with:
	// tensors, dynamic dimensions as -1, and the default scoring rule.
	DefaultSpec() subnettypes.TaskSpec
	// New checks a subnet's TaskSpec (kind, tensors, scoring rule: errors
	// wrap ErrBadSpec) and returns an Instance bound to it. It loads what
	// the instance needs (data sets, fonts), so it can be slow and fail on
	// missing files with an error that names the script that fetches them.
	New(spec subnettypes.TaskSpec, env Env) (Instance, error)
}

// Challenge is one batch of challenges with its ground truth.
type Challenge struct {
	// Inputs are the model inputs, every tensor's dimension 0 being the Rows.
	Inputs Tensors
	// Rows is the number of challenge items in the batch.
	Rows int
	// Truth is the ground truth, opaque to everyone but the instance that
	// made it.
	Truth any
}

// Instance is a task bound to one subnet's TaskSpec.
type Instance interface {
	// Spec is the TaskSpec the instance was made for.
	Spec() subnettypes.TaskSpec
	// Challenge makes a fresh batch of rows items. Everything random comes
	// from rng, so a fixed rng state gives the same batch and the validator
	// keeps its seed private.
	Challenge(rng *rand.Rand, rows int) (Challenge, error)
	// Score scores a miner's outputs for c: one score in [0, 1] per row, in
	// row order. Outputs that do not fit the spec or c (names, dtypes,
	// shapes, row count) give an error wrapping ErrBadOutput; NaN or
	// infinite values score 0 for their row and are not an error.
	Score(c Challenge, outputs Tensors) ([]float64, error)
	// Sample returns rows idx (in that order) of c's inputs and of the
	// miner's outputs, for re-execution on the miner's committed model.
	Sample(c Challenge, outputs Tensors, idx []int) (inputs, minerOutputs Tensors, err error)
	// Codec turns users' payloads into inputs and outputs into answers.
	Codec() Codec
}

// Codec is the gateway's view of a task: a user's payload to model inputs,
// model outputs to the task's natural answer. Decoders never panic on any
// input; errors wrap ErrBadPayload (or ErrNotSupported).
type Codec interface {
	// DecodeJSON turns the task's natural JSON payload (digits: 64 values;
	// textline: a base64 image) into inputs of one or more rows.
	DecodeJSON(payload []byte) (Tensors, error)
	// DecodeImage turns an uploaded image (content type such as
	// "image/png") into inputs of one row, or returns ErrNotSupported.
	DecodeImage(contentType string, data []byte) (Tensors, error)
	// EncodeJSON is the inverse of DecodeJSON where one exists (tests and
	// clients use it to build payloads), or returns ErrNotSupported.
	EncodeJSON(inputs Tensors) ([]byte, error)
	// Answer turns outputs into the natural answer, one per row, ready for
	// encoding/json (digits: label and probabilities; textline: text and
	// per-character confidences).
	Answer(outputs Tensors) ([]any, error)
	// Agree is the key redundant answers are compared by (digits: the label;
	// textline: the text): the gateway returns the majority key's answer.
	Agree(answer any) string
}

// ModelMaker is implemented by kinds that can write an untrained baseline
// model with the task's signature (tensorcosm-miner model init --task).
type ModelMaker interface {
	InitModel(seed uint64) ([]byte, error)
}

// EvalReport is what Evaluator.Eval measured.
type EvalReport struct {
	// Items is the number of evaluation items.
	Items int `json:"items"`
	// Score is the mean task score (the validator's per-row score) in [0, 1].
	Score float64 `json:"score"`
	// Metrics are kind-specific figures, e.g. "accuracy", "cer", "exact_line_accuracy".
	Metrics map[string]float64 `json:"metrics"`
}

// Evaluator is implemented by kinds with a fixed evaluation set
// (tensorcosm-miner model eval --task).
type Evaluator interface {
	Eval(s *onnx.Session, env Env) (EvalReport, error)
}

var registry = struct {
	sync.RWMutex
	kinds map[string]Task
}{kinds: map[string]Task{}}

// Register makes t available to Get under t.Kind(). It panics on an empty
// or duplicate kind: both are programming errors found at start-up.
func Register(t Task) {
	registry.Lock()
	defer registry.Unlock()
	k := t.Kind()
	if k == "" {
		panic("task: Register with an empty kind")
	}
	if _, dup := registry.kinds[k]; dup {
		panic("task: kind " + k + " registered twice")
	}
	registry.kinds[k] = t
}

// Get returns the task registered for kind, or an error wrapping
// ErrUnknownKind that lists the known kinds.
func Get(kind string) (Task, error) {
	registry.RLock()
	t, ok := registry.kinds[kind]
	registry.RUnlock()
	if !ok {
		known := Kinds()
		list := "none are linked in"
		if len(known) > 0 {
			list = "known kinds: " + strings.Join(known, ", ")
		}
		return nil, fmt.Errorf("%w %q (%s)", ErrUnknownKind, kind, list)
	}
	return t, nil
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.kinds))
	for k := range registry.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Instantiate is Get(spec.Kind) then New(spec, env).
func Instantiate(spec subnettypes.TaskSpec, env Env) (Instance, error) {
	t, err := Get(spec.Kind)
	if err != nil {
		return nil, err
	}
	return t.New(spec, env)
}
