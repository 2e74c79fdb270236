package axon

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// The RPC methods a header signature can be bound to. The full gRPC method
// name is part of the signed bytes, so a signature made for one method is
// useless for another.
const (
	MethodInfer         = axonpb.Axon_Infer_FullMethodName
	MethodInfo          = axonpb.Axon_Info_FullMethodName
	MethodModelDownload = axonpb.Axon_ModelDownload_FullMethodName
)

// Domain tags open every hashed or signed byte string, so bytes made for one
// purpose can never be taken for another (a request body for a response
// body, a header for a receipt).
const (
	domainRequestBody   = "tensorcosm/axon/v1/request-body"
	domainResponseBody  = "tensorcosm/axon/v1/response-body"
	domainRequestHeader = "tensorcosm/axon/v1/request-header"
	domainRequestHash   = "tensorcosm/axon/v1/request-hash"
	domainReceipt       = "tensorcosm/axon/v1/receipt"
)

// encoder writes the canonical encoding described in axon/README.md: every
// variable-length field as a big-endian uint64 length then its bytes, every
// integer fixed-width big-endian. Writes to a hash or a bytes.Buffer cannot
// fail, so errors are not tracked.
type encoder struct {
	w       io.Writer
	scratch [8]byte
}

func (e *encoder) bytes(b []byte) {
	e.u64(uint64(len(b)))
	_, _ = e.w.Write(b)
}

func (e *encoder) string(s string) {
	e.u64(uint64(len(s)))
	_, _ = io.WriteString(e.w, s)
}

func (e *encoder) u32(v uint32) {
	binary.BigEndian.PutUint32(e.scratch[:4], v)
	_, _ = e.w.Write(e.scratch[:4])
}

func (e *encoder) u64(v uint64) {
	binary.BigEndian.PutUint64(e.scratch[:], v)
	_, _ = e.w.Write(e.scratch[:])
}

// tensors encodes a tensor list: count, then per tensor name, dtype, rank,
// dimensions and data.
func (e *encoder) tensors(ts []*axonpb.Tensor) {
	e.u64(uint64(len(ts)))
	for _, t := range ts {
		e.string(t.GetName())
		e.u32(uint32(t.GetDtype()))
		e.u64(uint64(len(t.GetShape())))
		for _, d := range t.GetShape() {
			e.u64(uint64(d))
		}
		e.bytes(t.GetData())
	}
}

// BodyHash returns the SHA-256 a request header commits to: the domain tag
// "tensorcosm/axon/v1/request-body" and the tensors in their canonical
// encoding. Info and ModelDownload requests carry no tensors, so their body
// hash is BodyHash(nil).
func BodyHash(inputs []*axonpb.Tensor) []byte {
	return tensorsHash(domainRequestBody, inputs)
}

// ResponseHash returns the SHA-256 of the outputs a receipt commits to,
// under the domain tag "tensorcosm/axon/v1/response-body".
func ResponseHash(outputs []*axonpb.Tensor) []byte {
	return tensorsHash(domainResponseBody, outputs)
}

func tensorsHash(domain string, ts []*axonpb.Tensor) []byte {
	h := sha256.New()
	e := encoder{w: h}
	e.string(domain)
	e.tensors(ts)
	return h.Sum(nil)
}

// HeaderSignBytes returns the bytes a caller signs for a request to method:
// the domain tag, the method, and every header field but the signature.
func HeaderSignBytes(method string, h *axonpb.RequestHeader) []byte {
	var buf bytes.Buffer
	buf.Grow(7*8 + 4 + len(domainRequestHeader) + len(method) + len(h.GetCallerHotkey()) +
		len(h.GetCallerPubkey()) + len(h.GetTargetHotkey()) + len(h.GetBodySha256()))
	e := encoder{w: &buf}
	e.string(domainRequestHeader)
	e.string(method)
	e.string(h.GetCallerHotkey())
	e.bytes(h.GetCallerPubkey())
	e.string(h.GetTargetHotkey())
	e.u32(h.GetNetuid())
	e.u64(h.GetNonce())
	e.bytes(h.GetBodySha256())
	return buf.Bytes()
}

// RequestHash identifies one signed request in a receipt: SHA-256 over the
// domain tag, the header's sign bytes and its signature. The sign bytes
// cover the body hash, so the request hash binds the inputs too.
func RequestHash(method string, h *axonpb.RequestHeader) []byte {
	return requestHash(HeaderSignBytes(method, h), h.GetSignature())
}

// requestHash is RequestHash from sign bytes already built (to check or make
// the signature), so the request path encodes each header once.
func requestHash(signBytes, signature []byte) []byte {
	hs := sha256.New()
	e := encoder{w: hs}
	e.string(domainRequestHash)
	e.bytes(signBytes)
	e.bytes(signature)
	return hs.Sum(nil)
}

// ReceiptSignBytes returns the bytes a miner signs for a receipt: the domain
// tag, request hash, response hash, model SHA-256, block height, miner
// hotkey and miner public key.
func ReceiptSignBytes(r *axonpb.Receipt) []byte {
	var buf bytes.Buffer
	buf.Grow(7*8 + len(domainReceipt) + len(r.GetRequestHash()) + len(r.GetResponseHash()) +
		len(r.GetModelSha256()) + len(r.GetMinerHotkey()) + len(r.GetMinerPubkey()))
	e := encoder{w: &buf}
	e.string(domainReceipt)
	e.bytes(r.GetRequestHash())
	e.bytes(r.GetResponseHash())
	e.bytes(r.GetModelSha256())
	e.u64(uint64(r.GetBlockHeight()))
	e.string(r.GetMinerHotkey())
	e.bytes(r.GetMinerPubkey())
	return buf.Bytes()
}
