package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// NewModelCmd returns `model`, the commands that train, evaluate and inspect
// ONNX models for the digits task.
func NewModelCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Train, evaluate, inspect and hash ONNX models for the digits task",
		Long: `Train, evaluate, inspect and hash ONNX models for the digits task.

The digits data set comes from scripts/fetch-digits.sh (or --data, or
$` + digits.DigitsPathEnv + `); evaluation needs the ONNX Runtime library from
scripts/install-onnxruntime.sh (or --onnxruntime-lib, or $` + onnx.LibraryPathEnv + `).`,
	}
	cmd.AddCommand(newTrainCmd(), newEvalCmd(), newInspectCmd(), newHashCmd())
	return cmd
}

func newTrainCmd() *cobra.Command {
	opts := digits.DefaultTrainOptions()
	var out, data string
	cmd := &cobra.Command{
		Use:   "train --out FILE",
		Short: "Train the digits MLP in Go and export it as ONNX",
		Long: `Train a 64-hidden-10 perceptron (ReLU, softmax) on the training part of the
digits data set with mini-batch Adam, and write it as an ONNX file (opset 13,
input "input" float32 [batch, 64], output "probabilities" float32 [batch, 10]).
Progress goes to stderr; a summary with the file's sha256 goes to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrain(cmd, out, data, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "out", "o", "", "ONNX file to write (required)")
	f.StringVar(&data, "data", "", "digits.csv.gz to train on (default $"+digits.DigitsPathEnv+" or the cache)")
	f.IntVar(&opts.Epochs, "epochs", opts.Epochs, "passes over the training set (0: untrained model)")
	f.IntVar(&opts.Hidden, "hidden", opts.Hidden, "hidden layer width")
	f.IntVar(&opts.BatchSize, "batch-size", opts.BatchSize, "samples per Adam step")
	f.Float64Var(&opts.LearningRate, "lr", opts.LearningRate, "Adam learning rate")
	f.Uint64Var(&opts.Seed, "seed", opts.Seed, "seed for the initial weights and the batch order")
	if err := cmd.MarkFlagRequired("out"); err != nil {
		panic(err) // the flag is defined just above
	}
	return cmd
}

func runTrain(cmd *cobra.Command, out, data string, opts digits.TrainOptions) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	// Fail before training, not after, when the file cannot be written.
	if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
		return fmt.Errorf("--out %s: the directory %s does not exist", out, filepath.Dir(out))
	}
	train, heldOut, err := digits.LoadDigitsSplit(data)
	if err != nil {
		return err
	}
	bar := newProgressBar(cmd.ErrOrStderr())
	opts.Progress = bar.update
	m, err := digits.Train(train, heldOut, opts)
	bar.finish()
	if err != nil {
		return err
	}
	if err := m.WriteONNX(out); err != nil {
		return err
	}
	acc, err := m.Accuracy(heldOut)
	if err != nil {
		return err
	}
	sum, size, err := onnx.Hash(out)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "model\t%s\n", out)
	fmt.Fprintf(w, "sha256\t%s\n", sum)
	fmt.Fprintf(w, "size\t%d bytes\n", size)
	fmt.Fprintf(w, "layers\t%d-%d-%d, %d parameters\n", digits.NumFeatures, m.Hidden, digits.NumClasses, m.NumParams())
	fmt.Fprintf(w, "held-out accuracy\t%.4f on %d samples (pure Go; `model eval` measures it through ONNX Runtime)\n", acc, heldOut.Len())
	return w.Flush()
}

// evalResult is what `model eval --json` prints.
type evalResult struct {
	Model    string  `json:"model"`
	SHA256   string  `json:"sha256"`
	Accuracy float64 `json:"accuracy"`
	Correct  int     `json:"correct"`
	Samples  int     `json:"samples"`
	Device   string  `json:"device"`
	Runtime  string  `json:"onnxruntime_version"`
}

func newEvalCmd() *cobra.Command {
	var data, lib, device string
	var deviceID, threads int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval FILE",
		Short: "Measure an ONNX model's accuracy on the held-out digits through ONNX Runtime",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dev, err := onnx.ParseDevice(device)
			if err != nil {
				return err
			}
			opts := onnx.SessionOptions{Device: dev, DeviceID: deviceID, IntraOpThreads: threads,
				Logger: slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))}
			return runEval(cmd, args[0], data, lib, opts, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "digits.csv.gz (default $"+digits.DigitsPathEnv+" or the cache)")
	f.StringVar(&lib, "onnxruntime-lib", "", "ONNX Runtime library (default $"+onnx.LibraryPathEnv+" or the cache)")
	f.StringVar(&device, "device", string(onnx.DeviceCPU), "cpu, cuda, or auto (CUDA if it works, else CPU)")
	f.IntVar(&deviceID, "device-id", 0, "CUDA device ordinal")
	f.IntVar(&threads, "threads", 0, "ONNX Runtime intra-op threads (0: one per core)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func runEval(cmd *cobra.Command, path, data, lib string, opts onnx.SessionOptions, asJSON bool) error {
	// Read the data first: it is the cheaper mistake to report.
	_, heldOut, err := digits.LoadDigitsSplit(data)
	if err != nil {
		return err
	}
	if err := onnx.InitRuntime(lib); err != nil {
		return err
	}
	s, err := onnx.LoadSession(path, opts)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }() // the process is about to exit anyway
	acc, n, err := digits.Eval(s, heldOut)
	if err != nil {
		return err
	}
	_, version := onnx.RuntimeLibrary()
	r := evalResult{Model: path, SHA256: s.SHA256(), Accuracy: acc, Correct: int(acc*float64(n) + 0.5),
		Samples: n, Device: string(s.Device()), Runtime: version}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), r)
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "model\t%s\n", r.Model)
	fmt.Fprintf(w, "sha256\t%s\n", r.SHA256)
	fmt.Fprintf(w, "accuracy\t%.4f (%d/%d held-out samples)\n", r.Accuracy, r.Correct, r.Samples)
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
