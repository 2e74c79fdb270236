package axon

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// replayAhead is how far above an accepted nonce the watermark is written.
// Nonces follow the clock, so the file is rewritten (two fsyncs) about once
// a second under steady traffic; in exchange a process restarted within a
// second of its last request refuses fresh nonces for the rest of it.
const replayAhead = uint64(time.Second)

// replayFileVersion is the format of the watermark file.
const replayFileVersion = 1

// ServerOption changes how NewServer builds a server.
type ServerOption func(*serverOptions)

type serverOptions struct {
	replayFile string
}

// WithReplayFile keeps the server's replay watermark in path, so that a
// request captured before a restart (SIGKILL or power loss included) is
// refused after it, as a replay, instead of being accepted once more while
// its nonce is within MaxClockSkew. The file's directory must exist; the
// file is created on the first request. One server per file.
func WithReplayFile(path string) ServerOption {
	return func(o *serverOptions) { o.replayFile = path }
}

// openReplayFile applies opts' replay file to s's nonce table.
func (s *Server) openReplayFile(opts []ServerOption) error {
	var o serverOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.replayFile == "" {
		return nil
	}
	w, err := openReplayWatermark(o.replayFile, s.log)
	if err != nil {
		return fmt.Errorf("axon: %w", err)
	}
	if w.floor > 0 {
		s.log.Info("axon refuses nonces at or below its replay watermark, as replays from before the restart",
			"path", o.replayFile, "watermark", time.Unix(0, int64(w.floor)).UTC().Format(time.RFC3339Nano))
	}
	s.nonces.watermark = w
	return nil
}

// replayWatermark carries the nonce table's guarantee across restarts. The
// table lives in memory, so a fresh process would accept again any request
// accepted by the previous one whose nonce is still within the clock skew.
// The watermark is a ceiling on every nonce the axon has accepted: it is
// written to the file, and fsynced, before a nonce above the last ceiling
// is accepted, and the next process refuses every nonce at or below the
// ceiling it finds, whoever the caller. One number, whatever the number of
// callers, at the price of refusing, right after a restart, callers whose
// clocks run behind the fastest recent caller's until theirs catch up
// (at most MaxClockSkew plus a second).
type replayWatermark struct {
	path string
	log  *slog.Logger
	// floor is the ceiling found at start: the previous process may have
	// accepted any nonce up to it.
	floor uint64
	// ceiling is on disk: no accepted nonce is above it.
	ceiling atomic.Uint64

	mu      sync.Mutex // one write at a time
	failing bool       // the last write failed; guarded by mu
}

// replayFile is the watermark file.
type replayFile struct {
	Version      int    `json:"version"`
	NonceCeiling uint64 `json:"nonce_ceiling"`
}

// openReplayWatermark reads the watermark in path; a missing file is a
// first start.
func openReplayWatermark(path string, log *slog.Logger) (*replayWatermark, error) {
	w := &replayWatermark{path: path, log: log}
	b, err := os.ReadFile(filepath.Clean(path))
	if errors.Is(err, os.ErrNotExist) {
		return w, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replay watermark: %w", err)
	}
	var f replayFile
	if err := json.Unmarshal(b, &f); err != nil || f.Version != replayFileVersion || f.NonceCeiling == 0 {
		return nil, fmt.Errorf("replay watermark %s is damaged (version %d, error %v): removing it is safe "+
			"once the axon has been stopped for twice max_clock_skew", path, f.Version, err)
	}
	w.floor = f.NonceCeiling
	w.ceiling.Store(f.NonceCeiling)
	return w, nil
}

// reserve makes sure the ceiling on disk is at least nonce, writing
// nonce + replayAhead when it is not.
func (w *replayWatermark) reserve(nonce uint64) error {
	if nonce <= w.ceiling.Load() {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if nonce <= w.ceiling.Load() {
		return nil // written meanwhile by another request
	}
	next := nonce + replayAhead
	if err := w.write(next); err != nil {
		if !w.failing {
			w.log.Error("axon cannot record its replay watermark: refusing newer nonces until it can", "path", w.path, "error", err)
		}
		w.failing = true
		return fmt.Errorf("record replay watermark: %w", err)
	}
	if w.failing {
		w.log.Info("axon records its replay watermark again", "path", w.path)
		w.failing = false
	}
	w.ceiling.Store(next)
	return nil
}

// write replaces the file with ceiling: a temporary file, fsynced, renamed
// over it, and the directory fsynced, so that a crash leaves the old
// ceiling or the new one and never a torn file.
func (w *replayWatermark) write(ceiling uint64) error {
	b, err := json.Marshal(replayFile{Version: replayFileVersion, NonceCeiling: ceiling})
	if err != nil {
		return err
	}
	dir := filepath.Dir(w.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(w.path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), w.path)
	}
	if err != nil {
		return err
	}
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
