package axon

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
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
		r := resp.Receipt
		sum := newLinearModel().sum
		req, again, err := f.client.InferSigned(context.Background(), f.target, []*axonpb.Tensor{in})
		if err != nil || VerifyReceipt(req, again) != nil || req.Header.CallerHotkey != f.caller.Address() {
			t.Fatalf("InferSigned: %v", err)
		}
		if r.BlockHeight != 1234 || r.MinerHotkey != f.miner.Address() || !slices.Equal(r.ModelSha256, sum[:]) {
			t.Fatalf("receipt height %d, miner %s, model %x", r.BlockHeight, r.MinerHotkey, r.ModelSha256)
		}
	}
}

// rejectCase is one way a request can be refused, with its status code.
type rejectCase struct {
	name  string
	cfg   func(*ServerConfig)
	model Model
	setup func(f *fixture)
	req   func(t *testing.T, f *fixture) *axonpb.InferRequest
	want  codes.Code
}

func rejectCases() []rejectCase {
	valid := func(t *testing.T, f *fixture) *axonpb.InferRequest {
		return signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(1, 1))
	}
	resign := func(t *testing.T, f *fixture, mutate func(h *axonpb.RequestHeader)) *axonpb.InferRequest {
		req := valid(t, f)
		mutate(req.Header)
		sig, err := f.caller.Sign(HeaderSignBytes(MethodInfer, req.Header))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Signature = sig
		return req
	}
	return []rejectCase{
		{name: "missing header", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return &axonpb.InferRequest{Inputs: []*axonpb.Tensor{digitsInput(1, 1)}}
		}},
		{name: "missing signature", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			req := valid(t, f)
			req.Header.Signature = nil
			return req
		}},
		{name: "bad signature", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			req := valid(t, f)
			req.Header.Signature[10] ^= 1
			return req
		}},
		{name: "pubkey does not derive the hotkey", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return resign(t, f, func(h *axonpb.RequestHeader) { h.CallerPubkey = testSigner(t, "other").PubKey() })
		}},
		{name: "signed by another key under the caller's hotkey", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			req := signedInfer(t, testSigner(t, "other"), f.target, nonceAt(0), digitsInput(1, 1))
			req.Header.CallerHotkey, req.Header.CallerPubkey = f.caller.Address(), f.caller.PubKey()
			return req
		}},
		{name: "wrong target hotkey", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return resign(t, f, func(h *axonpb.RequestHeader) { h.TargetHotkey = f.caller.Address() })
		}},
		{name: "wrong netuid", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return resign(t, f, func(h *axonpb.RequestHeader) { h.Netuid = testNetuid + 1 })
		}},
		{name: "stale nonce", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return signedInfer(t, f.caller, f.target, nonceAt(-31*time.Second), digitsInput(1, 1))
		}},
		{name: "future nonce", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return signedInfer(t, f.caller, f.target, nonceAt(31*time.Second), digitsInput(1, 1))
		}},
		{name: "inputs changed after signing", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			req := valid(t, f)
			req.Inputs[0] = digitsInput(1, 2)
			return req
		}},
		{name: "Info signature replayed as Infer", want: codes.Unauthenticated, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			in := digitsInput(1, 1)
			h, err := NewRequestHeader(f.caller, MethodInfo, f.target, BodyHash([]*axonpb.Tensor{in}), nonceAt(0))
			if err != nil {
				t.Fatal(err)
			}
			return &axonpb.InferRequest{Header: h, Inputs: []*axonpb.Tensor{in}}
		}},
		{name: "caller not registered", want: codes.PermissionDenied, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return signedInfer(t, testSigner(t, "stranger"), f.target, nonceAt(0), digitsInput(1, 1))
		}},
		{name: "caller registered in another subnet", want: codes.PermissionDenied,
			setup: func(f *fixture) {
				f.meta.RemoveNeuron(testNetuid, f.caller.Address())
				f.meta.SetNeuron(testNetuid+1, f.caller.Address(), NeuronInfo{Stake: 1})
			}, req: valid},
		{name: "no validator permit where one is required", want: codes.PermissionDenied,
			cfg:   func(c *ServerConfig) { c.RequireValidatorPermit = true },
			setup: func(f *fixture) { f.meta.SetNeuron(testNetuid, f.caller.Address(), NeuronInfo{Stake: 5}) },
			req:   valid},
		{name: "wrong tensor name", want: codes.InvalidArgument, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return signedInfer(t, f.caller, f.target, nonceAt(0), Float32Tensor("x", []int64{1, 64}, make([]float32, 64)))
		}},
		{name: "wrong dtype", want: codes.InvalidArgument, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return signedInfer(t, f.caller, f.target, nonceAt(0), Int64Tensor("input", []int64{1, 64}, make([]int64, 64)))
		}},
		{name: "wrong shape", want: codes.InvalidArgument, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return signedInfer(t, f.caller, f.target, nonceAt(0), Float32Tensor("input", []int64{1, 63}, make([]float32, 63)))
		}},
		{name: "data length does not match the shape", want: codes.InvalidArgument, req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
			return signedInfer(t, f.caller, f.target, nonceAt(0), Float32Tensor("input", []int64{2, 64}, make([]float32, 64)))
		}},
		{name: "model rejects the input", want: codes.InvalidArgument, model: nanCheckModel{newLinearModel()},
			req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
				return signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(1, float32(math.NaN())))
			}},
		{name: "too many elements", want: codes.ResourceExhausted, cfg: func(c *ServerConfig) { c.MaxElements = 100 },
			req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
				return signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(2, 1))
			}},
		{name: "too many tensors", want: codes.ResourceExhausted, cfg: func(c *ServerConfig) { c.MaxTensors = 1 },
			req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
				return signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(1, 1), digitsInput(1, 2))
			}},
		{name: "message above the size limit", want: codes.ResourceExhausted, cfg: func(c *ServerConfig) { c.MaxRecvMsgBytes = 4096 },
			req: func(t *testing.T, f *fixture) *axonpb.InferRequest {
				return signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(64, 1))
			}},
	}
}

