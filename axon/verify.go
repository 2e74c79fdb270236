package axon

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// ErrInvalidReceipt is wrapped by every VerifyReceipt failure.
var ErrInvalidReceipt = errors.New("axon: invalid receipt")

// ErrInvalidRequest is wrapped by every VerifyRequest failure.
var ErrInvalidRequest = errors.New("axon: invalid request")

// VerifyRequest checks a request header on its own, without the state a
// server keeps (nonces, clock, metagraph): the fields are well formed, the
// body hash matches the body, the public key derives the caller hotkey and
// the signature is valid for method. Gateways and validators can use it on
// requests they relay or audit.
func VerifyRequest(method string, h *axonpb.RequestHeader, body []*axonpb.Tensor) error {
	if err := checkHeaderFields(h); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	if err := checkCallerKey(h); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	if !bytes.Equal(BodyHash(body), h.GetBodySha256()) {
		return fmt.Errorf("%w: body does not match body_sha256", ErrInvalidRequest)
	}
	if !verifySignature(h.GetCallerPubkey(), HeaderSignBytes(method, h), h.GetSignature()) {
		return fmt.Errorf("%w: bad signature", ErrInvalidRequest)
	}
	return nil
}

// checkHeaderFields checks presence and sizes, the cheapest checks there are.
func checkHeaderFields(h *axonpb.RequestHeader) error {
	switch {
	case h == nil:
		return errors.New("missing header")
	case len(h.GetSignature()) == 0:
		return errors.New("missing signature")
	case len(h.GetSignature()) != SignatureSize:
		return fmt.Errorf("signature is %d bytes, want %d", len(h.GetSignature()), SignatureSize)
	case h.GetCallerHotkey() == "":
		return errors.New("missing caller_hotkey")
	case len(h.GetBodySha256()) != sha256.Size:
		return fmt.Errorf("body_sha256 is %d bytes, want %d", len(h.GetBodySha256()), sha256.Size)
	case h.GetNonce() == 0:
		return errors.New("missing nonce")
	}
	return nil
}

// checkCallerKey checks that the public key derives the claimed hotkey, so
// nobody can sign with their own key under someone else's hotkey.
func checkCallerKey(h *axonpb.RequestHeader) error {
	addr, err := hotkeys.address(h.GetCallerPubkey())
	if err != nil {
		return fmt.Errorf("caller_pubkey: %w", err)
	}
	if addr != h.GetCallerHotkey() {
		return errors.New("caller_pubkey does not derive caller_hotkey")
	}
	return nil
}

// VerifyReceipt checks that resp carries a valid receipt for req: the
// request's inputs match its body hash, the receipt names this request and
// these outputs, the miner's public key derives the receipt's hotkey, that
// hotkey is the one the request was addressed to, and the miner's signature
// is valid. Anyone holding the pair (gateway, validator, user) can run it;
// checking model_sha256 and block_height against the chain is up to them.
func VerifyReceipt(req *axonpb.InferRequest, resp *axonpb.InferResponse) error {
	h := req.GetHeader()
	switch {
	case h == nil:
		return fmt.Errorf("%w: request has no header", ErrInvalidReceipt)
	case resp.GetReceipt() == nil:
		return fmt.Errorf("%w: response has no receipt", ErrInvalidReceipt)
	case !bytes.Equal(BodyHash(req.GetInputs()), h.GetBodySha256()):
		return fmt.Errorf("%w: request inputs do not match the header's body_sha256", ErrInvalidReceipt)
	}
	return checkReceipt(RequestHash(MethodInfer, h), h.GetTargetHotkey(), resp)
}

// checkReceipt is VerifyReceipt for a request whose hash is already known,
// the client's case: it built the header from these very inputs, so the
// body hash needs no second look and the request hash comes from the bytes
// it signed. Everything about the response is checked in full.
func checkReceipt(requestHash []byte, targetHotkey string, resp *axonpb.InferResponse) error {
	r := resp.GetReceipt()
	switch {
	case r == nil:
		return fmt.Errorf("%w: response has no receipt", ErrInvalidReceipt)
	case !bytes.Equal(requestHash, r.GetRequestHash()):
		return fmt.Errorf("%w: request_hash does not match the request", ErrInvalidReceipt)
	case !bytes.Equal(ResponseHash(resp.GetOutputs()), r.GetResponseHash()):
		return fmt.Errorf("%w: response_hash does not match the outputs", ErrInvalidReceipt)
	case len(r.GetModelSha256()) != sha256.Size:
		return fmt.Errorf("%w: model_sha256 is %d bytes, want %d", ErrInvalidReceipt, len(r.GetModelSha256()), sha256.Size)
	case r.GetMinerHotkey() != targetHotkey:
		return fmt.Errorf("%w: signed by %s, the request was for %s", ErrInvalidReceipt, r.GetMinerHotkey(), targetHotkey)
	}
	addr, err := hotkeys.address(r.GetMinerPubkey())
	if err != nil {
		return fmt.Errorf("%w: miner_pubkey: %w", ErrInvalidReceipt, err)
	}
	if addr != r.GetMinerHotkey() {
		return fmt.Errorf("%w: miner_pubkey does not derive miner_hotkey", ErrInvalidReceipt)
	}
	if !verifySignature(r.GetMinerPubkey(), ReceiptSignBytes(r), r.GetSignature()) {
		return fmt.Errorf("%w: bad signature", ErrInvalidReceipt)
	}
	return nil
}
