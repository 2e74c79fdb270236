package axon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// replayChildEnv, set to a watermark path, makes the test binary run
// runReplayChild instead of the tests (see TestMain).
const replayChildEnv = "TENSORCOSM_AXON_REPLAY_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(replayChildEnv); path != "" {
		runReplayChild(path)
		return
	}
	os.Exit(m.Run())
}

// runReplayChild serves the fixture's axon (same keys, same fixed clock)
// on loopback with the replay watermark in path, prints its address and
// serves until killed.
func runReplayChild(path string) {
	meta := NewStaticMetagraph()
	miner, err := NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("miner")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	caller, err := NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("caller")))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	meta.SetNeuron(testNetuid, caller.Address(), NeuronInfo{UID: 1, Stake: 100, ValidatorPermit: true})
	cfg := DefaultServerConfig()
	cfg.Netuid, cfg.Workers, cfg.ListenAddress = testNetuid, 2, "127.0.0.1:0"
	srv, err := NewServer(cfg, newLinearModel(), meta, miner, nil, nil, WithReplayFile(path))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	srv.now = func() time.Time { return testNow }
	var lc net.ListenConfig
	lis, err := lc.Listen(context.Background(), "tcp", cfg.ListenAddress)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(lis.Addr().String())
	_ = srv.Serve(lis)
	os.Exit(1) // Serve returns only on failure: the parent kills this process
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// replayFilePath returns a watermark path in a fresh directory.
func replayFilePath(t *testing.T) string { return filepath.Join(t.TempDir(), "axon-replay.json") }

// TestReplayAfterRestart captures a signed request the axon accepted,
// restarts the axon in-process and replays the request.
func TestReplayAfterRestart(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		persist    bool
		replayWant codes.Code
	}{
		// the defect: a memory-only nonce table forgets with the process
		{name: "memory only: replay accepted", persist: false, replayWant: codes.OK},
		{name: "replay file: replay refused", persist: true, replayWant: codes.Unauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []ServerOption
			if tc.persist {
				opts = append(opts, WithReplayFile(replayFilePath(t)))
			}
			first := newFixture(t, nil, nil, opts...)
			req := signedInfer(t, first.caller, first.target, nonceAt(0), digitsInput(1, 1))
			if _, err := first.raw.Infer(ctx, req); err != nil {
				t.Fatalf("first request: %v", err)
			}
			if err := first.srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			second := newFixture(t, nil, nil, opts...)
			_, err := second.raw.Infer(ctx, req)
			if got := status.Code(err); got != tc.replayWant {
				t.Fatalf("replay after restart: %v, want %s", err, tc.replayWant)
			}
			// the caller's next request, signed after the restart, is served
			next := signedInfer(t, second.caller, second.target, nonceAt(2*time.Second), digitsInput(1, 1))
			if _, err := second.raw.Infer(ctx, next); err != nil {
				t.Fatalf("fresh request after restart: %v", err)
			}
		})
	}
}

// TestReplayAfterSIGKILL is TestReplayAfterRestart with an unclean stop: the
// axon runs in a child process that is killed with SIGKILL right after
// answering, so nothing is written at shutdown.
func TestReplayAfterSIGKILL(t *testing.T) {
	path := replayFilePath(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), replayChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
	})
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child address: %v", err)
	}
	conn, err := grpc.NewClient(strings.TrimSpace(addr), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	caller := testSigner(t, "caller")
	target := AxonTarget{Hotkey: testSigner(t, "miner").Address(), Netuid: testNetuid}
	req := signedInfer(t, caller, target, nonceAt(0), digitsInput(1, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := axonpb.NewAxonClient(conn).Infer(ctx, req, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("request to the child: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	f := newFixture(t, nil, nil, WithReplayFile(path))
	_, err = f.raw.Infer(context.Background(), req)
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "restarted") {
		t.Fatalf("replay after SIGKILL: %v, want Unauthenticated (signed before the restart)", err)
	}
}

// readCeiling returns the ceiling in the watermark file.
func readCeiling(t *testing.T, path string) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f replayFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.NonceCeiling
}

// TestReplayWatermarkReserve checks that the file is written only when a
// nonce passes the ceiling, replayAhead above it, and that a restart
// refuses what the file covers, whoever the caller.
func TestReplayWatermarkReserve(t *testing.T) {
	path := replayFilePath(t)
	w, err := openReplayWatermark(path, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	if w.floor != 0 {
		t.Fatalf("first start: floor %d, want 0", w.floor)
	}
	steps := []struct {
		name  string
		nonce uint64
		want  uint64 // ceiling in the file afterwards
	}{
		{"first nonce writes nonce + 1s", nonceAt(0), nonceAt(time.Second)},
		{"below the ceiling writes nothing", nonceAt(500 * time.Millisecond), nonceAt(time.Second)},
		{"at the ceiling writes nothing", nonceAt(time.Second), nonceAt(time.Second)},
		{"past the ceiling moves it", nonceAt(time.Second) + 1, nonceAt(2*time.Second) + 1},
	}
	for _, s := range steps {
		if err := w.reserve(s.nonce); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := readCeiling(t, path); got != s.want {
			t.Fatalf("%s: file ceiling %d, want %d", s.name, got, s.want)
		}
	}
	again, err := openReplayWatermark(path, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	tr := newNonceTracker(64, 10, time.Minute)
	tr.watermark = again
	for _, c := range []struct {
		caller string
		nonce  uint64
		want   error
	}{
		{"a", nonceAt(0), errReplay},
		{"b", nonceAt(2 * time.Second), errReplay}, // never seen, but below the ceiling
		{"b", nonceAt(2*time.Second) + 2, nil},
	} {
		err := tr.accept(c.caller, c.nonce, testNow)
		if (c.want == nil && err != nil) || !errors.Is(err, c.want) {
			t.Fatalf("caller %s nonce +%d after restart: %v, want %v", c.caller, c.nonce-nonceAt(0), err, c.want)
		}
	}
}

func TestReplayWatermarkDamagedFile(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not json", "{\"version\":1,\"nonce_cei"},
		{"other version", `{"version":2,"nonce_ceiling":5}`},
		{"no ceiling", `{"version":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := replayFilePath(t)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := DefaultServerConfig()
			_, err := NewServer(cfg, newLinearModel(), NewStaticMetagraph(), testSigner(t, "miner"), nil, nil, WithReplayFile(path))
			if err == nil || !strings.Contains(err.Error(), "is damaged") {
				t.Fatalf("NewServer = %v, want a damaged-file error", err)
			}
		})
	}
}

// TestReplayWatermarkWriteFailure checks that a nonce the watermark cannot
// cover is refused (Internal) rather than accepted unprotected, and that
// the axon recovers once the file can be written again.
func TestReplayWatermarkWriteFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil, nil, WithReplayFile(filepath.Join(dir, "axon-replay.json")))
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(1, 1))
	if _, err := f.raw.Infer(ctx, req); status.Code(err) != codes.Internal {
		t.Fatalf("request without a writable watermark: %v, want Internal", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := f.raw.Infer(ctx, req); err != nil {
		t.Fatalf("same request once the directory is back: %v", err)
	}
}

// BenchmarkReplayWatermarkWrite is the cost of one watermark write (temp
// file, fsync, rename, directory fsync), paid about once a second.
func BenchmarkReplayWatermarkWrite(b *testing.B) {
	w, err := openReplayWatermark(filepath.Join(b.TempDir(), "axon-replay.json"), discardLogger())
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		if err := w.write(uint64(i + 1)); err != nil {
			b.Fatal(err)
		}
	}
}
