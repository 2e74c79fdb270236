package onnx

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

const (
	// LibraryPathEnv names the environment variable that points at the ONNX
	// Runtime shared library (the name onnxruntime_go's own examples use).
	LibraryPathEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"
	// RuntimeVersion is the ONNX Runtime release that
	// scripts/install-onnxruntime.sh installs by default. onnxruntime_go
	// v1.27 needs ORT C API 24, that is ONNX Runtime 1.24 or newer.
	RuntimeVersion = "1.24.3"
	// libraryName is the file name the install script gives the library.
	libraryName = "libonnxruntime.so.1"
)

// ErrRuntimeUnavailable marks a failure to find or load the ONNX Runtime
// shared library.
var ErrRuntimeUnavailable = errors.New("ONNX Runtime unavailable")

// CacheEnv names the environment variable that overrides the cache
// directory shared with the install scripts.
const CacheEnv = "TENSORCOSM_CACHE"

// CacheDir returns the cache directory shared with the install scripts:
// $TENSORCOSM_CACHE, else $HOME/.cache/tensorcosm.
func CacheDir() string {
	if dir := os.Getenv(CacheEnv); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		// Without a home directory the scripts would fail the same way; a
		// relative path at least yields an error message that names it.
		home = "."
	}
	return filepath.Join(home, ".cache", "tensorcosm")
}

// runtimeState records the library the process loaded. onnxruntime_go keeps
// one environment per process, so it is global by nature.
var runtimeState struct {
	mu   sync.Mutex
	path string // "" until InitRuntime succeeds
}

// DefaultLibraryPath returns where scripts/install-onnxruntime.sh installs
// the library: <cache>/onnxruntime/<RuntimeVersion>/libonnxruntime.so.1.
func DefaultLibraryPath() string {
	return filepath.Join(CacheDir(), "onnxruntime", RuntimeVersion, libraryName)
}

// ResolveLibraryPath picks the library InitRuntime loads: libPath when set,
// else $ONNXRUNTIME_SHARED_LIBRARY_PATH, else DefaultLibraryPath().
func ResolveLibraryPath(libPath string) string {
	if libPath != "" {
		return libPath
	}
	if p := os.Getenv(LibraryPathEnv); p != "" {
		return p
	}
	return DefaultLibraryPath()
}

// InitRuntime loads the ONNX Runtime shared library (see
// ResolveLibraryPath) and creates the process-wide ONNX Runtime environment.
// Once it has succeeded, later calls do nothing and return nil, except that
// asking for a different library than the loaded one is an error: a process
// cannot switch libraries. A failed call can be retried, for example after
// installing the library. Errors wrap ErrRuntimeUnavailable.
func InitRuntime(libPath string) error {
	runtimeState.mu.Lock()
	defer runtimeState.mu.Unlock()
	path := ResolveLibraryPath(libPath)
	if loaded := runtimeState.path; loaded != "" {
		if libPath != "" && libPath != loaded {
			return fmt.Errorf("%w: %s requested, but this process already loaded %s",
				ErrRuntimeUnavailable, libPath, loaded)
		}
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: library %s: %w (run scripts/install-onnxruntime.sh, or set %s)",
			ErrRuntimeUnavailable, path, err, LibraryPathEnv)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%w: library %s is not a regular file", ErrRuntimeUnavailable, path)
	}
	ort.SetSharedLibraryPath(path)
	// ORT logs to stderr by itself, bypassing slog, and every error it logs
	// is also returned through the API, where this package wraps it; only
	// fatal messages, which come with no returned error, are left on.
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return fmt.Errorf("%w: load %s (ONNX Runtime >= 1.24 is required; scripts/install-onnxruntime.sh installs %s): %w",
			ErrRuntimeUnavailable, path, RuntimeVersion, err)
	}
	runtimeState.path = path
	slog.Debug("ONNX Runtime loaded", "library", path, "version", ort.GetVersion())
	return nil
}

// RuntimeLibrary returns the path of the loaded ONNX Runtime library and its
// version, or empty strings before InitRuntime has succeeded.
func RuntimeLibrary() (path, version string) {
	runtimeState.mu.Lock()
	defer runtimeState.mu.Unlock()
	if runtimeState.path == "" {
		return "", ""
	}
	return runtimeState.path, ort.GetVersion()
}
