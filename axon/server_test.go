package axon

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

func TestInferRoundTrip(t *testing.T) {
	f := newFixture(t, nil, nil)
	for _, batch := range []int{1, 64} {
		in := digitsInput(batch, 0.5)
		resp, err := f.client.Infer(context.Background(), f.target, []*axonpb.Tensor{in})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		x, _ := in.Float32s()
		want, _ := linearForward(int64(batch), x).Float32s()
		got, err := resp.Outputs[0].Float32s()
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("batch %d: outputs %v (%v), want %v", batch, got, err, want)
		}
		l, sum := resp.Leaf, newLinearModel().sum
		if l.BlockHeight != 1234 || !slices.Equal(l.ModelSha256, sum[:]) || len(l.SessionId) != SessionIDSize ||
			!bytes.Equal(l.ResponseHash, ResponseHash(resp.Outputs)) || len(resp.Mac) != MACSize {
			t.Fatalf("leaf %v, mac %x", l, resp.Mac)
		}
	}
	if n := f.srv.sessions.len(); n != 1 {
		t.Fatalf("%d sessions after two requests, want 1", n)
	}
}

// trailerOf runs an Infer on the raw connection and returns the error and
// the axon-session trailer.
func trailerOf(f *fixture, req *axonpb.InferRequest) (string, error) {
	var md metadata.MD
	_, err := f.raw.Infer(context.Background(), req, grpc.Trailer(&md))
	return strings.Join(md.Get(SessionTrailer), ","), err
}

// TestRequestRefusals covers each way a request in a session is refused,
// with its status code and, for session refusals, the trailer.
func TestRequestRefusals(t *testing.T) {
	in := digitsInput(1, 1)
	tests := []struct {
		name    string
		cfg     func(*ServerConfig)
		req     func(t *testing.T, f *fixture, s *clientSession) *axonpb.InferRequest
		want    codes.Code
		trailer string
	}{
		{name: "valid", want: codes.OK,
			req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest { return macInfer(s, 1, in) }},
		{name: "forged MAC", want: codes.Unauthenticated, req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			r := macInfer(s, 1, in)
			r.Header.Mac[3] ^= 1
			return r
		}},
		{name: "MAC made for Info", want: codes.Unauthenticated, req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			r := macInfer(s, 1, in)
			r.Header.Mac = mac(&s.keys.callerToMiner, RequestMACBytes(MethodInfo, r.Header))
			return r
		}},
		{name: "MAC under the miner-to-caller key", want: codes.Unauthenticated, req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			r := macInfer(s, 1, in)
			r.Header.Mac = mac(&s.keys.minerToCaller, RequestMACBytes(MethodInfer, r.Header))
			return r
		}},
		{name: "body changed after the MAC", want: codes.Unauthenticated, req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			r := macInfer(s, 1, in)
			r.Inputs = []*axonpb.Tensor{digitsInput(1, 2)}
			return r
		}},
		{name: "missing header", want: codes.Unauthenticated, req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			return &axonpb.InferRequest{Inputs: []*axonpb.Tensor{in}}
		}},
		{name: "sequence 0", want: codes.Unauthenticated, req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			return macInfer(s, 0, in)
		}},
		{name: "unknown session", want: codes.Unauthenticated, trailer: "unknown", req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			other := &clientSession{id: bytes.Repeat([]byte{7}, SessionIDSize), keys: s.keys}
			return macInfer(other, 1, in)
		}},
		{name: "other caller's session id", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture, s *clientSession) *axonpb.InferRequest {
			mallory := testSigner(t, "mallory")
			f.meta.SetNeuron(testNetuid, mallory.Address(), NeuronInfo{UID: 5, Stake: 1})
			own := f.open(t, mallory)
			own.id = s.id // the victim's session under mallory's keys: a MAC failure
			return macInfer(own, 1, in)
		}},
		{name: "expired session", want: codes.Unauthenticated, trailer: "expired", req: func(_ *testing.T, f *fixture, s *clientSession) *axonpb.InferRequest {
			f.clock.advance(11 * time.Minute)
			return macInfer(s, 1, in)
		}},
		{name: "deregistered caller", want: codes.PermissionDenied, req: func(_ *testing.T, f *fixture, s *clientSession) *axonpb.InferRequest {
			f.meta.RemoveNeuron(testNetuid, f.caller.Address())
			return macInfer(s, 1, in)
		}},
		{name: "no permit where required", want: codes.PermissionDenied,
			cfg: func(c *ServerConfig) { c.RequireValidatorPermit = true },
			req: func(_ *testing.T, f *fixture, s *clientSession) *axonpb.InferRequest {
				f.meta.SetNeuron(testNetuid, f.caller.Address(), NeuronInfo{UID: 1, Stake: 100})
				return macInfer(s, 1, in)
			}},
		{name: "input off the model's specs", want: codes.InvalidArgument, req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
			return macInfer(s, 1, Float32Tensor("input", []int64{1, 63}, make([]float32, 63)))
		}},
		{name: "too many elements", want: codes.ResourceExhausted, cfg: func(c *ServerConfig) { c.MaxElements = 100 },
			req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
				return macInfer(s, 1, digitsInput(2, 1))
			}},
		{name: "message above the size limit", want: codes.ResourceExhausted, cfg: func(c *ServerConfig) { c.MaxRecvMsgBytes = 4096 },
			req: func(_ *testing.T, _ *fixture, s *clientSession) *axonpb.InferRequest {
				return macInfer(s, 1, digitsInput(64, 1))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, tc.cfg)
			s := f.open(t, f.caller)
			trailer, err := trailerOf(f, tc.req(t, f, s))
			if got := status.Code(err); got != tc.want || trailer != tc.trailer {
				t.Fatalf("code %s trailer %q (%v), want %s trailer %q", got, trailer, err, tc.want, tc.trailer)
			}
		})
	}
}

