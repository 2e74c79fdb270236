package axon

import (
	"crypto/sha256"
	"encoding/binary"
	"io"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// The RPC methods a request MAC can be bound to. The full gRPC method name
// is part of the MACed bytes, so a MAC made for one method is useless for
// another.
const (
	MethodHandshake     = axonpb.Axon_Handshake_FullMethodName
	MethodInfer         = axonpb.Axon_Infer_FullMethodName
	MethodInfo          = axonpb.Axon_Info_FullMethodName
	MethodModelDownload = axonpb.Axon_ModelDownload_FullMethodName
	MethodReceipts      = axonpb.Axon_Receipts_FullMethodName
)

// Domain tags open every hashed, MACed or signed byte string, so bytes made
// for one purpose can never be taken for another.
const (
	domainRequestBody       = "tensorcosm/axon/v2/request-body"
	domainResponseBody      = "tensorcosm/axon/v2/response-body"
	domainHandshake         = "tensorcosm/axon/v2/handshake"
	domainHandshakeResponse = "tensorcosm/axon/v2/handshake-response"
	domainSessionKeys       = "tensorcosm/axon/v2/session-keys"
	domainRequest           = "tensorcosm/axon/v2/request"
	domainRequestHash       = "tensorcosm/axon/v2/request-hash"
	domainResponse          = "tensorcosm/axon/v2/response"
)

// encoder writes the canonical encoding described in axon/README.md: every
// variable-length field as a big-endian uint64 length then its bytes, every
// integer fixed-width big-endian. Writes to a hash or a byte slice cannot
// fail, so errors are not tracked.
type encoder struct {
	w io.Writer
	// scratch holds integers and short strings on their way to w: a hash
	// takes no strings, and converting one allocates.
	scratch [64]byte
}

func (e *encoder) bytes(b []byte) {
	e.u64(uint64(len(b)))
	_, _ = e.w.Write(b)
}

func (e *encoder) string(s string) {
	e.u64(uint64(len(s)))
	if sw, ok := e.w.(io.StringWriter); ok {
		_, _ = sw.WriteString(s)
		return
	}
	for len(s) > 0 {
		n := copy(e.scratch[:], s)
		_, _ = e.w.Write(e.scratch[:n])
		s = s[n:]
	}
}

func (e *encoder) u32(v uint32) {
	binary.BigEndian.PutUint32(e.scratch[:4], v)
	_, _ = e.w.Write(e.scratch[:4])
}

func (e *encoder) u64(v uint64) {
	binary.BigEndian.PutUint64(e.scratch[:8], v)
	_, _ = e.w.Write(e.scratch[:8])
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

// appendBuf is an io.Writer appending to a byte slice allocated once at its
// final size.
type appendBuf []byte

func (b *appendBuf) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

func (b *appendBuf) WriteString(p string) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

// BodyHash returns the SHA-256 a request header commits to: the domain tag
// "tensorcosm/axon/v2/request-body" and the tensors in their canonical
// encoding. Info, ModelDownload and Receipts requests carry no tensors, so
// their body hash is BodyHash(nil).
func BodyHash(inputs []*axonpb.Tensor) []byte {
	return tensorsHash(domainRequestBody, inputs)
}

// ResponseHash returns the SHA-256 of the outputs a receipt leaf commits
// to, under the domain tag "tensorcosm/axon/v2/response-body".
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

// HandshakeSignBytes returns the bytes a caller signs to open a session:
// the domain tag, every HandshakeRequest field but the signature, in field
// order, then the TLS binding (the connection's exported keying material,
// empty in plaintext), which is not sent: each side takes it from its own
// end of the connection.
func HandshakeSignBytes(r *axonpb.HandshakeRequest, tlsBinding []byte) []byte {
	b := make(appendBuf, 0, 9*8+4+len(domainHandshake)+len(r.GetCallerHotkey())+len(r.GetCallerPubkey())+
		len(r.GetTargetHotkey())+len(r.GetChainId())+len(r.GetNonce())+len(r.GetEphemeralPubkey())+len(tlsBinding)+16)
	e := encoder{w: &b}
	e.string(domainHandshake)
	e.string(r.GetCallerHotkey())
	e.bytes(r.GetCallerPubkey())
	e.string(r.GetTargetHotkey())
	e.u32(r.GetNetuid())
	e.string(r.GetChainId())
	e.bytes(r.GetNonce())
	e.u64(uint64(r.GetTimestampMs()))
	e.bytes(r.GetEphemeralPubkey())
	e.u64(uint64(r.GetExpiryMs()))
	e.bytes(tlsBinding)
	return b
}

// HandshakeResponseSignBytes returns the bytes a miner signs to accept a
// session: the domain tag, the caller's sign bytes and signature, then every
// HandshakeResponse field but the signature.
func HandshakeResponseSignBytes(callerSignBytes, callerSignature []byte, r *axonpb.HandshakeResponse) []byte {
	b := make(appendBuf, 0, 8*8+len(domainHandshakeResponse)+len(callerSignBytes)+len(callerSignature)+
		len(r.GetSessionId())+len(r.GetMinerHotkey())+len(r.GetMinerPubkey())+len(r.GetEphemeralPubkey()))
	e := encoder{w: &b}
	e.string(domainHandshakeResponse)
	e.bytes(callerSignBytes)
	e.bytes(callerSignature)
	e.bytes(r.GetSessionId())
	e.string(r.GetMinerHotkey())
	e.bytes(r.GetMinerPubkey())
	e.bytes(r.GetEphemeralPubkey())
	e.u64(uint64(r.GetExpiryMs()))
	return b
}

// RequestMACBytes returns the bytes a request's MAC covers: the domain tag,
// the full gRPC method, the session id, the sequence number and the body
// hash.
func RequestMACBytes(method string, h *axonpb.RequestHeader) []byte {
	b := make(appendBuf, 0, 5*8+len(domainRequest)+len(method)+len(h.GetSessionId())+len(h.GetBodySha256()))
	e := encoder{w: &b}
	e.string(domainRequest)
	e.string(method)
	e.bytes(h.GetSessionId())
	e.u64(h.GetSequence())
	e.bytes(h.GetBodySha256())
	return b
}

// RequestHash identifies one MACed request in a receipt leaf: SHA-256 over
// the domain tag, the request's MAC bytes and its MAC. The MAC bytes cover
// the body hash, so the request hash binds the inputs too.
func RequestHash(method string, h *axonpb.RequestHeader) []byte {
	return requestHash(RequestMACBytes(method, h), h.GetMac())
}

// requestHash is RequestHash from MAC bytes already built.
func requestHash(macBytes, mac []byte) []byte {
	hs := sha256.New()
	e := encoder{w: hs}
	e.string(domainRequestHash)
	e.bytes(macBytes)
	e.bytes(mac)
	return hs.Sum(nil)
}

// ResponseMACBytes returns the bytes a response's MAC covers: the domain
// tag, the session id, the request's sequence number and the hash of the
// response's receipt leaf.
func ResponseMACBytes(sessionID []byte, sequence uint64, leafHash []byte) []byte {
	b := make(appendBuf, 0, 4*8+len(domainResponse)+len(sessionID)+len(leafHash))
	e := encoder{w: &b}
	e.string(domainResponse)
	e.bytes(sessionID)
	e.u64(sequence)
	e.bytes(leafHash)
	return b
}
