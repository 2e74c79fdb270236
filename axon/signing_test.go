package axon

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// The helpers below spell out the README's layouts independently of the
// encoder, so a change to either shows up as a failing test.
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func lp(b []byte) []byte   { return append(be64(uint64(len(b))), b...) }
func lps(s string) []byte  { return lp([]byte(s)) }
func cat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

func layoutTensors() []*axonpb.Tensor {
	return []*axonpb.Tensor{
		Float32Tensor("x", []int64{1, 2}, []float32{1, -2}),
		Int64Tensor("ids", []int64{3}, []int64{7, 8, -9}),
	}
}

func wantTensorsEncoding(domain string, ts []*axonpb.Tensor) []byte {
	out := cat(lps(domain), be64(uint64(len(ts))))
	for _, t := range ts {
		out = cat(out, lps(t.Name), be32(uint32(t.Dtype)), be64(uint64(len(t.Shape))))
		for _, d := range t.Shape {
			out = cat(out, be64(uint64(d)))
		}
		out = cat(out, lp(t.Data))
	}
	return out
}

func TestLayouts(t *testing.T) {
	signer := testSigner(t, "layout")
	h := &axonpb.RequestHeader{
		CallerHotkey: signer.Address(),
		CallerPubkey: signer.PubKey(),
		TargetHotkey: "tensor1target",
		Netuid:       0x01020304,
		Nonce:        0x0102030405060708,
		BodySha256:   bytes.Repeat([]byte{0xab}, 32),
		Signature:    bytes.Repeat([]byte{0xcd}, 64),
	}
	r := &axonpb.Receipt{
		RequestHash:  bytes.Repeat([]byte{1}, 32),
		ResponseHash: bytes.Repeat([]byte{2}, 32),
		ModelSha256:  bytes.Repeat([]byte{3}, 32),
		BlockHeight:  -2,
		MinerHotkey:  "tensor1miner",
		MinerPubkey:  signer.PubKey(),
		Signature:    bytes.Repeat([]byte{4}, 64),
	}
	headerBytes := cat(lps("tensorcosm/axon/v1/request-header"), lps(MethodInfer), lps(h.CallerHotkey),
		lp(h.CallerPubkey), lps(h.TargetHotkey), be32(h.Netuid), be64(h.Nonce), lp(h.BodySha256))
	sum := func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"request body", BodyHash(layoutTensors()), sum(wantTensorsEncoding("tensorcosm/axon/v1/request-body", layoutTensors()))},
		{"empty request body", BodyHash(nil), sum(cat(lps("tensorcosm/axon/v1/request-body"), be64(0)))},
		{"response body", ResponseHash(layoutTensors()), sum(wantTensorsEncoding("tensorcosm/axon/v1/response-body", layoutTensors()))},
		{"header sign bytes", HeaderSignBytes(MethodInfer, h), headerBytes},
		{"request hash", RequestHash(MethodInfer, h), sum(cat(lps("tensorcosm/axon/v1/request-hash"), lp(headerBytes), lp(h.Signature)))},
		{"receipt sign bytes", ReceiptSignBytes(r), cat(lps("tensorcosm/axon/v1/receipt"), lp(r.RequestHash), lp(r.ResponseHash),
			lp(r.ModelSha256), be64(uint64(r.BlockHeight)), lps(r.MinerHotkey), lp(r.MinerPubkey))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Equal(tc.got, tc.want) {
				t.Fatalf("layout differs from the README:\n got %x\nwant %x", tc.got, tc.want)
			}
		})
	}
}

// TestBodyHashGolden pins the empty-body hash other implementations can
// check against (README "Body hash").
func TestBodyHashGolden(t *testing.T) {
	const want = "ed9ab6fa4c5313da49d76782055a06878375bd1ad2aa7e42017d7e6075912cc0"
	got := hex.EncodeToString(BodyHash(nil))
	if got != want {
		t.Fatalf("BodyHash(nil) = %s, want %s", got, want)
	}
}

