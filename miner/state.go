package miner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Files in state_dir.
const (
	// ReplayFile is the axon's replay watermark (see axon.WithReplayFile).
	ReplayFile = "axon-replay.json"
	lockFile   = "LOCK"
)

// ErrStateDirInUse is returned by New when another miner holds the state
// directory: two miners writing one replay watermark could each lower the
// other's.
var ErrStateDirInUse = errors.New("state_dir is in use by another miner")

// lockStateDir creates dir and locks it for this process (an flock,
// released when the process dies however it dies, or when the file is
// closed).
func lockStateDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Clean(filepath.Join(dir, lockFile)), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state_dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %s (%v)", ErrStateDirInUse, dir, err)
	}
	return f, nil
}