// TestSequenceWindow checks replays and reordering against the window.
func TestSequenceWindow(t *testing.T) {
	f := newFixture(t, nil, func(c *ServerConfig) { c.SequenceWindow = 4 })
	s := f.open(t, f.caller)
	in := digitsInput(1, 1)
	steps := []struct {
		seq  uint64
		want codes.Code
	}{
		{3, codes.OK},
		{1, codes.OK}, // out of order, inside the window
		{3, codes.Unauthenticated},
		{2, codes.OK},
		{10, codes.OK}, {11, codes.OK}, {12, codes.OK}, // window 3 10 11 12, floor 2
		{2, codes.Unauthenticated}, // replayed, at the floor
		{13, codes.OK},             // floor 3
		{4, codes.OK},              // late but above the floor: accepted once
		{4, codes.Unauthenticated},
		{9, codes.OK},              // floor 9
		{6, codes.Unauthenticated}, // never used, but older than the window
		{12, codes.Unauthenticated},
	}
	for _, st := range steps {
		_, err := trailerOf(f, macInfer(s, st.seq, in))
		if got := status.Code(err); got != st.want {
			t.Fatalf("sequence %d: %s (%v), want %s", st.seq, got, err, st.want)
		}
	}
}

// TestRefusedRequestDoesNotBurnSequence sends a forged request carrying the
// caller's next sequence number, then the real one.
func TestRefusedRequestDoesNotBurnSequence(t *testing.T) {
	f := newFixture(t, nil, nil)
	s := f.open(t, f.caller)
	real := macInfer(s, 1, digitsInput(1, 1))
	forged := proto.Clone(real).(*axonpb.InferRequest)
	forged.Header.Mac[0] ^= 0x80
	if _, err := trailerOf(f, forged); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("forged request: %v, want Unauthenticated", err)
	}
	if _, err := trailerOf(f, real); err != nil {
		t.Fatalf("real request after the forgery: %v", err)
	}
}

