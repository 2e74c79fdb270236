package onnx

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Device selects where a Session runs.
type Device string

const (
	// DeviceCPU runs on the CPU; it always works.
	DeviceCPU Device = "cpu"
	// DeviceCUDA runs on an NVIDIA GPU through ONNX Runtime's CUDA execution
	// provider, and fails when that provider cannot be loaded.
	DeviceCUDA Device = "cuda"
	// DeviceAuto tries CUDA and falls back to the CPU, logging why.
	DeviceAuto Device = "auto"
)

// ParseDevice validates a device name; "" means DeviceCPU.
func ParseDevice(s string) (Device, error) {
	switch d := Device(s); d {
	case "":
		return DeviceCPU, nil
	case DeviceCPU, DeviceCUDA, DeviceAuto:
		return d, nil
	}
	return "", fmt.Errorf("unknown device %q (want cpu, cuda or auto)", s)
}

var (
	// ErrDeviceUnavailable marks a Session that could not be created on the
	// requested device, such as DeviceCUDA without the CUDA provider library,
	// its CUDA dependencies, or a GPU.
	ErrDeviceUnavailable = errors.New("execution device unavailable")
	// ErrSessionClosed is returned by Run after Close.
	ErrSessionClosed = errors.New("session closed")
)

// SessionOptions configures LoadSession.
type SessionOptions struct {
	// Device is where the model runs; "" means DeviceCPU.
	Device Device
	// DeviceID is the CUDA device ordinal.
	DeviceID int
	// IntraOpThreads is the number of threads ONNX Runtime uses inside one
	// operator; 0 lets it pick (one per core).
	IntraOpThreads int
	// Logger receives the CUDA fallback notice; nil means slog.Default().
	Logger *slog.Logger
}

// Session is a loaded ONNX model, created once and reused for every request.
// It is safe for concurrent use: ONNX Runtime's Run is thread-safe and each
// call uses its own tensors, so concurrent Run calls proceed in parallel;
// Close waits for the calls in flight.
type Session struct {
	mu      sync.RWMutex // Run holds it shared, Close exclusively
	ort     *ort.DynamicAdvancedSession
	inputs  []TensorInfo
	outputs []TensorInfo
	device  Device
	sha256  string
	size    int64
}

// LoadSession loads the ONNX file at path (see LoadSessionBytes).
func LoadSession(path string, opts SessionOptions) (*Session, error) {
	b, err := readModelFile(path)
	if err != nil {
		return nil, err
	}
	s, err := LoadSessionBytes(b, opts)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return s, nil
}

