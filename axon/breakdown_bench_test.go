package axon

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// BenchmarkRequestPath times, one at a time, each step a signed Infer takes
// in the client and the server besides the gRPC transport, in the order
// they run: with BenchmarkGRPCBaseline it accounts for the round trip of
// BenchmarkAxonRoundTrip. The steps run on the same values the round trip
// uses (digits shapes, batch 1 and 64).
func BenchmarkRequestPath(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchRequestPath(b, batch) })
	}
}

// pathFixture is one signed request and its answer, as the round trip
// builds them.
type pathFixture struct {
	srv     *Server
	caller  *KeySigner
	target  AxonTarget
	inputs  []*axonpb.Tensor
	outputs []*axonpb.Tensor
	req     *axonpb.InferRequest
	signed  []byte
	resp    *axonpb.InferResponse
}

func newPathFixture(b *testing.B, batch int) *pathFixture {
	b.Helper()
	f := &pathFixture{caller: testSigner(b, "caller"), inputs: []*axonpb.Tensor{digitsInput(batch, 1)}}
	meta := NewStaticMetagraph()
	meta.SetNeuron(testNetuid, f.caller.Address(), NeuronInfo{Stake: 1})
	miner := testSigner(b, "miner")
	cfg := DefaultServerConfig()
	cfg.Netuid = testNetuid
	srv, err := NewServer(cfg, newLinearModel(), meta, miner, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	f.srv = srv
	f.target = AxonTarget{Hotkey: miner.Address(), Netuid: testNetuid}
	h, signed, err := signHeader(f.caller, MethodInfer, f.target, BodyHash(f.inputs), uint64(time.Now().UnixNano()))
	if err != nil {
		b.Fatal(err)
	}
	f.req, f.signed = &axonpb.InferRequest{Header: h, Inputs: f.inputs}, signed
	f.outputs = []*axonpb.Tensor{Float32Tensor("probs", []int64{int64(batch), 10}, make([]float32, batch*10))}
	r, err := srv.receipt(requestHash(signed, h.GetSignature()), f.outputs, srv.model.Info())
	if err != nil {
		b.Fatal(err)
	}
	f.resp = &axonpb.InferResponse{Outputs: f.outputs, Receipt: r}
	return f
}

func benchRequestPath(b *testing.B, batch int) {
	f := newPathFixture(b, batch)
	h := f.req.GetHeader()
	info := f.srv.model.Info()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"1-client-body-hash", func() error { BodyHash(f.inputs); return nil }},
		{"2-client-header-sign-bytes", func() error { HeaderSignBytes(MethodInfer, h); return nil }},
		{"3-client-sign", func() error { _, err := f.caller.Sign(f.signed); return err }},
		{"4-client-request-hash", func() error { requestHash(f.signed, h.GetSignature()); return nil }},
		{"5-marshal-request", func() error { _, err := proto.Marshal(f.req); return err }},
		{"6-unmarshal-request", unmarshalStep(f.req, &axonpb.InferRequest{})},
		{"7-server-header-fields", func() error { return checkHeaderFields(h) }},
		{"8-server-nonce-time", func() error { return checkNonceTime(h.GetNonce(), time.Unix(0, int64(h.GetNonce())), time.Second) }},
		{"9-server-caller-hotkey-cached", func() error { return checkCallerKey(h) }},
		{"10-server-caller-hotkey-uncached", func() error { _, err := AddressFromPubKey(h.GetCallerPubkey()); return err }},
		{"11-server-metagraph", func() error { f.srv.meta.Neuron(testNetuid, h.GetCallerHotkey()); return nil }},
		{"12-server-limits-and-specs", func() error {
			if err := f.srv.limits.checkLimits(f.inputs); err != nil {
				return err
			}
			_, err := matchSpecs(info.Inputs, f.inputs)
			return err
		}},
		{"13-server-body-hash", func() error { BodyHash(f.inputs); return nil }},
		{"14-server-header-sign-bytes", func() error { HeaderSignBytes(MethodInfer, h); return nil }},
		{"15-server-verify", verifyStep(h.GetCallerPubkey(), f.signed, h.GetSignature())},
		{"16-server-nonce-accept", nonceStep()},
		{"17-server-scheduler", func() error { return f.srv.sched.do(context.Background(), 1, func(context.Context) {}) }},
		{"18-server-request-hash", func() error { requestHash(f.signed, h.GetSignature()); return nil }},
		{"19-server-response-hash", func() error { ResponseHash(f.outputs); return nil }},
		{"20-server-receipt-sign-bytes", func() error { ReceiptSignBytes(f.resp.GetReceipt()); return nil }},
		{"21-server-sign", func() error { _, err := f.srv.signer.Sign(ReceiptSignBytes(f.resp.GetReceipt())); return err }},
		{"22-server-metrics", func() error { f.srv.metrics.observe(MethodInfer, time.Now(), nil); return nil }},
		{"23-marshal-response", func() error { _, err := proto.Marshal(f.resp); return err }},
		{"24-unmarshal-response", unmarshalStep(f.resp, &axonpb.InferResponse{})},
		{"25-client-response-hash", func() error { ResponseHash(f.outputs); return nil }},
		{"26-client-miner-hotkey-cached", func() error { _, err := hotkeys.address(f.resp.GetReceipt().GetMinerPubkey()); return err }},
		{"27-client-receipt-sign-bytes", func() error { ReceiptSignBytes(f.resp.GetReceipt()); return nil }},
		{"28-client-verify", verifyStep(f.resp.GetReceipt().GetMinerPubkey(), ReceiptSignBytes(f.resp.GetReceipt()), f.resp.GetReceipt().GetSignature())},
		{"all-server-receipt", func() error {
			_, err := f.srv.receipt(requestHash(f.signed, h.GetSignature()), f.outputs, info)
			return err
		}},
		{"all-client-check-receipt", func() error { return checkReceipt(requestHash(f.signed, h.GetSignature()), f.target.Hotkey, f.resp) }},
	}
	for _, st := range steps {
		b.Run(st.name, func(b *testing.B) { loopStep(b, st.fn) })
	}
	b.Run("all-server-admit", func(b *testing.B) { loopStep(b, admitStep(b, f)) })
}

