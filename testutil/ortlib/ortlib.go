// Package ortlib gives tests the ONNX Runtime shared library, the digits
// data set, and the textline task's reference model, dictionary, fonts and
// word list, installing them with the repository's own scripts when they are
// missing. Tests that use it fail, never skip, when that is impossible: a test
// of the runtime path that silently skipped would prove nothing.
package ortlib

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// These mirror onnx.CacheEnv, onnx.LibraryPathEnv, model.DigitsPathEnv and
// the scripts' defaults. They are repeated rather than imported so that the
// model package's own tests can use this package.
const (
	cacheEnv       = "TENSORCOSM_CACHE"
	libraryEnv     = "ONNXRUNTIME_SHARED_LIBRARY_PATH"
	digitsEnv      = "TENSORCOSM_DIGITS_PATH"
	runtimeVersion = "1.24.3"
	modulePath     = "github.com/tensorcosm/tensorcosm"
)

// mu serialises installs within one test binary; the scripts themselves
// install by rename, so concurrent test binaries cannot see partial files.
var mu sync.Mutex

// LibraryPath returns the path of the ONNX Runtime library: the file named
// by $ONNXRUNTIME_SHARED_LIBRARY_PATH if set, else the cache default, which
// scripts/install-onnxruntime.sh creates when it is missing.
func LibraryPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(libraryEnv); p != "" {
		mustExist(t, p, libraryEnv)
		return p
	}
	return ensure(t, filepath.Join(cacheDir(t), "onnxruntime", runtimeVersion, "libonnxruntime.so.1"),
		"scripts/install-onnxruntime.sh")
}

// DigitsPath returns the path of digits.csv.gz: $TENSORCOSM_DIGITS_PATH if
// set, else the cache default, which scripts/fetch-digits.sh creates when it
// is missing.
func DigitsPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(digitsEnv); p != "" {
		mustExist(t, p, digitsEnv)
		return p
	}
	return ensure(t, filepath.Join(cacheDir(t), "data", "digits.csv.gz"), "scripts/fetch-digits.sh")
}

// CacheDir returns the cache directory the paths below lie in:
// $TENSORCOSM_CACHE, else ~/.cache/tensorcosm (onnx.CacheDir's rule).
func CacheDir(t testing.TB) string {
	t.Helper()
	return cacheDir(t)
}

// OCRModelPath returns the PP-OCRv4 recognizer in the cache, with its
// character dictionary ppocr_keys_v1.txt beside it; scripts/fetch-ocr-model.sh
// fetches both when either is missing.
func OCRModelPath(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(cacheDir(t), "models", "ppocr-v4")
	ensure(t, filepath.Join(dir, "ppocr_keys_v1.txt"), "scripts/fetch-ocr-model.sh")
	return ensure(t, filepath.Join(dir, "ch_PP-OCRv4_rec_infer.onnx"), "scripts/fetch-ocr-model.sh")
}

// TextlineDataDir returns the directory of the textline task's fonts
// (fonts/*.ttf) and word list (words.txt) in the cache;
// scripts/fetch-fonts.sh fetches them when they are missing.
func TextlineDataDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(cacheDir(t), "data", "textline")
	ensure(t, filepath.Join(dir, "fonts", "DejaVuSans.ttf"), "scripts/fetch-fonts.sh")
	ensure(t, filepath.Join(dir, "words.txt"), "scripts/fetch-fonts.sh")
	return dir
}

func mustExist(t testing.TB, path, env string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s points at %s: %v", env, path, err)
	}
}

// ensure returns path, running script (relative to the repository root)
// first when the file does not exist.
func ensure(t testing.TB, path, script string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if _, err := os.Stat(path); err == nil {
		return path
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("%s is missing and the repository root to run %s from was not found: %v", path, script, err)
	}
	t.Logf("%s is missing; running %s", path, script)
	cmd := exec.Command(filepath.Join(root, script))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s failed: %v\n%s", script, err, out.String())
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s succeeded but %s is still missing: %v\n%s", script, path, err, out.String())
	}
	return path
}

func cacheDir(t testing.TB) string {
	if dir := os.Getenv(cacheEnv); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatalf("no home directory for the cache (set %s): %v", cacheEnv, err)
	}
	return filepath.Join(home, ".cache", "tensorcosm")
}

// RepoRoot walks up from the working directory (a test's package directory)
// to the go.mod of the tensorcosm module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Clean(filepath.Join(dir, "go.mod")))
		if err == nil && isModule(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod declaring module " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

func isModule(gomod []byte) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1] == modulePath
		}
	}
	return false
}
