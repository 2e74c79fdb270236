package axon

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// byteFields lists every byte slice a receipt check depends on, by name.
func byteFields(req *axonpb.InferRequest, resp *axonpb.InferResponse) map[string][]byte {
	h, r := req.Header, resp.Receipt
	return map[string][]byte{
		"input data":            req.Inputs[0].Data,
		"input name":            []byte(req.Inputs[0].Name),
		"header caller pubkey":  h.CallerPubkey,
		"header body sha256":    h.BodySha256,
		"header signature":      h.Signature,
		"output data":           resp.Outputs[0].Data,
		"receipt request hash":  r.RequestHash,
		"receipt response hash": r.ResponseHash,
		"receipt model sha256":  r.ModelSha256,
		"receipt miner pubkey":  r.MinerPubkey,
		"receipt signature":     r.Signature,
	}
}

// TestReceiptDetectsEveryChange flips every byte (and changes every
// scalar) of a verified request/response pair in turn; VerifyReceipt must
// refuse each one.
func TestReceiptDetectsEveryChange(t *testing.T) {
	f := newFixture(t, nil, nil)
	req := signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(2, 0.25))
	resp, err := f.raw.Infer(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyReceipt(req, resp); err != nil {
		t.Fatalf("genuine receipt: %v", err)
	}
	for name, b := range byteFields(req, resp) {
		for i := range b {
			q, p := proto.Clone(req).(*axonpb.InferRequest), proto.Clone(resp).(*axonpb.InferResponse)
			field := byteFields(q, p)[name]
			field[i] ^= 0x01
			if strField(name) {
				setStrField(q, name, string(field))
			}
			if err := VerifyReceipt(q, p); !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("%s byte %d changed: VerifyReceipt = %v", name, i, err)
			}
		}
	}
	scalars := []struct {
		name   string
		mutate func(q *axonpb.InferRequest, p *axonpb.InferResponse)
	}{
		{"caller hotkey", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) { q.Header.CallerHotkey = "tensor1x" }},
		{"target hotkey", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) { q.Header.TargetHotkey = f.caller.Address() }},
		{"netuid", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) { q.Header.Netuid++ }},
		{"nonce", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) { q.Header.Nonce++ }},
		{"input shape", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) { q.Inputs[0].Shape = []int64{1, 128} }},
		{"input dtype", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) {
			q.Inputs[0].Dtype = axonpb.DataType_DATA_TYPE_INT64
		}},
		{"extra input", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) { q.Inputs = append(q.Inputs, digitsInput(1, 0)) }},
		{"output shape", func(_ *axonpb.InferRequest, p *axonpb.InferResponse) { p.Outputs[0].Shape = []int64{4, 5} }},
		{"output name", func(_ *axonpb.InferRequest, p *axonpb.InferResponse) { p.Outputs[0].Name = "logits" }},
		{"output dropped", func(_ *axonpb.InferRequest, p *axonpb.InferResponse) { p.Outputs = nil }},
		{"block height", func(_ *axonpb.InferRequest, p *axonpb.InferResponse) { p.Receipt.BlockHeight++ }},
		{"miner hotkey", func(_ *axonpb.InferRequest, p *axonpb.InferResponse) { p.Receipt.MinerHotkey = f.caller.Address() }},
		{"receipt missing", func(_ *axonpb.InferRequest, p *axonpb.InferResponse) { p.Receipt = nil }},
		{"header missing", func(q *axonpb.InferRequest, _ *axonpb.InferResponse) { q.Header = nil }},
	}
	for _, tc := range scalars {
		t.Run(tc.name, func(t *testing.T) {
			q, p := proto.Clone(req).(*axonpb.InferRequest), proto.Clone(resp).(*axonpb.InferResponse)
			tc.mutate(q, p)
			if err := VerifyReceipt(q, p); !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("VerifyReceipt = %v", err)
			}
		})
	}
}

func strField(name string) bool { return name == "input name" }

func setStrField(q *axonpb.InferRequest, name, v string) {
	if name == "input name" {
		q.Inputs[0].Name = v
	}
}

