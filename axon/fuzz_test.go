package axon

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"google.golang.org/protobuf/proto"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// fuzzServer is one in-process server (no listener) shared by a fuzz run;
// its clock is fixed at testNow so seeds made for testNow stay fresh, and
// it holds one session with fixed keys (fuzzSession) for the MAC target.
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
	cfg.Netuid, cfg.ChainID, cfg.TLS, cfg.Workers = testNetuid, testChainID, TLSOff, 1
	cfg.MaxElements = 1 << 16
	cfg.HandshakesPerCallerPerSecond, cfg.HandshakeBurst = 1e9, 1<<30
	cfg.MaxSessionsPerCaller, cfg.MaxSessions, cfg.MaxHandshakeNonces = 1<<16, 1<<16, 1<<16
	srv, err := NewServer(cfg, newLinearModel(), meta, miner, nil, nil)
	if err != nil {
		return nil, err
	}
	srv.now = func() time.Time { return testNow }
	s := fuzzSession(caller.Address())
	if err := srv.sessions.add(s, testNow); err != nil {
		return nil, err
	}
	return srv, nil
})

// fuzzSession is the MAC target's session: fixed id and keys, valid for a
// day after testNow.
func fuzzSession(caller string) *session {
	s := &session{caller: caller, expiry: testNow.Add(24 * time.Hour)}
	for i := range s.id {
		s.id[i] = byte(i + 1)
	}
	copy(s.keys.callerToMiner[:], bytes.Repeat([]byte{0xc2}, 32))
	copy(s.keys.minerToCaller[:], bytes.Repeat([]byte{0x2c}, 32))
	return s
}

// fuzzSeedHandshake is a handshake to fuzzServer signed for testNow.
func fuzzSeedHandshake(tb testing.TB, mutate func(*axonpb.HandshakeRequest)) []byte {
	srv, err := fuzzServer()
	if err != nil {
		tb.Fatal(err)
	}
	caller := testSigner(tb, "caller")
	target := AxonTarget{Hotkey: srv.signer.Address(), Netuid: testNetuid}
	req, _, _, err := NewHandshake(caller, target, testChainID, testNow, testNow.Add(time.Minute), nil)
	if err != nil {
		tb.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	b, err := proto.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzHandshake feeds arbitrary bytes to the server's handshake as a
// HandshakeRequest: no panic, and whatever it accepts carries a valid
// signature of the registered caller over what it was addressed to, and
// yields a session whose response signature verifies.
func FuzzHandshake(f *testing.F) {
	f.Add(fuzzSeedHandshake(f, nil))
	f.Add(fuzzSeedHandshake(f, func(r *axonpb.HandshakeRequest) { r.Signature[0] ^= 1 }))
	f.Add(fuzzSeedHandshake(f, func(r *axonpb.HandshakeRequest) { r.ChainId = "other" }))
	f.Add(fuzzSeedHandshake(f, func(r *axonpb.HandshakeRequest) { r.EphemeralPubkey = make([]byte, 32) }))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		srv, err := fuzzServer()
		if err != nil {
			t.Fatal(err)
		}
		var req axonpb.HandshakeRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		resp, err := srv.handshake1(context.Background(), &req)
		if err != nil {
			return
		}
		signed := HandshakeSignBytes(&req, nil)
		if req.TargetHotkey != srv.signer.Address() || req.Netuid != testNetuid || req.ChainId != testChainID ||
			!verifySignature(req.CallerPubkey, signed, req.Signature) {
			t.Fatalf("accepted a handshake not signed for this axon: %v", &req)
		}
		if _, ok := srv.meta.Neuron(testNetuid, req.CallerHotkey); !ok {
			t.Fatalf("accepted an unregistered caller %s", req.CallerHotkey)
		}
		if !verifySignature(resp.MinerPubkey, HandshakeResponseSignBytes(signed, req.Signature, resp), resp.Signature) ||
			resp.ExpiryMs > req.ExpiryMs || len(resp.SessionId) != SessionIDSize {
			t.Fatalf("accepted with a bad response %v", resp)
		}
	})
}

// fuzzSeedRequest is an Infer request in fuzzSession with sequence seq.
func fuzzSeedRequest(tb testing.TB, seq uint64, batch int, mutate func(*axonpb.RequestHeader)) (header, body []byte) {
	s := &clientSession{keys: fuzzSession("").keys}
	sid := fuzzSession("").id
	s.id = sid[:]
	req := macInfer(s, seq, digitsInput(batch, 1))
	if mutate != nil {
		mutate(req.Header)
	}
	header, err := proto.Marshal(req.Header)
	if err != nil {
		tb.Fatal(err)
	}
	body, err = proto.Marshal(&axonpb.InferRequest{Inputs: req.Inputs})
	if err != nil {
		tb.Fatal(err)
	}
	return header, body
}

// FuzzRequestMAC feeds arbitrary headers and bodies to the request checks
// of fuzzSession: no panic, and whatever passes has the MAC of its own
// bytes under the session's key, a body that hashes to its body_sha256,
// and a sequence number never accepted before.
func FuzzRequestMAC(f *testing.F) {
	for _, seed := range []struct {
		seq    uint64
		batch  int
		mutate func(*axonpb.RequestHeader)
	}{
		{1, 1, nil},
		{2, 2, func(h *axonpb.RequestHeader) { h.Mac[0] ^= 1 }},
		{3, 1, func(h *axonpb.RequestHeader) { h.SessionId = h.SessionId[:15] }},
		{1 << 40, 1, nil},
	} {
		h, b := fuzzSeedRequest(f, seed.seq, seed.batch, seed.mutate)
		f.Add(h, b)
	}
	accepted := make(map[uint64]bool)
	f.Fuzz(func(t *testing.T, headerBytes, bodyBytes []byte) {
		srv, err := fuzzServer()
		if err != nil {
			t.Fatal(err)
		}
		var h axonpb.RequestHeader
		var body axonpb.InferRequest
		if proto.Unmarshal(headerBytes, &h) != nil || proto.Unmarshal(bodyBytes, &body) != nil {
			return
		}
		info := srv.model.Info()
		check := func() error {
			if err := srv.limits.checkLimits(body.Inputs); err != nil {
				return err
			}
			_, err := matchSpecs(info.Inputs, body.Inputs)
			return err
		}
		adm, err := srv.authenticate(context.Background(), MethodInfer, &h, body.Inputs, false, check)
		if err != nil {
			if errors.Is(err, errPermission) {
				t.Fatalf("the registered caller's session refused as %v", err)
			}
			return
		}
		keys := fuzzSession("").keys
		m := hmac.New(sha256.New, keys.callerToMiner[:])
		m.Write(RequestMACBytes(MethodInfer, &h))
		if !hmac.Equal(m.Sum(nil), h.Mac) || !bytes.Equal(BodyHash(body.Inputs), h.BodySha256) || adm.session == nil {
			t.Fatalf("accepted a request whose MAC or body hash is wrong: %v", &h)
		}
		if accepted[h.Sequence] {
			t.Fatalf("sequence %d accepted twice", h.Sequence)
		}
		accepted[h.Sequence] = true
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
