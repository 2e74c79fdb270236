package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/miner/cli"
	"github.com/tensorcosm/tensorcosm/onnx"
	_ "github.com/tensorcosm/tensorcosm/task/digits" // the kind the model commands default to
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

// execute runs tensorcosm-miner with args in-process and returns stdout,
// stderr and the error.
func execute(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := cli.NewRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

// mustExecute is execute for commands that must succeed.
func mustExecute(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := execute(t, args...)
	if err != nil {
		t.Fatalf("tensorcosm-miner %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr)
	}
	return stdout, stderr
}

var scoreLine = regexp.MustCompile(`score\s+([0-9.]+) on (\d+) items\naccuracy\s+([0-9.]+)\n`)

// TestTrainThenEval is the acceptance check of the commands: `model train`
// with the defaults gives at least 0.93 held-out accuracy through ONNX
// Runtime, and `--epochs 0` at most 0.3.
func TestTrainThenEval(t *testing.T) {
	data, lib := ortlib.DigitsPath(t), ortlib.LibraryPath(t)
	tests := []struct {
		name     string
		args     []string
		min, max float64
	}{
		{name: "defaults", min: 0.93, max: 1},
		{name: "zero epochs", args: []string{"--epochs", "0"}, min: 0, max: 0.3},
		{name: "wider and shorter", args: []string{"--hidden", "64", "--epochs", "10", "--seed", "5", "--lr", "0.005"}, min: 0.93, max: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "digits.onnx")
			stdout, stderr := mustExecute(t, append([]string{"model", "train", "--out", out, "--data", data}, tc.args...)...)
			sum, _, err := onnx.Hash(out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout, sum) {
				t.Fatalf("train output lacks the sha256 %s:\n%s", sum, stdout)
			}
			if tc.max == 1 && !strings.Contains(stderr, "epoch") {
				t.Fatalf("no progress on stderr:\n%s", stderr)
			}
			stdout, _ = mustExecute(t, "model", "eval", out, "--data", data, "--onnxruntime-lib", lib, "--threads", "1")
			m := scoreLine.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("no score and accuracy in eval output:\n%s", stdout)
			}
			acc, _ := strconv.ParseFloat(m[1], 64)
			t.Logf("eval: %q", m[0])
			if acc < tc.min || acc > tc.max || m[2] != "359" || m[3] != m[1] {
				t.Fatalf("score %v (accuracy %s) on %s items, want [%v, %v] on 359", acc, m[3], m[2], tc.min, tc.max)
			}
		})
	}
}

func TestTrainProgressLines(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.onnx")
	_, stderr := mustExecute(t, "model", "train", "--out", out, "--data", ortlib.DigitsPath(t), "--epochs", "3")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "epoch 3/3 [########################] loss ") ||
		!strings.Contains(lines[2], "held-out score") {
		t.Fatalf("progress on a non-terminal should be one line per epoch, got:\n%s", stderr)
	}
}