// TestVerifyRequest checks the stateless request check others can run.
func TestVerifyRequest(t *testing.T) {
	f := newFixture(t, nil, nil)
	req := signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(1, 1))
	tests := []struct {
		name    string
		method  string
		mutate  func(q *axonpb.InferRequest)
		wantErr bool
	}{
		{"genuine", MethodInfer, func(*axonpb.InferRequest) {}, false},
		{"other method", MethodModelDownload, func(*axonpb.InferRequest) {}, true},
		{"body changed", MethodInfer, func(q *axonpb.InferRequest) { q.Inputs[0].Data[0] ^= 1 }, true},
		{"short pubkey", MethodInfer, func(q *axonpb.InferRequest) { q.Header.CallerPubkey = q.Header.CallerPubkey[1:] }, true},
		{"no header", MethodInfer, func(q *axonpb.InferRequest) { q.Header = nil }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := proto.Clone(req).(*axonpb.InferRequest)
			tc.mutate(q)
			err := VerifyRequest(tc.method, q.GetHeader(), q.GetInputs())
			if tc.wantErr != errors.Is(err, ErrInvalidRequest) || (!tc.wantErr && err != nil) {
				t.Fatalf("VerifyRequest = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// tamperingAxon answers with the real server's response after changing it:
// a dishonest or corrupted miner the client must catch.
type tamperingAxon struct {
	axonpb.UnimplementedAxonServer
	real   *Server
	mutate atomic.Pointer[func(*axonpb.InferResponse)]
}

func (a *tamperingAxon) Infer(ctx context.Context, req *axonpb.InferRequest) (*axonpb.InferResponse, error) {
	resp, err := a.real.Infer(ctx, req)
	if err != nil {
		return nil, err
	}
	// a copy: the response shares bytes with the server (its signer's key)
	resp = proto.Clone(resp).(*axonpb.InferResponse)
	(*a.mutate.Load())(resp)
	return resp, nil
}

// TestClientRefusesTamperedResponse: the client checks receipts with the
// request hash it signed rather than VerifyReceipt, so every change to the
// response side is tried against it too.
func TestClientRefusesTamperedResponse(t *testing.T) {
	f := newFixture(t, nil, nil)
	other := testSigner(t, "other-miner")
	resign := func(r *axonpb.Receipt, s Signer) {
		r.MinerHotkey, r.MinerPubkey = s.Address(), s.PubKey()
		sig, err := s.Sign(ReceiptSignBytes(r))
		if err != nil {
			t.Fatal(err)
		}
		r.Signature = sig
	}
	tests := []struct {
		name   string
		mutate func(*axonpb.InferResponse)
	}{
		{"output value", func(p *axonpb.InferResponse) { p.Outputs[0].Data[0] ^= 0x40 }},
		{"output shape", func(p *axonpb.InferResponse) { p.Outputs[0].Shape = []int64{10, 1} }},
		{"output dropped", func(p *axonpb.InferResponse) { p.Outputs = nil }},
		{"request hash", func(p *axonpb.InferResponse) { p.Receipt.RequestHash[0] ^= 1 }},
		{"response hash", func(p *axonpb.InferResponse) { p.Receipt.ResponseHash[0] ^= 1 }},
		{"model sha256", func(p *axonpb.InferResponse) { p.Receipt.ModelSha256[0] ^= 1 }},
		{"short model sha256", func(p *axonpb.InferResponse) { p.Receipt.ModelSha256 = p.Receipt.ModelSha256[1:] }},
		{"block height", func(p *axonpb.InferResponse) { p.Receipt.BlockHeight++ }},
		{"miner pubkey", func(p *axonpb.InferResponse) { p.Receipt.MinerPubkey[5] ^= 1 }},
		{"signature", func(p *axonpb.InferResponse) { p.Receipt.Signature[0] ^= 1 }},
		{"no receipt", func(p *axonpb.InferResponse) { p.Receipt = nil }},
		{"valid receipt by another miner", func(p *axonpb.InferResponse) { resign(p.Receipt, other) }},
	}
	tampering := &tamperingAxon{real: f.srv}
	gs := grpc.NewServer()
	axonpb.RegisterAxonServer(gs, tampering)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	// one client, so that its nonces keep increasing under the fixed clock
	c := f.newClient(t, f.caller, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	infer := func(mutate func(*axonpb.InferResponse)) error {
		tampering.mutate.Store(&mutate)
		_, err := c.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)})
		return err
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := infer(tc.mutate); !errors.Is(err, ErrInvalidReceipt) {
				t.Fatalf("Infer = %v, want ErrInvalidReceipt", err)
			}
		})
	}
	// the untouched response passes, so the cases above fail for their change
	if err := infer(func(*axonpb.InferResponse) {}); err != nil {
		t.Fatalf("untouched response: %v", err)
	}
}