// TestHandshakeRefusals covers each way a handshake is refused.
func TestHandshakeRefusals(t *testing.T) {
	type hs = axonpb.HandshakeRequest
	tests := []struct {
		name   string
		mutate func(f *fixture, r *hs) // applied before signing
		after  func(f *fixture, r *hs) // applied after signing
		want   codes.Code
	}{
		{name: "valid", want: codes.OK},
		{name: "wrong target", want: codes.Unauthenticated, mutate: func(f *fixture, r *hs) { r.TargetHotkey = f.caller.Address() }},
		{name: "wrong netuid", want: codes.Unauthenticated, mutate: func(_ *fixture, r *hs) { r.Netuid++ }},
		{name: "wrong chain id", want: codes.Unauthenticated, mutate: func(_ *fixture, r *hs) { r.ChainId = "other-chain" }},
		{name: "timestamp beyond the clock skew", want: codes.Unauthenticated,
			mutate: func(_ *fixture, r *hs) { r.TimestampMs -= 31_000 }},
		{name: "expiry in the past", want: codes.Unauthenticated,
			mutate: func(_ *fixture, r *hs) { r.ExpiryMs = r.TimestampMs - 1 }},
		{name: "short nonce", want: codes.Unauthenticated, mutate: func(_ *fixture, r *hs) { r.Nonce = r.Nonce[:16] }},
		{name: "short ephemeral key", want: codes.Unauthenticated,
			mutate: func(_ *fixture, r *hs) { r.EphemeralPubkey = r.EphemeralPubkey[:31] }},
		{name: "low-order ephemeral key", want: codes.Unauthenticated,
			mutate: func(_ *fixture, r *hs) { r.EphemeralPubkey = make([]byte, 32) }},
		{name: "pubkey of another hotkey", want: codes.Unauthenticated,
			mutate: func(f *fixture, r *hs) { r.CallerPubkey = f.miner.PubKey() }},
		{name: "unregistered caller", want: codes.PermissionDenied,
			mutate: func(f *fixture, _ *hs) { f.meta.RemoveNeuron(testNetuid, f.caller.Address()) }},
		{name: "bad signature", want: codes.Unauthenticated, after: func(_ *fixture, r *hs) { r.Signature[5] ^= 1 }},
		{name: "field changed after signing", want: codes.Unauthenticated, after: func(_ *fixture, r *hs) { r.ExpiryMs++ }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, nil)
			now := time.Now()
			req, _, _, err := NewHandshake(f.caller, f.target, testChainID, now, now.Add(time.Minute), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mutate != nil {
				tc.mutate(f, req)
				if req.Signature, err = f.caller.Sign(HandshakeSignBytes(req, nil)); err != nil {
					t.Fatal(err)
				}
			}
			if tc.after != nil {
				tc.after(f, req)
			}
			_, err = f.raw.Handshake(context.Background(), req)
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %s (%v), want %s", got, err, tc.want)
			}
			if tc.want != codes.OK && f.srv.sessions.len() != 0 {
				t.Fatal("a refused handshake left a session")
			}
		})
	}
}

func TestHandshakeReplayRefused(t *testing.T) {
	f := newFixture(t, nil, nil)
	now := time.Now()
	req, _, _, err := NewHandshake(f.caller, f.target, testChainID, now, now.Add(time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.raw.Handshake(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := f.raw.Handshake(context.Background(), req); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("replayed handshake: %v, want Unauthenticated", err)
	}
}

func TestSessionExpiryIsCapped(t *testing.T) {
	f := newFixture(t, nil, func(c *ServerConfig) { c.SessionTTL = time.Minute })
	now := time.Now()
	req, _, _, err := NewHandshake(f.caller, f.target, testChainID, now, now.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.raw.Handshake(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := time.UnixMilli(resp.ExpiryMs).Sub(now); got > time.Minute+time.Second || got < 59*time.Second {
		t.Fatalf("session lasts %s, want the 1m session_ttl", got)
	}
}

// TestHandshakeLimits checks the rate limit and both session limits, each
// a ResourceExhausted naming its setting.
func TestHandshakeLimits(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(*ServerConfig)
		callers int
		ok      int
		setting string
	}{
		{"rate per caller", func(c *ServerConfig) { c.HandshakesPerCallerPerSecond, c.HandshakeBurst = 0.001, 3 }, 1, 3,
			"handshakes_per_caller_per_second"},
		{"sessions per caller", func(c *ServerConfig) { c.MaxSessionsPerCaller = 2 }, 1, 2, "max_sessions_per_caller"},
		{"sessions in all", func(c *ServerConfig) { c.MaxSessions = 3 }, 4, 3, "max_sessions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil, tc.cfg)
			var signers []Signer
			for i := range tc.callers {
				s := testSigner(t, "limit-"+string(rune('a'+i)))
				f.meta.SetNeuron(testNetuid, s.Address(), NeuronInfo{UID: uint32(10 + i), Stake: 1})
				signers = append(signers, s)
			}
			for i := range tc.ok + 1 {
				_, err := f.tryOpen(signers[i%len(signers)], f.target)
				if i < tc.ok && err != nil {
					t.Fatalf("handshake %d: %v", i, err)
				}
				if i == tc.ok && (status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), tc.setting)) {
					t.Fatalf("handshake %d: %v, want ResourceExhausted naming %s", i, err, tc.setting)
				}
			}
		})
	}
}

