package validator

import (
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tensorcosm/tensorcosm/neuron"
)

// State files in state_dir.
const (
	scoresFile  = "scores.json"
	commitsFile = "commits.json"
	seedFile    = "challenge_seed.json"
	// stateVersion is the format of the state files.
	stateVersion = 1
)

// ErrStateDirInUse is returned by New when another validator holds the
// state directory.
var ErrStateDirInUse = neuron.ErrStateDirInUse

// stateDir is the validator's directory of state files, locked for one
// process (an flock, released when the process dies however it dies).
type stateDir struct {
	dir    string
	netuid uint32
	hotkey string
	lock   *os.File
}

// stateHeader opens every state file and names whose state it is.
type stateHeader struct {
	Version int    `json:"version"`
	Netuid  uint32 `json:"netuid"`
	Hotkey  string `json:"hotkey"`
}

// scoresState is scores.json.
type scoresState struct {
	stateHeader
	Scores []Score `json:"scores"`
}

// commitsState is commits.json.
type commitsState struct {
	stateHeader
	Commits []commitRecord `json:"commits"`
}

// seedState is challenge_seed.json: the private seed of the challenges,
// hex. It never leaves the directory: whoever holds it can predict them.
type seedState struct {
	stateHeader
	Seed string `json:"seed"`
}

// openStateDir creates and locks dir for the validator (netuid, hotkey).
func openStateDir(dir string, netuid uint32, hotkey string) (*stateDir, error) {
	f, err := neuron.LockStateDir(dir)
	if err != nil {
		return nil, err
	}
	return &stateDir{dir: dir, netuid: netuid, hotkey: hotkey, lock: f}, nil
}

func (s *stateDir) header() stateHeader {
	return stateHeader{Version: stateVersion, Netuid: s.netuid, Hotkey: s.hotkey}
}

// load reads name into v, which embeds a stateHeader; found is false when
// the file does not exist. A file of another subnet or hotkey is an error:
// its commits could not be revealed and its scores are someone else's.
func (s *stateDir) load(name string, v any, h func() stateHeader) (found bool, err error) {
	b, err := os.ReadFile(filepath.Clean(filepath.Join(s.dir, name)))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state_dir: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("state_dir: %s: %w", name, err)
	}
	got := h()
	if got.Version != stateVersion {
		return false, fmt.Errorf("state_dir: %s has format version %d, this validator reads %d", name, got.Version, stateVersion)
	}
	if got.Netuid != s.netuid || got.Hotkey != s.hotkey {
		return false, fmt.Errorf("state_dir: %s belongs to hotkey %s in subnet %d, not %s in subnet %d: use another state_dir",
			name, got.Hotkey, got.Netuid, s.hotkey, s.netuid)
	}
	return true, nil
}

// save writes v to name atomically: a temporary file in the same
// directory, synced, renamed over name, and the directory synced, so that a
// crash leaves either the old or the new file, whole.
func (s *stateDir) save(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, name+".tmp-*")
	if err != nil {
		return fmt.Errorf("state_dir: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("state_dir: write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("state_dir: sync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state_dir: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("state_dir: %w", err)
	}
	return syncDir(s.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return fmt.Errorf("state_dir: %w", err)
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("state_dir: sync directory: %w", err)
	}
	return nil
}

// loadScores returns the saved scores, none if there are none.
func (s *stateDir) loadScores() ([]Score, error) {
	var st scoresState
	_, err := s.load(scoresFile, &st, func() stateHeader { return st.stateHeader })
	return st.Scores, err
}

func (s *stateDir) saveScores(scores []Score) error {
	return s.save(scoresFile, scoresState{stateHeader: s.header(), Scores: scores})
}

// loadCommits returns the saved commit records.
func (s *stateDir) loadCommits() ([]commitRecord, error) {
	var st commitsState
	_, err := s.load(commitsFile, &st, func() stateHeader { return st.stateHeader })
	return st.Commits, err
}

func (s *stateDir) saveCommits(commits []commitRecord) error {
	return s.save(commitsFile, commitsState{stateHeader: s.header(), Commits: commits})
}

// challengeSeed returns the validator's private challenge seed: read from
// challenge_seed.json, or drawn from crypto/rand and saved there on first
// start. It is never derived from chain data, which every miner can read,
// and it survives restarts, so each validator keeps challenges of its own.
func (s *stateDir) challengeSeed() ([32]byte, error) {
	var seed [32]byte
	var st seedState
	found, err := s.load(seedFile, &st, func() stateHeader { return st.stateHeader })
	if err != nil {
		return seed, err
	}
	if !found {
		_, _ = crand.Read(seed[:]) // crypto/rand.Read does not fail
		return seed, s.save(seedFile, seedState{stateHeader: s.header(), Seed: hex.EncodeToString(seed[:])})
	}
	b, err := hex.DecodeString(st.Seed)
	if err != nil || len(b) != len(seed) {
		return seed, fmt.Errorf("state_dir: %s: the seed is not %d hex-encoded bytes", seedFile, len(seed))
	}
	copy(seed[:], b)
	return seed, nil
}

// close releases the lock.
func (s *stateDir) close() error { return s.lock.Close() }