// TestHashesSeparate checks that tensor lists that differ in any way, or
// that sit on different sides (request, response), hash differently.
func TestHashesSeparate(t *testing.T) {
	f := func(name string, shape []int64, v ...float32) *axonpb.Tensor { return Float32Tensor(name, shape, v) }
	tests := []struct {
		name string
		a, b []*axonpb.Tensor
	}{
		{"name boundary", []*axonpb.Tensor{f("ab", []int64{1}, 1), f("c", []int64{1}, 2)}, []*axonpb.Tensor{f("a", []int64{1}, 1), f("bc", []int64{1}, 2)}},
		{"shape transposed", []*axonpb.Tensor{f("x", []int64{2, 3}, 1, 2, 3, 4, 5, 6)}, []*axonpb.Tensor{f("x", []int64{3, 2}, 1, 2, 3, 4, 5, 6)}},
		{"rank", []*axonpb.Tensor{f("x", []int64{2}, 1, 2)}, []*axonpb.Tensor{f("x", []int64{1, 2}, 1, 2)}},
		{"dtype", []*axonpb.Tensor{f("x", []int64{1}, 0, 0)}, []*axonpb.Tensor{Int64Tensor("x", []int64{1}, []int64{0})}},
		{"data", []*axonpb.Tensor{f("x", []int64{2}, 1, 2)}, []*axonpb.Tensor{f("x", []int64{2}, 1, 3)}},
		{"order", []*axonpb.Tensor{f("a", []int64{1}, 1), f("b", []int64{1}, 1)}, []*axonpb.Tensor{f("b", []int64{1}, 1), f("a", []int64{1}, 1)}},
		{"data moved into the next tensor", []*axonpb.Tensor{f("a", []int64{2}, 1, 2), f("b", nil)}, []*axonpb.Tensor{f("a", nil), f("b", []int64{2}, 1, 2)}},
		{"count", []*axonpb.Tensor{f("a", []int64{1}, 1)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(BodyHash(tc.a), BodyHash(tc.b)) {
				t.Fatal("different bodies share a hash")
			}
		})
	}
	t.Run("request and response", func(t *testing.T) {
		if bytes.Equal(BodyHash(layoutTensors()), ResponseHash(layoutTensors())) {
			t.Fatal("request and response body hashes are not separated")
		}
	})
}

// TestHeaderSignatureCoversEveryField changes one field at a time and
// checks that the original signature no longer verifies.
func TestHeaderSignatureCoversEveryField(t *testing.T) {
	signer := testSigner(t, "caller")
	other := testSigner(t, "other")
	base := func() *axonpb.RequestHeader {
		h, err := NewRequestHeader(signer, MethodInfer, AxonTarget{Hotkey: "tensor1target", Netuid: 3}, BodyHash(nil), 42)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	tests := []struct {
		name   string
		method string
		mutate func(h *axonpb.RequestHeader)
	}{
		{"method", MethodInfo, func(*axonpb.RequestHeader) {}},
		{"caller hotkey", MethodInfer, func(h *axonpb.RequestHeader) { h.CallerHotkey = other.Address() }},
		{"caller pubkey", MethodInfer, func(h *axonpb.RequestHeader) { h.CallerPubkey = other.PubKey() }},
		{"target hotkey", MethodInfer, func(h *axonpb.RequestHeader) { h.TargetHotkey = "tensor1other" }},
		{"netuid", MethodInfer, func(h *axonpb.RequestHeader) { h.Netuid = 4 }},
		{"nonce", MethodInfer, func(h *axonpb.RequestHeader) { h.Nonce = 43 }},
		{"body hash", MethodInfer, func(h *axonpb.RequestHeader) { h.BodySha256 = BodyHash(layoutTensors()) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := base()
			if !verifySignature(signer.PubKey(), HeaderSignBytes(MethodInfer, h), h.Signature) {
				t.Fatal("unchanged header does not verify")
			}
			tc.mutate(h)
			if verifySignature(signer.PubKey(), HeaderSignBytes(tc.method, h), h.Signature) {
				t.Fatal("signature still verifies after the change")
			}
		})
	}
}
