package textline

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const (
	// Kind is the TaskSpec.kind of the text-line OCR task.
	Kind = "textline"
	// Scoring is the scoring rule: each row scores 1 - CER, clipped to
	// [0, 1]. An empty TaskSpec.scoring means it too.
	Scoring = "cer"
	// InputName and OutputName are the default tensor names, those of the
	// PP-OCRv4 recognizer (PaddleOCR's export names them so).
	InputName  = "x"
	OutputName = "softmax_11.tmp_0"
	// Height is the input height every line is resized to.
	Height = 48
	// MaxWidth is the widest input line: a line wider than MaxWidth once
	// resized to Height is squeezed horizontally to MaxWidth, as PaddleOCR
	// does beyond its default recognition shape 3x48x320.
	MaxWidth = 320
	// StepWidth is the width a batch is padded to a multiple of: the
	// PP-OCRv4 recognizer reads one time step per 8 input columns.
	StepWidth = 8
	// MaxRows bounds one challenge batch.
	MaxRows = 1024
)

// DictionaryPath returns where the dictionary lies; it, FontsDir and
// WordsPath say where the task's data lies under a cache directory (onnx.CacheDir() by default): the files
// scripts/fetch-ocr-model.sh and scripts/fetch-fonts.sh install.
func DictionaryPath(cacheDir string) string {
	return filepath.Join(cacheDir, "models", "ppocr-v4", "ppocr_keys_v1.txt")
}

// FontsDir is where the .ttf files lie (see DictionaryPath).
func FontsDir(cacheDir string) string { return filepath.Join(cacheDir, "data", "textline", "fonts") }

// WordsPath is the word list (see DictionaryPath).
func WordsPath(cacheDir string) string {
	return filepath.Join(cacheDir, "data", "textline", "words.txt")
}

// ReferenceModelPath is the PP-OCRv4 recognizer scripts/fetch-ocr-model.sh
// installs under cacheDir.
func ReferenceModelPath(cacheDir string) string {
	return filepath.Join(cacheDir, "models", "ppocr-v4", "ch_PP-OCRv4_rec_infer.onnx")
}

func init() { task.Register(Task{}) }

// Task is the textline task kind. The zero value is ready to use.
type Task struct{}

var _ task.Task = Task{}

// Kind returns Kind.
func (Task) Kind() string { return Kind }

// DefaultSpec is the PP-OCRv4 recognizer's interface: float32 x [N,3,48,W]
// in, float32 [N,T,6625] class scores out, scored by CER.
func (Task) DefaultSpec() subnettypes.TaskSpec {
	return subnettypes.TaskSpec{
		Kind:    Kind,
		Inputs:  []subnettypes.TensorSpec{{Name: InputName, Dtype: "float32", Shape: []int64{-1, 3, Height, -1}}},
		Outputs: []subnettypes.TensorSpec{{Name: OutputName, Dtype: "float32", Shape: []int64{-1, -1, int64(referenceClasses)}}},
		Scoring: Scoring,
	}
}

// referenceClasses is the class count of the pinned dictionary: blank,
// 6,623 characters and the space.
const referenceClasses = 6625

// New checks spec against the task and loads the dictionary, fonts and
// word list from env.CacheDir.
func (t Task) New(spec subnettypes.TaskSpec, env task.Env) (task.Instance, error) {
	if err := t.CheckSettings(env.Settings); err != nil {
		return nil, err
	}
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	cache := env.CacheDir
	if cache == "" {
		cache = onnx.CacheDir()
	}
	dict, err := LoadDictionary(DictionaryPath(cache))
	if err != nil {
		return nil, fmt.Errorf("textline: %w", err)
	}
	corpus, err := LoadCorpus(FontsDir(cache), WordsPath(cache), dict)
	if err != nil {
		return nil, fmt.Errorf("textline: %w", err)
	}
	return newInstance(spec, dict, corpus), nil
}

var _ task.SettingsChecker = Task{}

// CheckSettings refuses every setting: the task has none (its data lies in
// the cache directory).
func (Task) CheckSettings(settings map[string]any) error {
	if len(settings) == 0 {
		return nil
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Errorf("textline: unknown settings %s (the task has none)", strings.Join(keys, ", "))
}

// checkSpec accepts one float32 input [-1, 3, 48, -1] and one float32
// output [-1, -1, 6625] under any names, and the CER scoring rule ("cer"
// or empty).
func checkSpec(spec subnettypes.TaskSpec) error {
	if spec.Kind != Kind {
		return fmt.Errorf("%w: kind %q, want %q", task.ErrBadSpec, spec.Kind, Kind)
	}
	if spec.Scoring != Scoring && spec.Scoring != "" {
		return fmt.Errorf("%w: scoring %q; textline scores by %q (1 - character error rate)", task.ErrBadSpec, spec.Scoring, Scoring)
	}
	if len(spec.Inputs) != 1 || len(spec.Outputs) != 1 {
		return fmt.Errorf("%w: textline has one input and one output, the spec has %d and %d", task.ErrBadSpec, len(spec.Inputs), len(spec.Outputs))
	}
	in, out := spec.Inputs[0], spec.Outputs[0]
	if in.Dtype != "float32" || !slices.Equal(in.Shape, []int64{-1, 3, Height, -1}) {
		return fmt.Errorf("%w: input %q is %s %v, want float32 [-1, 3, %d, -1]", task.ErrBadSpec, in.Name, in.Dtype, in.Shape, Height)
	}
	if out.Dtype != "float32" || !slices.Equal(out.Shape, []int64{-1, -1, referenceClasses}) {
		return fmt.Errorf("%w: output %q is %s %v, want float32 [-1, -1, %d] (blank, the %d dictionary characters, space)",
			task.ErrBadSpec, out.Name, out.Dtype, out.Shape, referenceClasses, referenceClasses-2)
	}
	return nil
}