// TestHandshakeFloodBoundedMemory floods the server with handshakes: from
// unregistered hotkeys nothing is kept; from registered ones the session
// and nonce tables stop at their caps.
func TestHandshakeFloodBoundedMemory(t *testing.T) {
	const maxSessions, maxNonces = 8, 12
	f := newFixture(t, nil, func(c *ServerConfig) {
		c.MaxSessions, c.MaxHandshakeNonces, c.MaxSessionsPerCaller = maxSessions, maxNonces, 2
	})
	ctx := context.Background()
	for i := range 200 {
		s := testSigner(t, "flood-"+string(rune(i)))
		now := time.Now()
		req, _, _, err := NewHandshake(s, f.target, testChainID, now, now.Add(time.Minute), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.raw.Handshake(ctx, req); status.Code(err) != codes.PermissionDenied {
			t.Fatalf("unregistered handshake %d: %v, want PermissionDenied", i, err)
		}
	}
	if f.srv.sessions.len() != 0 || f.srv.nonces.len() != 0 || len(f.srv.handshake.buckets) != 0 {
		t.Fatalf("unregistered flood left %d sessions, %d nonces, %d rate buckets",
			f.srv.sessions.len(), f.srv.nonces.len(), len(f.srv.handshake.buckets))
	}
	refused := 0
	for i := range 40 {
		s := testSigner(t, "member-"+string(rune('a'+i)))
		f.meta.SetNeuron(testNetuid, s.Address(), NeuronInfo{UID: uint32(100 + i), Stake: 1})
		for range 3 {
			if _, err := f.tryOpen(s, f.target); status.Code(err) == codes.ResourceExhausted {
				refused++
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := f.srv.sessions.len(); n != maxSessions {
		t.Fatalf("%d sessions after the flood, want the cap %d", n, maxSessions)
	}
	if n := f.srv.nonces.len(); n > maxNonces {
		t.Fatalf("%d nonces remembered, cap %d", n, maxNonces)
	}
	if refused != 120-maxSessions {
		t.Fatalf("%d handshakes refused, want %d", refused, 120-maxSessions)
	}
}

// TestRefreshSessionsEndsDeregistered ends a deregistered caller's sessions
// at the metagraph refresh, before any request of theirs.
func TestRefreshSessionsEndsDeregistered(t *testing.T) {
	f := newFixture(t, nil, nil)
	other := testSigner(t, "other")
	f.meta.SetNeuron(testNetuid, other.Address(), NeuronInfo{UID: 2, Stake: 1})
	f.open(t, f.caller)
	f.open(t, f.caller)
	kept := f.open(t, other)
	f.meta.RemoveNeuron(testNetuid, f.caller.Address())
	if n := f.srv.RefreshSessions(); n != 2 || f.srv.sessions.len() != 1 {
		t.Fatalf("RefreshSessions ended %d, %d left; want 2 ended, 1 left", n, f.srv.sessions.len())
	}
	if _, err := trailerOf(f, macInfer(kept, 1, digitsInput(1, 1))); err != nil {
		t.Fatalf("registered caller's session: %v", err)
	}
}

// TestSharedHotkey runs two clients (two processes) with one hotkey at the
// same time: each has its own session and neither trips the other.
func TestSharedHotkey(t *testing.T) {
	f := newFixture(t, nil, nil)
	clients := []*Client{f.client, f.newClient(t, f.caller)}
	var wg sync.WaitGroup
	errs := make(chan error, 2*50)
	for _, c := range clients {
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)})
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.srv.sessions.len(); n != 2 {
		t.Fatalf("%d sessions, want one per client", n)
	}
}

func TestInfo(t *testing.T) {
	f := newFixture(t, nil, func(c *ServerConfig) { c.Version = "v1.2.3" })
	info, err := f.client.Info(context.Background(), f.target)
	if err != nil {
		t.Fatal(err)
	}
	sum := newLinearModel().sum
	if info.Hotkey != f.miner.Address() || info.Netuid != testNetuid || !slices.Equal(info.ModelSha256, sum[:]) ||
		info.TaskKind != "digits" || info.Version != "v1.2.3" || len(info.Inputs) != 1 || info.Inputs[0].Name != "input" {
		t.Fatalf("info %v", info)
	}
	if _, err := f.raw.Info(context.Background(), &axonpb.InfoRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Info without a header: %v, want Unauthenticated", err)
	}
	if _, err := f.client.Info(context.Background(), AxonTarget{Hotkey: f.caller.Address(), Netuid: testNetuid, Address: f.target.Address}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Info for another hotkey: %v, want Unauthenticated", err)
	}
}

// TestClientRefusesTamperedResponse changes each part of a response on its
// way to the client: every change is refused with ErrInvalidResponse.
func TestClientRefusesTamperedResponse(t *testing.T) {
	tamper := []struct {
		name string
		fn   func(r *axonpb.InferResponse)
	}{
		{"output", func(r *axonpb.InferResponse) { r.Outputs[0].Data[0] ^= 1 }},
		{"leaf model", func(r *axonpb.InferResponse) { r.Leaf.ModelSha256[0] ^= 1 }},
		{"leaf height", func(r *axonpb.InferResponse) { r.Leaf.BlockHeight++ }},
		{"leaf request hash", func(r *axonpb.InferResponse) { r.Leaf.RequestHash[0] ^= 1 }},
		{"leaf sequence", func(r *axonpb.InferResponse) { r.Leaf.Sequence++ }},
		{"mac", func(r *axonpb.InferResponse) { r.Mac[0] ^= 1 }},
		{"no leaf", func(r *axonpb.InferResponse) { r.Leaf = nil }},
	}
	f := newFixture(t, nil, nil)
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultClientOptions()
			opts.ChainID = testChainID
			opts.DialOptions = []grpc.DialOption{f.dial, grpc.WithUnaryInterceptor(
				func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, o ...grpc.CallOption) error {
					err := invoker(ctx, method, req, reply, cc, o...)
					if r, ok := reply.(*axonpb.InferResponse); ok && err == nil {
						tc.fn(r)
					}
					return err
				})}
			c, err := NewClient(f.caller, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)}); !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("tampered %s: %v, want ErrInvalidResponse", tc.name, err)
			}
		})
	}
}

