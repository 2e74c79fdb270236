package axon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

func TestLoadOrCreateTLS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "axon-tls")
	first, err := LoadOrCreateTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	pin := CertFingerprint(first.Certificate[0])
	if CertFingerprint(again.Certificate[0]) != pin || len(pin) != 64 || strings.ToLower(pin) != pin {
		t.Fatalf("fingerprint %q then %q, want one stable lowercase hex SHA-256", pin, CertFingerprint(again.Certificate[0]))
	}
	st, err := os.Stat(filepath.Join(dir, TLSKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	if err := os.WriteFile(filepath.Join(dir, TLSCertFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateTLS(dir); err == nil {
		t.Fatal("a corrupt certificate was replaced silently, changing the announced fingerprint")
	}
}

func tlsFixture(t *testing.T) *fixture {
	return newFixture(t, nil, func(c *ServerConfig) { c.TLS = TLSOn })
}

func TestTLSRoundTrip(t *testing.T) {
	f := tlsFixture(t)
	if _, err := f.client.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)}); err != nil {
		t.Fatal(err)
	}
	f.srv.sessions.mu.RLock()
	defer f.srv.sessions.mu.RUnlock()
	for _, s := range f.srv.sessions.byID {
		if len(s.binding) != TLSBindingSize {
			t.Fatalf("TLS session binding is %d bytes, want %d", len(s.binding), TLSBindingSize)
		}
	}
}

func TestTLSFingerprintMismatch(t *testing.T) {
	f := tlsFixture(t)
	wrong := f.target
	wrong.TLSFingerprint = strings.Repeat("ab", 32)
	_, err := f.client.Infer(context.Background(), wrong, []*axonpb.Tensor{digitsInput(1, 1)})
	if !errors.Is(err, ErrTLSFingerprint) || !strings.Contains(err.Error(), "metagraph has "+wrong.TLSFingerprint) ||
		!strings.Contains(err.Error(), "miner presented "+f.srv.TLSFingerprint()) {
		t.Fatalf("wrong pin: %v, want a fingerprint mismatch naming both", err)
	}
	plain := f.target
	plain.TLSFingerprint = ""
	if _, err := f.client.Infer(context.Background(), plain, []*axonpb.Tensor{digitsInput(1, 1)}); err == nil {
		t.Fatal("plaintext client served by a TLS axon")
	}
}

// TestTLSSessionBoundToConnection opens a session on one TLS connection and
// uses it on another: refused, with the "connection" trailer.
func TestTLSSessionBoundToConnection(t *testing.T) {
	f := tlsFixture(t)
	ctx := context.Background()
	creds := newPinnedCreds(f.srv.TLSFingerprint())
	conn, err := grpc.NewClient(f.target.Address, f.dial, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &Client{opts: f.client.opts}
	pc := &clientConn{cc: conn, stub: axonpb.NewAxonClient(conn), creds: creds}
	c.signer, c.now = f.caller, f.client.now
	s, err := c.handshake(ctx, f.target, pc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.stub.Infer(ctx, macInfer(s, 1, digitsInput(1, 1))); err != nil {
		t.Fatalf("on its own connection: %v", err)
	}
	var md metadata.MD
	_, err = f.raw.Infer(ctx, macInfer(s, 2, digitsInput(1, 1)), grpc.Trailer(&md))
	if status.Code(err) != codes.Unauthenticated || strings.Join(md.Get(SessionTrailer), "") != "connection" {
		t.Fatalf("on another connection: %v, trailer %v; want Unauthenticated, connection", err, md)
	}
}

func TestHealth(t *testing.T) {
	f := newFixture(t, nil, nil)
	hc := healthpb.NewHealthClient(f.conn)
	check := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		r, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	for _, svc := range []string{"", axonpb.Axon_ServiceDesc.ServiceName} {
		if st := check(svc); st != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Fatalf("%q before SetServing: %s, want NOT_SERVING", svc, st)
		}
	}
	f.srv.SetServing(true)
	for _, svc := range []string{"", axonpb.Axon_ServiceDesc.ServiceName} {
		if st := check(svc); st != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("%q after SetServing(true): %s, want SERVING", svc, st)
		}
	}
}

func TestReflection(t *testing.T) {
	for _, on := range []bool{true, false} {
		f := newFixture(t, nil, func(c *ServerConfig) { c.Reflection = on })
		stream, err := reflectionpb.NewServerReflectionClient(f.conn).ServerReflectionInfo(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
		if err != nil && on { // off: the server ended the stream (io.EOF); Recv has its status
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if !on {
			if status.Code(err) != codes.Unimplemented {
				t.Fatalf("reflection off: %v, want Unimplemented", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		if !strings.Contains(strings.Join(names, " "), "tensorcosm.axon.v2.Axon") {
			t.Fatalf("reflection lists %v, want tensorcosm.axon.v2.Axon", names)
		}
	}
}
