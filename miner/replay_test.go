package miner_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// inferRaw sends req to the axon at addr as is, as an attacker holding a
// captured request would.
func inferRaw(t *testing.T, c *chain, addr string, req *axonpb.InferRequest) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = axonpb.NewAxonClient(conn).Infer(c.Ctx, req)
	return err
}

// captureInfer has the registered caller send a signed Infer to r, checks
// that it is served, and returns it for a later replay.
func captureInfer(t *testing.T, c *chain, r *running, held *digits.Dataset) *axonpb.InferRequest {
	t.Helper()
	signer, err := axon.NewKeyringSigner(c.Keyring(), "caller-hot")
	if err != nil {
		t.Fatal(err)
	}
	inputs := []*axonpb.Tensor{axon.Float32Tensor("input", []int64{1, 64}, held.Row(1))}
	target := axon.AxonTarget{Hotkey: r.m.Hotkey(), Netuid: 1, Address: r.m.AxonAddr()}
	h, err := axon.NewRequestHeader(signer, axon.MethodInfer, target, axon.BodyHash(inputs), uint64(time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	req := &axonpb.InferRequest{Header: h, Inputs: inputs}
	if err := inferRaw(t, c, r.m.AxonAddr(), req); err != nil {
		t.Fatalf("request to be captured: %v", err)
	}
	return req
}

// checkReplayRefused replays a request captured before r's restart: it
// must be refused as a replay is (Unauthenticated), and r's state_dir must
// hold the watermark that refused it.
func checkReplayRefused(t *testing.T, c *chain, r *running, cfg miner.Config, captured *axonpb.InferRequest) {
	t.Helper()
	err := inferRaw(t, c, r.m.AxonAddr(), captured)
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "restarted") {
		t.Fatalf("replay after the miner restarted: %v, want Unauthenticated (signed before the restart)", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, miner.ReplayFile)); err != nil {
		t.Fatalf("replay watermark: %v", err)
	}
}

// checkStateDirInUse starts a second miner on the running one's state_dir:
// New must refuse it, after warning that dev mode lets the test keyring in.
func checkStateDirInUse(t *testing.T, cfg miner.Config) {
	t.Helper()
	var logs bytes.Buffer
	_, err := miner.New(cfg, slog.New(slog.NewJSONHandler(&logs, nil)), nil)
	if !errors.Is(err, miner.ErrStateDirInUse) {
		t.Fatalf("second miner on one state_dir: %v, want ErrStateDirInUse", err)
	}
	if n := strings.Count(logs.String(), `"level":"WARN","msg":"dev mode: the test keyring stores keys unencrypted on disk`); n != 1 {
		t.Fatalf("dev mode with the test keyring logged %d warnings, want 1:\n%s", n, logs.String())
	}
}