func TestInferRejections(t *testing.T) {
	for _, tc := range rejectCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.model, tc.cfg)
			if tc.setup != nil {
				tc.setup(f)
			}
			_, err := f.raw.Infer(context.Background(), tc.req(t, f))
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func TestReplayRefused(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	req := signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(1, 1))
	if _, err := f.raw.Infer(ctx, req); err != nil {
		t.Fatalf("first request: %v", err)
	}
	if _, err := f.raw.Infer(ctx, req); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("replay: %v, want Unauthenticated", err)
	}
}

// TestRefusedRequestDoesNotBurnNonce sends a forged request carrying the
// caller's next nonce, then the caller's real one: the forgery must not
// have used the nonce up.
func TestRefusedRequestDoesNotBurnNonce(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	real := signedInfer(t, f.caller, f.target, nonceAt(0), digitsInput(1, 1))
	forged := proto.Clone(real).(*axonpb.InferRequest)
	forged.Header.Signature[0] ^= 0x80
	if _, err := f.raw.Infer(ctx, forged); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("forged request: %v, want Unauthenticated", err)
	}
	if _, err := f.raw.Infer(ctx, real); err != nil {
		t.Fatalf("real request after the forgery: %v", err)
	}
}

func TestConcurrentRequestsFromOneCaller(t *testing.T) {
	f := newFixture(t, nil, nil)
	errs := make(chan error, 32)
	for range 32 {
		go func() {
			_, err := f.client.Infer(context.Background(), f.target, []*axonpb.Tensor{digitsInput(1, 1)})
			errs <- err
		}()
	}
	for range 32 {
		if err := recv(t, errs); err != nil {
			t.Fatal(err)
		}
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
		t.Fatalf("unsigned Info: %v, want Unauthenticated", err)
	}
	if _, err := f.client.Info(context.Background(), AxonTarget{Hotkey: f.caller.Address(), Netuid: testNetuid, Address: f.target.Address}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("Info for another hotkey: %v, want Unauthenticated", err)
	}
}
