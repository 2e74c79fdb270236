package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
)

// defaultKind is the task kind the model commands use without --task.
const defaultKind = "digits-classification"

// NewModelCmd returns `model`, the commands that make, train, evaluate and
// inspect ONNX models for a task kind, reached through the task registry.
func NewModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Make, train, evaluate, inspect and hash ONNX models for a subnet task",
		Long: `Make, train, evaluate, inspect and hash ONNX models for a subnet task.

init, train and eval take --task KIND (default ` + defaultKind + `; linked in: ` + strings.Join(task.Kinds(), ", ") + `)
and --data, the kind's data_path setting (the digits data set comes from
scripts/fetch-digits.sh, or $TENSORCOSM_DIGITS_PATH); eval needs the ONNX
Runtime library from scripts/install-onnxruntime.sh (or --onnxruntime-lib, or
$` + onnx.LibraryPathEnv + `). Not every kind can train in Go: train says so.`,
	}
	cmd.AddCommand(newInitCmd(), newTrainCmd(), newEvalCmd(), newInspectCmd(), newHashCmd())
	return cmd
}

// taskFlags are the flags that pick a task kind and its data.
type taskFlags struct{ kind, data string }

func (tf *taskFlags) define(f *pflag.FlagSet) {
	f.StringVar(&tf.kind, "task", defaultKind, "task kind (TaskSpec.kind)")
	f.StringVar(&tf.data, "data", "", "the kind's data set (its data_path setting; default: the kind's, e.g. $TENSORCOSM_DIGITS_PATH or the cache)")
}

// get returns the kind's task and its environment.
func (tf *taskFlags) get() (task.Task, task.Env, error) {
	t, err := task.Get(tf.kind)
	if err != nil {
		return nil, task.Env{}, err
	}
	var env task.Env
	if tf.data != "" {
		env.Settings = map[string]any{"data_path": tf.data}
	}
	return t, env, nil
}

// checkOut fails before any work when out cannot be written.
func checkOut(out string) error {
	if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
		return fmt.Errorf("--out %s: the directory %s does not exist", out, filepath.Dir(out))
	}
	return nil
}

func newInitCmd() *cobra.Command {
	var tf taskFlags
	var out string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "init --out FILE",
		Short: "Write an untrained baseline model with the task's signature",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := tf.get()
			if err != nil {
				return err
			}
			mk, ok := t.(task.ModelMaker)
			if !ok {
				return fmt.Errorf("task %s cannot make a baseline model", t.Kind())
			}
			if err := checkOut(out); err != nil {
				return err
			}
			b, err := mk.InitModel(seed)
			if err != nil {
				return err
			}
			return writeModel(cmd.OutOrStdout(), out, b, t.Kind())
		},
	}
	f := cmd.Flags()
	tf.define(f)
	f.StringVarP(&out, "out", "o", "", "ONNX file to write (required)")
	f.Uint64Var(&seed, "seed", 1, "seed for the initial weights")
	if err := cmd.MarkFlagRequired("out"); err != nil {
		panic(err) // the flag is defined just above
	}
	return cmd
}

