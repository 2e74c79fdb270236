package miner_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/miner"
	"github.com/tensorcosm/tensorcosm/task/digits"
)

// inferRaw sends req to the TLS axon at addr as is, as an attacker holding
// a captured request would, and returns the error and the axon-session
// trailer.
func inferRaw(t *testing.T, c *chain, addr string, req *axonpb.InferRequest) (string, error) {
	t.Helper()
	creds := credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}) // an attacker pins nothing
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var md metadata.MD
	_, err = axonpb.NewAxonClient(conn).Infer(c.Ctx, req, grpc.Trailer(&md))
	return strings.Join(md.Get(axon.SessionTrailer), ","), err
}

// captureInfer has the registered caller send an Infer to r through the
// client (a session pinned to the announced certificate), checks that it
// is served, and returns the request as sent for a later replay.
func captureInfer(t *testing.T, c *chain, r *running, held *digits.Dataset) *axonpb.InferRequest {
	t.Helper()
	signer, err := axon.NewKeyringSigner(c.Keyring(), "caller-hot")
	if err != nil {
		t.Fatal(err)
	}
	var captured *axonpb.InferRequest
	opts := axon.DefaultClientOptions()
	opts.ChainID = c.Cfg.ChainID
	opts.DialOptions = []grpc.DialOption{grpc.WithUnaryInterceptor(
		func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, o ...grpc.CallOption) error {
			if in, ok := req.(*axonpb.InferRequest); ok {
				captured = proto.Clone(in).(*axonpb.InferRequest)
			}
			return invoker(ctx, method, req, reply, cc, o...)
		})}
	client, err := axon.NewClient(signer, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	inputs := []*axonpb.Tensor{axon.Float32Tensor("input", []int64{1, 64}, held.Row(1))}
	if _, err := client.Infer(c.Ctx, minerTarget(t, c, r, 1), inputs); err != nil || captured == nil {
		t.Fatalf("request to be captured: %v", err)
	}
	return captured
}

// minerTarget addresses r's axon as a validator does: from the chain's
// record, TLS pin included.
func minerTarget(t *testing.T, c *chain, r *running, netuid uint32) axon.AxonTarget {
	t.Helper()
	n, err := c.Neuron(netuid, r.m.Hotkey())
	if err != nil || n.Axon == nil || n.Axon.TlsFingerprint == "" {
		t.Fatalf("miner's chain record %v (%v): want an axon with a TLS fingerprint", n, err)
	}
	return axon.AxonTarget{Hotkey: r.m.Hotkey(), Netuid: netuid, Address: r.m.AxonAddr(), TLSFingerprint: n.Axon.TlsFingerprint}
}

// checkReplayRefused replays a request captured before r's restart: the
// restarted axon knows no session from before (sessions live in memory), so
// it refuses it as Unauthenticated with the "unknown" session trailer; the
// TLS certificate in state_dir survived the restart.
func checkReplayRefused(t *testing.T, c *chain, r *running, cfg miner.Config, captured *axonpb.InferRequest) {
	t.Helper()
	trailer, err := inferRaw(t, c, r.m.AxonAddr(), captured)
	if status.Code(err) != codes.Unauthenticated || trailer != "unknown" {
		t.Fatalf("replay after the miner restarted: %v (trailer %q), want Unauthenticated, session unknown", err, trailer)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, miner.TLSDir, axon.TLSKeyFile)); err != nil {
		t.Fatalf("TLS key in state_dir: %v", err)
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