// LoadSessionBytes creates a session from an in-memory ONNX file,
// initialising the runtime with InitRuntime("") if no earlier call did. The
// session runs exactly the bytes it was given, so SHA256 is the hash of what
// is served; models with external data files are therefore rejected. A file
// that is not a valid model, or that has inputs or outputs Run cannot carry
// (non-tensors, element types other than float32 and int64), fails with
// ErrInvalidModel.
func LoadSessionBytes(b []byte, opts SessionOptions) (*Session, error) {
	device, err := ParseDevice(string(opts.Device))
	if err != nil {
		return nil, err
	}
	if opts.DeviceID < 0 || opts.IntraOpThreads < 0 {
		return nil, fmt.Errorf("device ID %d and intra-op threads %d must not be negative", opts.DeviceID, opts.IntraOpThreads)
	}
	if err := InitRuntime(""); err != nil {
		return nil, err
	}
	if _, err := InspectBytes(b); err != nil {
		return nil, err
	}
	// A temporary CPU session both validates the graph and reports its
	// inputs and outputs; a later failure on the GPU is then a device
	// problem, not a model problem.
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(b)
	if err != nil {
		return nil, fmt.Errorf("%w: ONNX Runtime rejected it: %w", ErrInvalidModel, err)
	}
	// onnxruntime_go indexes the first input and output without checking,
	// and a model without either cannot serve requests anyway.
	if len(ins) == 0 || len(outs) == 0 {
		return nil, fmt.Errorf("%w: it has %d inputs and %d outputs; at least one of each is needed", ErrInvalidModel, len(ins), len(outs))
	}
	s := &Session{sha256: HashBytes(b), size: int64(len(b))}
	if s.inputs, err = tensorInfos("input", ins); err != nil {
		return nil, err
	}
	if s.outputs, err = tensorInfos("output", outs); err != nil {
		return nil, err
	}
	s.ort, s.device, err = createSession(b, s.inputs, s.outputs, device, opts)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// createSession creates the ONNX Runtime session on the requested device.
func createSession(b []byte, ins, outs []TensorInfo, device Device, opts SessionOptions) (*ort.DynamicAdvancedSession, Device, error) {
	if device == DeviceCPU {
		s, err := newORTSession(b, ins, outs, false, opts)
		return s, DeviceCPU, err
	}
	s, err := newORTSession(b, ins, outs, true, opts)
	if err == nil {
		return s, DeviceCUDA, nil
	}
	if device == DeviceCUDA {
		return nil, "", fmt.Errorf("%w: CUDA device %d (the CUDA build of ONNX Runtime comes from scripts/install-onnxruntime.sh --cuda and needs CUDA 13 cuBLAS and cuDNN on LD_LIBRARY_PATH): %w",
			ErrDeviceUnavailable, opts.DeviceID, err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn("CUDA unavailable, running the model on the CPU", "device_id", opts.DeviceID, "reason", err)
	s, err = newORTSession(b, ins, outs, false, opts)
	return s, DeviceCPU, err
}

// newORTSession creates one ONNX Runtime session, with the CUDA execution
// provider when cuda is set.
func newORTSession(b []byte, ins, outs []TensorInfo, cuda bool, opts SessionOptions) (*ort.DynamicAdvancedSession, error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	defer func() { _ = so.Destroy() }() // only fails when already destroyed
	if opts.IntraOpThreads > 0 {
		if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
			return nil, fmt.Errorf("set intra-op threads: %w", err)
		}
	}
	if cuda {
		if err := appendCUDA(so, opts.DeviceID); err != nil {
			return nil, err
		}
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(b, names(ins), names(outs), so)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

// appendCUDA adds the CUDA execution provider for the given device. ONNX
// Runtime loads libonnxruntime_providers_cuda.so from the directory of the
// main library at this point, so a missing provider fails here.
func appendCUDA(so *ort.SessionOptions, deviceID int) error {
	co, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("CUDA provider options: %w", err)
	}
	defer func() { _ = co.Destroy() }() // only fails when already destroyed
	if err := co.Update(map[string]string{"device_id": strconv.Itoa(deviceID)}); err != nil {
		return fmt.Errorf("CUDA provider options: %w", err)
	}
	if err := so.AppendExecutionProviderCUDA(co); err != nil {
		return fmt.Errorf("CUDA execution provider: %w", err)
	}
	return nil
}

// tensorInfos converts ONNX Runtime's descriptions, refusing what Run cannot
// carry.
func tensorInfos(kind string, infos []ort.InputOutputInfo) ([]TensorInfo, error) {
	out := make([]TensorInfo, 0, len(infos))
	for _, info := range infos {
		if info.OrtValueType != ort.ONNXTypeTensor {
			return nil, fmt.Errorf("%w: %s %q is a %s; only tensors are supported", ErrInvalidModel, kind, info.Name, info.OrtValueType)
		}
		var dt DType
		switch info.DataType {
		case ort.TensorElementDataTypeFloat:
			dt = Float32
		case ort.TensorElementDataTypeInt64:
			dt = Int64
		default:
			return nil, fmt.Errorf("%w: %s %q has element type %s; only float32 and int64 are supported",
				ErrInvalidModel, kind, info.Name, info.DataType)
		}
		out = append(out, TensorInfo{Name: info.Name, DType: dt, Shape: append([]int64(nil), info.Dimensions...)})
	}
	return out, nil
}

func names(infos []TensorInfo) []string {
	out := make([]string, len(infos))
	for i, info := range infos {
		out[i] = info.Name
	}
	return out
}

// Device returns where the session runs: DeviceCPU or DeviceCUDA (never
// DeviceAuto).
func (s *Session) Device() Device { return s.device }

// SHA256 returns the hex sha256 of the model bytes the session runs.
func (s *Session) SHA256() string { return s.sha256 }

// Size returns the size in bytes of the model file the session runs.
func (s *Session) Size() int64 { return s.size }

// Inputs describes the model's inputs; dynamic dimensions are -1.
func (s *Session) Inputs() []TensorInfo { return cloneInfos(s.inputs) }

// Outputs describes the model's outputs; dynamic dimensions are -1.
func (s *Session) Outputs() []TensorInfo { return cloneInfos(s.outputs) }

func cloneInfos(infos []TensorInfo) []TensorInfo {
	out := make([]TensorInfo, len(infos))
	for i, info := range infos {
		info.Shape = append([]int64(nil), info.Shape...)
		out[i] = info
	}
	return out
}

// Close releases the ONNX Runtime session after the Run calls in flight
// have returned. Closing twice is harmless.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ort == nil {
		return nil
	}
	err := s.ort.Destroy()
	s.ort = nil
	if err != nil {
		return fmt.Errorf("close session: %w", err)
	}
	return nil
}
