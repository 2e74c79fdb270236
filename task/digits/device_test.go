package digits_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
)

func TestParseDevice(t *testing.T) {
	tests := []struct {
		in      string
		want    onnx.Device
		wantErr bool
	}{
		{in: "", want: onnx.DeviceCPU},
		{in: "cpu", want: onnx.DeviceCPU},
		{in: "cuda", want: onnx.DeviceCUDA},
		{in: "auto", want: onnx.DeviceAuto},
		{in: "gpu", wantErr: true},
		{in: "CPU", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			got, err := onnx.ParseDevice(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("ParseDevice(%q) = %q, %v", tc.in, got, err)
			}
		})
	}
}

// TestDevices checks the CUDA and auto paths against what this machine has:
// with a usable CUDA provider the session must run on CUDA and agree with
// the CPU; without one, "cuda" must fail with ErrDeviceUnavailable and
// "auto" must fall back to the CPU and say so.
func TestDevices(t *testing.T) {
	_, held, trained, _ := fixtureData(t)
	initRuntime(t)
	path := writeModel(t, trained)
	cuda, cudaErr := onnx.LoadSession(path, onnx.SessionOptions{Device: onnx.DeviceCUDA})
	if cudaErr == nil {
		defer closeSession(t, cuda)
		if cuda.Device() != onnx.DeviceCUDA {
			t.Fatalf("cuda session reports device %s", cuda.Device())
		}
		checkAgainstGo(t, cuda, trained, held)
	} else if !errors.Is(cudaErr, onnx.ErrDeviceUnavailable) || !strings.Contains(cudaErr.Error(), "CUDA device 0") {
		t.Fatalf("cuda: err = %v, want ErrDeviceUnavailable naming the device", cudaErr)
	} else {
		t.Logf("no CUDA here: %v", cudaErr)
	}

	var logs bytes.Buffer
	auto, err := onnx.LoadSession(path, onnx.SessionOptions{Device: onnx.DeviceAuto,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("auto: %v", err)
	}
	defer closeSession(t, auto)
	wantDevice := onnx.DeviceCUDA
	if cudaErr != nil {
		wantDevice = onnx.DeviceCPU
		if !strings.Contains(logs.String(), "CUDA unavailable") {
			t.Fatalf("auto fell back without saying so; log: %q", logs.String())
		}
	}
	if auto.Device() != wantDevice {
		t.Fatalf("auto runs on %s, want %s", auto.Device(), wantDevice)
	}
	checkAgainstGo(t, auto, trained, held)
}

func checkAgainstGo(t *testing.T, s *onnx.Session, m *digits.MLP, d *digits.Dataset) {
	t.Helper()
	want, err := m.Accuracy(d)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := digits.Eval(s, d)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("%s accuracy %v, pure Go %v", s.Device(), got, want)
	}
}

func TestLoadSessionRejectsBadOptions(t *testing.T) {
	_, _, trained, _ := fixtureData(t)
	path := writeModel(t, trained)
	tests := []struct {
		name string
		opts onnx.SessionOptions
	}{
		{name: "unknown device", opts: onnx.SessionOptions{Device: "tpu"}},
		{name: "negative device ID", opts: onnx.SessionOptions{Device: onnx.DeviceCUDA, DeviceID: -1}},
		{name: "negative threads", opts: onnx.SessionOptions{IntraOpThreads: -2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := onnx.LoadSession(path, tc.opts); err == nil {
				closeSession(t, s)
				t.Fatal("LoadSession succeeded")
			}
		})
	}
}

func TestInitRuntimeIdempotent(t *testing.T) {
	lib := ortlib.LibraryPath(t)
	for _, arg := range []string{lib, "", lib} {
		if err := onnx.InitRuntime(arg); err != nil {
			t.Fatalf("InitRuntime(%q): %v", arg, err)
		}
	}
	// The version depends on which library the environment points at (the
	// CUDA build is 1.29), so only its presence is checked.
	if path, version := onnx.RuntimeLibrary(); path != lib || version == "" {
		t.Fatalf("RuntimeLibrary() = %q, %q", path, version)
	}
}

// initCaseEnv selects, in a child process, which TestInitRuntimeErrors case
// to run: the ONNX Runtime environment is per process, so failures before
// the first successful load can only be tested in a fresh one.
const initCaseEnv = "MODEL_TEST_INIT_RUNTIME_CASE"

func TestInitRuntimeErrors(t *testing.T) {
	if c := os.Getenv(initCaseEnv); c != "" {
		runInitCase(c)
		return
	}
	lib := ortlib.LibraryPath(t)
	dir := t.TempDir()
	notLib := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.WriteFile(notLib, []byte("not a shared library"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{name: "missing library", env: []string{"ARG=" + filepath.Join(dir, "nope.so")},
			want: []string{"ONNX Runtime unavailable", "nope.so", "run scripts/install-onnxruntime.sh", "true", "retry ok"}},
		{name: "missing default library", env: []string{"TENSORCOSM_CACHE=" + dir, "ONNXRUNTIME_SHARED_LIBRARY_PATH="},
			want: []string{filepath.Join(dir, "onnxruntime", onnx.RuntimeVersion, "libonnxruntime.so.1"), "install-onnxruntime.sh"}},
		{name: "not a library", env: []string{"ARG=" + notLib},
			want: []string{"ONNX Runtime unavailable", "ONNX Runtime >= 1.24 is required", "retry ok"}},
		{name: "switching library", env: []string{"ARG=" + lib, "SECOND=" + notLib},
			want: []string{"first ok", "already loaded " + lib}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestInitRuntimeErrors$")
			cmd.Env = append(os.Environ(), append(tc.env, initCaseEnv+"=1", "REAL_LIB="+lib)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("child output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// runInitCase runs in the child process and prints what happened.
func runInitCase(string) {
	err := onnx.InitRuntime(os.Getenv("ARG"))
	if err == nil {
		fmt.Println("first ok")
		if second := os.Getenv("SECOND"); second != "" {
			fmt.Println(onnx.InitRuntime(second))
		}
		return
	}
	fmt.Println(err, errors.Is(err, onnx.ErrRuntimeUnavailable))
	if onnx.InitRuntime(os.Getenv("REAL_LIB")) == nil {
		fmt.Println("retry ok")
	}
}
