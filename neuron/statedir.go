package neuron

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// StateDirLockFile is the file in a daemon's state_dir that holds its lock.
const StateDirLockFile = "LOCK"

// ErrStateDirInUse is returned by LockStateDir when another process holds
// the directory.
var ErrStateDirInUse = errors.New("state_dir is in use by another process")

// LockStateDir creates dir (mode 0700) and takes an exclusive flock on its
// lock file for this process. The lock is released when the returned file
// is closed or the process dies, however it dies, so a crash never leaves a
// stale lock. A second holder gets an error wrapping ErrStateDirInUse.
func LockStateDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Clean(filepath.Join(dir, StateDirLockFile)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %s (%v)", ErrStateDirInUse, dir, err)
	}
	return f, nil
}