// writeModel writes b to out and prints its summary, then the extra
// "key\tvalue" lines.
func writeModel(w io.Writer, out string, b []byte, kind string, extra ...string) error {
	if err := os.WriteFile(out, b, 0o644); err != nil { //nolint:gosec // G306: a model file is public
		return fmt.Errorf("write %s: %w", out, err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\n", out)
	fmt.Fprintf(tw, "task\t%s\n", kind)
	fmt.Fprintf(tw, "sha256\t%s\n", onnx.HashBytes(b))
	fmt.Fprintf(tw, "size\t%d bytes\n", len(b))
	for _, line := range extra {
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func newTrainCmd() *cobra.Command {
	var tf taskFlags
	var out string
	var opts task.TrainOptions
	cmd := &cobra.Command{
		Use:   "train --out FILE",
		Short: "Train a model in Go and export it as ONNX (digits: the MLP)",
		Long: `Train a model for the task on its public training data and write it as an
ONNX file. For the digits task: a 64-hidden-10 perceptron (ReLU, softmax) on
the training part of the digits data set with mini-batch Adam (opset 13,
input "input" float32 [batch, 64], output "probabilities" float32 [batch, 10]).
Progress goes to stderr; a summary with the file's sha256 goes to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrain(cmd, tf, out, opts)
		},
	}
	f := cmd.Flags()
	tf.define(f)
	def := digitsTrainDefaults()
	f.StringVarP(&out, "out", "o", "", "ONNX file to write (required)")
	f.IntVar(&opts.Epochs, "epochs", def.Epochs, "passes over the training set (0: untrained model)")
	f.IntVar(&opts.Hidden, "hidden", def.Hidden, "hidden layer width")
	f.IntVar(&opts.BatchSize, "batch-size", def.BatchSize, "samples per optimiser step")
	f.Float64Var(&opts.LearningRate, "lr", def.LearningRate, "learning rate")
	f.Uint64Var(&opts.Seed, "seed", def.Seed, "seed for the initial weights and the batch order")
	if err := cmd.MarkFlagRequired("out"); err != nil {
		panic(err) // the flag is defined just above
	}
	return cmd
}

// digitsTrainDefaults are the flag defaults of train: the default kind's.
func digitsTrainDefaults() task.TrainOptions {
	if t, err := task.Get(defaultKind); err == nil {
		if tr, ok := t.(task.Trainer); ok {
			return tr.DefaultTrainOptions()
		}
	}
	return task.TrainOptions{Epochs: 30, Hidden: 32, BatchSize: 32, LearningRate: 0.01, Seed: 1}
}

func runTrain(cmd *cobra.Command, tf taskFlags, out string, opts task.TrainOptions) error {
	t, env, err := tf.get()
	if err != nil {
		return err
	}
	tr, ok := t.(task.Trainer)
	if !ok {
		return fmt.Errorf("task %s cannot train a model in Go: train one elsewhere and check it with model eval", t.Kind())
	}
	// Fail before training, not after, when the file cannot be written.
	if err := checkOut(out); err != nil {
		return err
	}
	bar := newProgressBar(cmd.ErrOrStderr())
	opts.Progress = bar.update
	res, err := tr.Train(opts, env)
	bar.finish()
	if err != nil {
		return err
	}
	return writeModel(cmd.OutOrStdout(), out, res.Model, t.Kind(), "architecture\t"+res.Architecture,
		fmt.Sprintf("held-out score\t%.4f on %d items (pure Go; `model eval` measures it through ONNX Runtime)", res.HeldOut.Score, res.HeldOut.Items))
}

// evalResult is what `model eval --json` prints.
type evalResult struct {
	Model   string             `json:"model"`
	SHA256  string             `json:"sha256"`
	Task    string             `json:"task"`
	Score   float64            `json:"score"`
	Items   int                `json:"items"`
	Metrics map[string]float64 `json:"metrics"`
	Device  string             `json:"device"`
	Runtime string             `json:"onnxruntime_version"`
}

func newEvalCmd() *cobra.Command {
	var tf taskFlags
	var lib, device string
	var deviceID, threads int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval FILE",
		Short: "Score an ONNX model on the task's fixed evaluation set through ONNX Runtime",
		Long: `Score an ONNX model on the task's fixed evaluation set through ONNX Runtime:
the task's score (the validator's per-row score, without latency) and its
own metrics. digits: accuracy on the 359 held-out digits.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dev, err := onnx.ParseDevice(device)
			if err != nil {
				return err
			}
			opts := onnx.SessionOptions{Device: dev, DeviceID: deviceID, IntraOpThreads: threads,
				Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))}
			return runEval(cmd, args[0], tf, lib, opts, asJSON)
		},
	}
	f := cmd.Flags()
	tf.define(f)
	f.StringVar(&lib, "onnxruntime-lib", "", "ONNX Runtime library (default $"+onnx.LibraryPathEnv+" or the cache)")
	f.StringVar(&device, "device", string(onnx.DeviceCPU), "cpu, cuda, or auto (CUDA if it works, else CPU)")
	f.IntVar(&deviceID, "device-id", 0, "CUDA device ordinal")
	f.IntVar(&threads, "threads", 0, "ONNX Runtime intra-op threads (0: one per core)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func runEval(cmd *cobra.Command, path string, tf taskFlags, lib string, opts onnx.SessionOptions, asJSON bool) error {
	t, env, err := tf.get()
	if err != nil {
		return err
	}
	ev, ok := t.(task.Evaluator)
	if !ok {
		return fmt.Errorf("task %s has no evaluation set", t.Kind())
	}
	if err := onnx.InitRuntime(lib); err != nil {
		return err
	}
	s, err := onnx.LoadSession(path, opts)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }() // the process is about to exit anyway
	rep, err := ev.Eval(s, env)
	if err != nil {
		return err
	}
	_, version := onnx.RuntimeLibrary()
	r := evalResult{Model: path, SHA256: s.SHA256(), Task: t.Kind(), Score: rep.Score, Items: rep.Items, Metrics: rep.Metrics,
		Device: string(s.Device()), Runtime: version}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), r)
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "model\t%s\n", r.Model)
	fmt.Fprintf(w, "sha256\t%s\n", r.SHA256)
	fmt.Fprintf(w, "task\t%s\n", r.Task)
	fmt.Fprintf(w, "score\t%.4f on %d items\n", r.Score, r.Items)
	for _, k := range slices.Sorted(maps.Keys(r.Metrics)) {
		fmt.Fprintf(w, "%s\t%.4f\n", k, r.Metrics[k])
	}
	fmt.Fprintf(w, "device\t%s (ONNX Runtime %s)\n", r.Device, r.Runtime)
	return w.Flush()
}

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show an ONNX model's inputs, outputs, opset and producer (no ONNX Runtime needed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			mi, err := onnx.Inspect(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), mi)
			}
			return printInspect(cmd.OutOrStdout(), args[0], mi)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printInspect(out io.Writer, path string, mi *onnx.ModelInfo) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "model\t%s\n", path)
	fmt.Fprintf(w, "sha256\t%s\n", mi.SHA256)
	fmt.Fprintf(w, "size\t%d bytes\n", mi.Size)
	fmt.Fprintf(w, "ir_version\t%d\n", mi.IRVersion)
	for _, o := range mi.Opsets {
		domain := o.Domain
		if domain == "" {
			domain = "ai.onnx"
		}
		fmt.Fprintf(w, "opset\t%s %d\n", domain, o.Version)
	}
	fmt.Fprintf(w, "producer\t%s %s\n", mi.ProducerName, mi.ProducerVersion)
	fmt.Fprintf(w, "graph\t%s: %d nodes, %d initializers, %d parameters\n", mi.GraphName, mi.Nodes, mi.Initializers, mi.Parameters)
	for _, in := range mi.Inputs {
		fmt.Fprintf(w, "input\t%s\n", in)
	}
	for _, o := range mi.Outputs {
		fmt.Fprintf(w, "output\t%s\n", o)
	}
	return w.Flush()
}

func newHashCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "hash FILE",
		Short: "Print the sha256 and size of a model file, the commitment announced on chain",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, size, err := onnx.Hash(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"sha256": sum, "size": size})
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "sha256  %s\nsize    %d\n", sum, size)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// isTerminal reports whether w is a terminal, where the progress bar can
// redraw one line instead of printing one per epoch.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