func loopStep(b *testing.B, fn func() error) {
	b.ReportAllocs()
	for b.Loop() {
		if err := fn(); err != nil {
			b.Fatal(err)
		}
	}
}

func unmarshalStep(m proto.Message, into proto.Message) func() error {
	buf, err := proto.Marshal(m)
	return func() error {
		if err != nil {
			return err
		}
		return proto.Unmarshal(buf, into)
	}
}

func verifyStep(pubkey, msg, sig []byte) func() error {
	return func() error {
		if !verifySignature(pubkey, msg, sig) {
			return fmt.Errorf("signature does not verify")
		}
		return nil
	}
}

// nonceStep accepts a fresh nonce from one caller each time, the steady
// state of a busy caller.
func nonceStep() func() error {
	t := newNonceTracker(64, 65536, 30*time.Second)
	now := time.Now()
	n := uint64(now.UnixNano())
	return func() error {
		n++
		return t.accept("caller", n, now)
	}
}

// admitStep is the whole admission of the fixture's request, every check
// included, each time with a fresh nonce from a pool of headers signed
// before the timed loop, against a server clock held at the pool's start.
func admitStep(b *testing.B, f *pathFixture) func() error {
	const pool = 4096
	headers := make([]*axonpb.RequestHeader, pool)
	start := time.Now()
	for i := range headers {
		h, err := NewRequestHeader(f.caller, MethodInfer, f.target, BodyHash(f.inputs), uint64(start.UnixNano())+uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		headers[i] = h
	}
	f.srv.now = func() time.Time { return start }
	info := f.srv.model.Info()
	i := 0
	return func() error {
		if i == pool {
			// start over with a new caller table: the nonces are used up
			f.srv.nonces = newNonceTracker(f.srv.cfg.NonceReorderWindow, f.srv.cfg.MaxCallers, f.srv.cfg.MaxClockSkew)
			i = 0
		}
		h := headers[i]
		i++
		check := func() error {
			if err := f.srv.limits.checkLimits(f.inputs); err != nil {
				return err
			}
			_, err := matchSpecs(info.Inputs, f.inputs)
			return err
		}
		_, err := f.srv.admit(MethodInfer, h, f.inputs, false, check)
		return err
	}
}
