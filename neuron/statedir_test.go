package neuron_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tensorcosm/tensorcosm/neuron"
)

func TestLockStateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	f, err := neuron.LockStateDir(dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("state_dir not created 0700: %v %v", st, err)
	}
	if _, err := neuron.LockStateDir(dir); !errors.Is(err, neuron.ErrStateDirInUse) {
		t.Fatalf("second lock: %v, want ErrStateDirInUse", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := neuron.LockStateDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	_ = g.Close()
}