// TestClientRenewsSession opens a new session once the current one is
// within RenewBefore of its end.
func TestClientRenewsSession(t *testing.T) {
	f := newFixture(t, nil, nil)
	opts := DefaultClientOptions()
	opts.ChainID, opts.DialOptions = testChainID, []grpc.DialOption{f.dial}
	opts.SessionTTL, opts.RenewBefore = time.Minute, 30*time.Second
	c, err := NewClient(f.caller, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var offset time.Duration
	c.now = func() time.Time { return time.Now().Add(offset) }
	infer := func() {
		if _, err := c.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	infer()
	infer()
	if n := handshakes(t, f); n != 1 {
		t.Fatalf("%v handshakes for two requests, want 1", n)
	}
	offset = 31 * time.Second
	f.clock.advance(offset)
	infer()
	if n := handshakes(t, f); n != 2 {
		t.Fatalf("%v handshakes after the renewal point, want 2", n)
	}
}

func handshakes(t *testing.T, f *fixture) float64 {
	return metricValue(t, f.srv.metrics.requests.WithLabelValues(MethodHandshake, "OK"))
}

// TestClientRehandshakesAfterRestart stops a server and starts a new one
// (same key, same port): the old session is unknown to it, and the client
// opens a new one and retries without its caller noticing.
func TestClientRehandshakesAfterRestart(t *testing.T) {
	meta := NewStaticMetagraph()
	miner, caller := testSigner(t, "miner"), testSigner(t, "caller")
	meta.SetNeuron(testNetuid, caller.Address(), NeuronInfo{Stake: 1})
	start := func(addr, tlsDir string) *Server {
		cfg := testServerConfig()
		cfg.TLS, cfg.TLSDir = TLSOn, tlsDir
		cfg.ListenAddress = addr
		srv, err := NewServer(cfg, newLinearModel(), meta, miner, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = srv.Serve(lis) }()
		waitFor(t, func() bool { return srv.Addr() != nil })
		return srv
	}
	tlsDir := t.TempDir()
	first := start("127.0.0.1:0", tlsDir)
	addr := first.Addr().String()
	opts := DefaultClientOptions()
	opts.ChainID = testChainID
	c, err := NewClient(caller, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	target := AxonTarget{Hotkey: miner.Address(), Netuid: testNetuid, Address: addr, TLSFingerprint: first.TLSFingerprint()}
	ctx := context.Background()
	if _, err := c.Infer(ctx, target, []*axonpb.Tensor{digitsInput(1, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := first.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	second := start(addr, tlsDir)
	defer func() { _ = second.Shutdown(ctx) }()
	if second.TLSFingerprint() != first.TLSFingerprint() {
		t.Fatal("the certificate in tls_dir changed across the restart")
	}
	if _, err := c.Infer(ctx, target, []*axonpb.Tensor{digitsInput(1, 1)}); err != nil {
		t.Fatalf("after the restart: %v", err)
	}
	m := second.metrics.requests
	if u, h, ok := metricValue(t, m.WithLabelValues(MethodInfer, "Unauthenticated")), metricValue(t, m.WithLabelValues(MethodHandshake, "OK")),
		metricValue(t, m.WithLabelValues(MethodInfer, "OK")); u != 1 || h != 1 || ok != 1 {
		t.Fatalf("new server saw %v refused Infer, %v handshakes, %v Infer OK; want 1 each", u, h, ok)
	}
}
