package validator

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStatePersistAndResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	st, err := openStateDir(dir, 1, "tensor1hot")
	if err != nil {
		t.Fatal(err)
	}
	scores := []Score{
		{UID: 0, Hotkey: "a", EMA: 0.25, LastScored: time.Unix(5, 7).UTC(), Queries: 3},
		{UID: 2, Hotkey: "c", EMA: 0, FlaggedUntil: 9, FlagReason: reasonMismatch},
	}
	commits := []commitRecord{{Hash: "ab", Salt: "cd", UIDs: []uint32{0, 2}, Values: []uint32{65535, 1},
		VersionKey: 3, PreparedHeight: 40, PreparedEpoch: 4, Status: statusCommitted, TxHash: "FF", CommitBlock: 41, CommitEpoch: 4}}
	if err := st.saveScores(scores); err != nil {
		t.Fatal(err)
	}
	if err := st.saveCommits(commits); err != nil {
		t.Fatal(err)
	}

	t.Run("one validator per directory", func(t *testing.T) {
		if _, err := openStateDir(dir, 1, "tensor1hot"); !errors.Is(err, ErrStateDirInUse) {
			t.Fatalf("second open: %v, want ErrStateDirInUse", err)
		}
	})
	if err := st.close(); err != nil {
		t.Fatal(err)
	}
	// a crash in the middle of a save leaves its temporary file behind
	if err := os.WriteFile(filepath.Join(dir, scoresFile+".tmp-123"), []byte(`{"trunc`), 0o600); err != nil {
		t.Fatal(err)
	}

	st2, err := openStateDir(dir, 1, "tensor1hot")
	if err != nil {
		t.Fatal(err)
	}
	defer st2.close()
	gotScores, err := st2.loadScores()
	if err != nil {
		t.Fatal(err)
	}
	gotCommits, err := st2.loadCommits()
	if err != nil {
		t.Fatal(err)
	}
	if len(gotScores) != 2 || gotScores[0].EMA != 0.25 || !gotScores[0].LastScored.Equal(scores[0].LastScored) ||
		gotScores[1].FlaggedUntil != 9 || gotScores[1].FlagReason != reasonMismatch {
		t.Fatalf("scores after reopening = %+v", gotScores)
	}
	if len(gotCommits) != 1 || gotCommits[0].Hash != "ab" || gotCommits[0].CommitEpoch != 4 || gotCommits[0].Values[1] != 1 {
		t.Fatalf("commits after reopening = %+v", gotCommits)
	}
	tab := newScoreTable(0.5, gotScores)
	if ema, _ := tab.update(0, "a", 1, time.Unix(6, 0), 1); ema != 0.625 {
		t.Fatalf("resumed EMA continues to %v, want 0.625", ema)
	}
}

func TestStateEmptyAndForeign(t *testing.T) {
	dir := t.TempDir()
	st, err := openStateDir(dir, 1, "tensor1hot")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := st.loadScores(); err != nil || s != nil {
		t.Fatalf("fresh dir: scores %v, %v", s, err)
	}
	if err := st.saveScores([]Score{{UID: 1, Hotkey: "x"}}); err != nil {
		t.Fatal(err)
	}
	_ = st.close()
	tests := []struct {
		name    string
		netuid  uint32
		hotkey  string
		file    string
		wantErr string
	}{
		{name: "another hotkey", netuid: 1, hotkey: "tensor1other", wantErr: "belongs to hotkey tensor1hot in subnet 1"},
		{name: "another subnet", netuid: 2, hotkey: "tensor1hot", wantErr: "belongs to hotkey tensor1hot in subnet 1"},
		{name: "corrupt file", netuid: 1, hotkey: "tensor1hot", file: `{"version":`, wantErr: scoresFile},
		{name: "unknown version", netuid: 1, hotkey: "tensor1hot", file: `{"version":9,"netuid":1,"hotkey":"tensor1hot"}`, wantErr: "format version 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, scoresFile), []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			st, err := openStateDir(dir, tc.netuid, tc.hotkey)
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			if _, err := st.loadScores(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("load = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestChallengeSeed checks that the private challenge seed is drawn on first
// start, kept across restarts, different for another validator, never
// written anywhere but state_dir with owner-only permissions, and refused
// when damaged.
func TestChallengeSeed(t *testing.T) {
	open := func(t *testing.T, dir string) [32]byte {
		t.Helper()
		st, err := openStateDir(dir, 1, "tensor1hot")
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		seed, err := st.challengeSeed()
		if err != nil {
			t.Fatal(err)
		}
		return seed
	}
	dir := t.TempDir()
	first := open(t, dir)
	if first == ([32]byte{}) {
		t.Fatal("the seed is all zeros")
	}
	if again := open(t, dir); again != first {
		t.Fatal("the seed changed across a restart")
	}
	if other := open(t, t.TempDir()); other == first {
		t.Fatal("two validators drew the same seed")
	}
	info, err := os.Stat(filepath.Join(dir, seedFile))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Fatalf("%s has permissions %v, want owner only", seedFile, perm)
	}

	tests := []struct {
		name, content, wantErr string
	}{
		{"short seed", `{"version": 1, "netuid": 1, "hotkey": "tensor1hot", "seed": "abcd"}`, "the seed is not 32 hex-encoded bytes"},
		{"not hex", `{"version": 1, "netuid": 1, "hotkey": "tensor1hot", "seed": "` + strings.Repeat("zz", 32) + `"}`, "the seed is not 32 hex-encoded bytes"},
		{"another hotkey's", `{"version": 1, "netuid": 1, "hotkey": "tensor1other", "seed": "` + strings.Repeat("ab", 32) + `"}`, "belongs to hotkey tensor1other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, seedFile), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := openStateDir(dir, 1, "tensor1hot")
			if err != nil {
				t.Fatal(err)
			}
			defer st.close()
			if _, err := st.challengeSeed(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("challengeSeed() = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
