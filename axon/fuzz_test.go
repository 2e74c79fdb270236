package axon

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// fuzzServer is one in-process server (no listener) shared by a fuzz run;
// its clock is fixed at testNow so seeds signed for testNow stay fresh.
var fuzzServer = sync.OnceValues(func() (*Server, error) {
	meta := NewStaticMetagraph()
	caller, err := NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("caller")))
	if err != nil {
		return nil, err
	}
	meta.SetNeuron(testNetuid, caller.Address(), NeuronInfo{Stake: 1, ValidatorPermit: true})
	miner, err := NewKeySigner(secp256k1.GenPrivKeyFromSecret([]byte("miner")))
	if err != nil {
		return nil, err
	}
	cfg := DefaultServerConfig()
	cfg.Netuid, cfg.Workers = testNetuid, 1
	cfg.MaxElements = 1 << 16
	srv, err := NewServer(cfg, newLinearModel(), meta, miner, nil, nil)
	if err != nil {
		return nil, err
	}
	srv.now = func() time.Time { return testNow }
	return srv, nil
})

// fuzzSeedRequest is a valid signed request to fuzzServer.
func fuzzSeedRequest(tb testing.TB, nonce uint64, batch int) (header, body []byte) {
	caller := testSigner(tb, "caller")
	srv, err := fuzzServer()
	if err != nil {
		tb.Fatal(err)
	}
	target := AxonTarget{Hotkey: srv.signer.Address(), Netuid: testNetuid}
	req := signedInfer(tb, caller, target, nonce, digitsInput(batch, 1))
	header, err = proto.Marshal(req.Header)
	if err != nil {
		tb.Fatal(err)
	}
	body, err = proto.Marshal(&axonpb.InferRequest{Inputs: req.Inputs})
	if err != nil {
		tb.Fatal(err)
	}
	return header, body
}

// FuzzVerifyRequest decodes arbitrary header and body bytes into an
// InferRequest and sends it through the server's whole request path. It
// must never panic, and whatever the server accepts must carry a receipt
// that verifies and a header that VerifyRequest accepts.
func FuzzVerifyRequest(f *testing.F) {
	for i, batch := range []int{1, 3} {
		h, b := fuzzSeedRequest(f, nonceAt(time.Duration(i)), batch)
		f.Add(h, b)
	}
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, header, body []byte) {
		srv, err := fuzzServer()
		if err != nil {
			t.Fatal(err)
		}
		var h axonpb.RequestHeader
		var req axonpb.InferRequest
		if proto.Unmarshal(header, &h) != nil || proto.Unmarshal(body, &req) != nil {
			return
		}
		req.Header = &h
		verifyErr := VerifyRequest(MethodInfer, req.Header, req.Inputs)
		resp, err := srv.Infer(context.Background(), &req)
		if err != nil {
			return
		}
		if verifyErr != nil {
			t.Fatalf("server accepted a request VerifyRequest refuses: %v", verifyErr)
		}
		if err := VerifyReceipt(&req, resp); err != nil {
			t.Fatalf("server's receipt does not verify: %v", err)
		}
	})
}

// FuzzDecodeTensor decodes arbitrary bytes as a Tensor and runs every
// decoder and hash on it: no panic, no allocation beyond the data actually
// present, and what decodes re-encodes to the same bytes.
func FuzzDecodeTensor(f *testing.F) {
	for _, t := range []*axonpb.Tensor{
		Float32Tensor("input", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		Int64Tensor("ids", []int64{3}, []int64{-1, 0, 1}),
		{Name: "bad", Dtype: axonpb.DataType_DATA_TYPE_FLOAT32, Shape: []int64{-1, 1 << 40}},
	} {
		b, err := proto.Marshal(t)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var x axonpb.Tensor
		if proto.Unmarshal(data, &x) != nil {
			return
		}
		_ = BodyHash([]*axonpb.Tensor{&x})
		n, checkErr := x.CheckData()
		if checkErr == nil && n*int64(axonpb.ElementSize(x.Dtype)) != int64(len(x.Data)) {
			t.Fatalf("CheckData passed %d elements for %d bytes", n, len(x.Data))
		}
		if v, err := x.Float32s(); err == nil {
			if again := Float32Tensor(x.Name, x.Shape, v); !bytes.Equal(again.Data, x.Data) {
				t.Fatal("float32 data does not round-trip")
			}
		} else if !errors.Is(err, axonpb.ErrMalformedTensor) {
			t.Fatalf("Float32s error does not wrap ErrMalformedTensor: %v", err)
		}
		if v, err := x.Int64s(); err == nil {
			if again := Int64Tensor(x.Name, x.Shape, v); !bytes.Equal(again.Data, x.Data) {
				t.Fatal("int64 data does not round-trip")
			}
		} else if !errors.Is(err, axonpb.ErrMalformedTensor) {
			t.Fatalf("Int64s error does not wrap ErrMalformedTensor: %v", err)
		}
	})
}
