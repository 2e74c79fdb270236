package ortlib

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// recorder is a testing.TB whose Fatalf records the failure and stops the
// goroutine, as the real one does, so failing paths can be checked.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Logf(string, ...any) {}

// run calls f with a recorder on its own goroutine, so Goexit ends only it.
func run(f func(testing.TB) string) (got, failed string) {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = f(r)
	}()
	<-done
	return got, r.failed
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"go.mod", "scripts/install-onnxruntime.sh", "scripts/fetch-digits.sh"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestPathsFromEnvironment(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name       string
		env        string
		value      string
		f          func(testing.TB) string
		wantFailed bool
	}{
		{name: "library from environment", env: libraryEnv, value: existing, f: LibraryPath},
		{name: "library from environment, missing", env: libraryEnv, value: missing, f: LibraryPath, wantFailed: true},
		{name: "digits from environment", env: digitsEnv, value: existing, f: DigitsPath},
		{name: "digits from environment, missing", env: digitsEnv, value: missing, f: DigitsPath, wantFailed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			got, failed := run(tc.f)
			if tc.wantFailed {
				if failed == "" {
					t.Fatalf("returned %q, want a failure", got)
				}
				return
			}
			if failed != "" || got != tc.value {
				t.Fatalf("got %q (failure %q), want %q", got, failed, tc.value)
			}
		})
	}
}

func TestCachedPathsAreUsed(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(cacheEnv, cache)
	t.Setenv(libraryEnv, "")
	t.Setenv(digitsEnv, "")
	lib := filepath.Join(cache, "onnxruntime", runtimeVersion, "libonnxruntime.so.1")
	data := filepath.Join(cache, "data", "digits.csv.gz")
	for _, p := range []string{lib, data} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The files exist, so no script runs and the paths come straight back.
	if got := LibraryPath(t); got != lib {
		t.Fatalf("LibraryPath = %q, want %q", got, lib)
	}
	if got := DigitsPath(t); got != data {
		t.Fatalf("DigitsPath = %q, want %q", got, data)
	}
}

func TestCachedTextlinePathsAreUsed(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(cacheEnv, cache)
	model := filepath.Join(cache, "models", "ppocr-v4", "ch_PP-OCRv4_rec_infer.onnx")
	dict := filepath.Join(cache, "models", "ppocr-v4", "ppocr_keys_v1.txt")
	data := filepath.Join(cache, "data", "textline")
	for _, p := range []string{model, dict, filepath.Join(data, "fonts", "DejaVuSans.ttf"), filepath.Join(data, "words.txt")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The files exist, so no script runs and the paths come straight back.
	if got := OCRModelPath(t); got != model {
		t.Fatalf("OCRModelPath = %q, want %q", got, model)
	}
	if got := TextlineDataDir(t); got != data {
		t.Fatalf("TextlineDataDir = %q, want %q", got, data)
	}
	if got := CacheDir(t); got != cache {
		t.Fatalf("CacheDir = %q, want %q", got, cache)
	}
}