func TestEvalJSON(t *testing.T) {
	path := trainedModel(t)
	stdout, _ := mustExecute(t, "model", "eval", path, "--json", "--data", ortlib.DigitsPath(t),
		"--onnxruntime-lib", ortlib.LibraryPath(t), "--device", "auto")
	var r struct {
		Task    string             `json:"task"`
		Score   float64            `json:"score"`
		Items   int                `json:"items"`
		Metrics map[string]float64 `json:"metrics"`
		Device  string             `json:"device"`
		SHA256  string             `json:"sha256"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v in:\n%s", err, stdout)
	}
	sum, _, _ := onnx.Hash(path)
	if r.Task != "digits-classification" || r.Score < 0.93 || r.Metrics["accuracy"] != r.Score || r.Items != 359 ||
		r.SHA256 != sum || (r.Device != "cpu" && r.Device != "cuda") {
		t.Fatalf("eval --json = %+v", r)
	}
}

// TestInitIsTheUntrainedModel checks that `model init` writes the
// baseline: the file `model train --epochs 0` writes, near chance through
// ONNX Runtime.
func TestInitIsTheUntrainedModel(t *testing.T) {
	dir := t.TempDir()
	initPath, trainPath := filepath.Join(dir, "init.onnx"), filepath.Join(dir, "train.onnx")
	stdout, _ := mustExecute(t, "model", "init", "--out", initPath, "--task", "digits-classification")
	mustExecute(t, "model", "train", "--out", trainPath, "--epochs", "0", "--data", ortlib.DigitsPath(t))
	initSum, _, err := onnx.Hash(initPath)
	if err != nil {
		t.Fatal(err)
	}
	trainSum, _, _ := onnx.Hash(trainPath)
	if initSum != trainSum || !strings.Contains(stdout, initSum) || !strings.Contains(stdout, "digits-classification") {
		t.Fatalf("init wrote %s, train --epochs 0 %s; init printed:\n%s", initSum, trainSum, stdout)
	}
	stdout, _ = mustExecute(t, "model", "eval", initPath, "--data", ortlib.DigitsPath(t), "--onnxruntime-lib", ortlib.LibraryPath(t), "--threads", "1")
	m := scoreLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no score in eval output:\n%s", stdout)
	}
	if score, _ := strconv.ParseFloat(m[1], 64); score > 0.3 {
		t.Fatalf("the baseline scores %v, want near chance", score)
	}
}

// trainedModel writes a default model with the train command.
func trainedModel(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "digits.onnx")
	mustExecute(t, "model", "train", "--out", out, "--data", ortlib.DigitsPath(t))
	return out
}

func TestInspectAndHash(t *testing.T) {
	path := trainedModel(t)
	sum, size, err := onnx.Hash(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "inspect", args: []string{"model", "inspect", path}, want: []string{
			"sha256      " + sum, "ir_version  8", "opset       ai.onnx 13", "producer    tensorcosm 1",
			"graph       digits_mlp: 6 nodes", "input       input float32 [batch, 64]",
			"output      probabilities float32 [batch, 10]"}},
		{name: "inspect json", args: []string{"model", "inspect", "--json", path}, want: []string{
			`"sha256": "` + sum + `"`, `"ir_version": 8`, `"name": "probabilities"`}},
		{name: "hash", args: []string{"model", "hash", path}, want: []string{
			"sha256  " + sum + "\n", "size    " + strconv.FormatInt(size, 10) + "\n"}},
		{name: "hash json", args: []string{"model", "hash", "--json", path}, want: []string{
			`"sha256": "` + sum + `"`, `"size": ` + strconv.FormatInt(size, 10)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _ := mustExecute(t, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestCommandErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.onnx")
	if err := os.WriteFile(corrupt, []byte("definitely not protobuf"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, lib := ortlib.DigitsPath(t), ortlib.LibraryPath(t)
	missing := filepath.Join(dir, "missing.onnx")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "train without --out", args: []string{"model", "train"}, wantErr: `"out" not set`},
		{name: "train into a missing directory", args: []string{"model", "train", "--out", filepath.Join(dir, "no", "m.onnx")}, wantErr: "does not exist"},
		{name: "train with zero hidden", args: []string{"model", "train", "--out", missing, "--hidden", "0"}, wantErr: "hidden width 0"},
		{name: "train with missing data", args: []string{"model", "train", "--out", missing, "--data", filepath.Join(dir, "d.csv.gz")}, wantErr: "scripts/fetch-digits.sh"},
		{name: "eval a missing file", args: []string{"model", "eval", missing, "--data", data, "--onnxruntime-lib", lib}, wantErr: "no such file"},
		{name: "eval a corrupt file", args: []string{"model", "eval", corrupt, "--data", data, "--onnxruntime-lib", lib}, wantErr: "invalid ONNX model"},
		{name: "eval on an unknown device", args: []string{"model", "eval", corrupt, "--device", "tpu"}, wantErr: `unknown device "tpu"`},
		{name: "eval without a file", args: []string{"model", "eval"}, wantErr: "accepts 1 arg"},
		{name: "eval an unknown task", args: []string{"model", "eval", corrupt, "--task", "speech"},
			wantErr: `unknown task kind "speech" (known kinds: digits-classification`},
		{name: "init an unknown task", args: []string{"model", "init", "--out", missing, "--task", "speech"}, wantErr: `unknown task kind "speech"`},
		{name: "init without --out", args: []string{"model", "init"}, wantErr: `"out" not set`},
		{name: "inspect a corrupt file", args: []string{"model", "inspect", corrupt}, wantErr: "invalid ONNX model"},
		{name: "inspect a missing file", args: []string{"model", "inspect", missing}, wantErr: "no such file"},
		{name: "hash a missing file", args: []string{"model", "hash", missing}, wantErr: "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := execute(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// childArgsEnv carries, to a child copy of this test binary, the
// tensorcosm-miner arguments to run as the real binary would: the ONNX
// Runtime library can be loaded only once per process, so "library missing"
// needs a fresh process, and this also checks the exit status.
const childArgsEnv = "CLI_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		cmd := cli.NewRootCmd()
		cmd.SetArgs(strings.Split(args, "\x1f"))
		if cmd.Execute() != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestEvalWithoutRuntimeLibrary(t *testing.T) {
	path := trainedModel(t)
	tests := []struct {
		name string
		args []string
		env  []string
	}{
		{name: "flag", args: []string{"--onnxruntime-lib", filepath.Join(t.TempDir(), "libonnxruntime.so.1")}},
		{name: "environment", env: []string{onnx.LibraryPathEnv + "=" + filepath.Join(t.TempDir(), "lib.so")}},
		{name: "empty cache", env: []string{onnx.LibraryPathEnv + "=", onnx.CacheEnv + "=" + t.TempDir()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"model", "eval", path, "--data", ortlib.DigitsPath(t)}, tc.args...)
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), append(tc.env, childArgsEnv+"="+strings.Join(args, "\x1f"))...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
			}
			for _, w := range []string{"Error: ONNX Runtime unavailable", "run scripts/install-onnxruntime.sh"} {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}
