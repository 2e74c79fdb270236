package axon

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// SessionTrailer is the trailer key that tells a client why its session was
// refused: "unknown" (never opened here, or ended: a restart, a
// deregistration), "expired", or "connection" (a TLS session used on
// another connection). A client that sees it opens a new session.
const SessionTrailer = "axon-session"

// sessionError is a request refused because its session is not live here.
type sessionError struct{ miss sessionMiss }

func (e sessionError) Error() string { return "session " + string(e.miss) }
func (e sessionError) Unwrap() error { return errUnauthenticated }

// admission is what the request checks learn about an accepted request.
type admission struct {
	session  *session
	neuron   NeuronInfo
	macBytes []byte
}

// Handshake implements axonpb.AxonServer: it opens a session. The checks
// run cheapest first; nothing is stored for a caller that is not
// registered, and the nonce only once the signature is known good.
func (s *Server) Handshake(ctx context.Context, req *axonpb.HandshakeRequest) (*axonpb.HandshakeResponse, error) {
	resp, err := s.handshake1(ctx, req)
	if err != nil {
		return nil, s.reject(ctx, MethodHandshake, req.GetCallerHotkey(), err)
	}
	return resp, nil
}

func (s *Server) handshake1(ctx context.Context, req *axonpb.HandshakeRequest) (*axonpb.HandshakeResponse, error) {
	now := s.now()
	if err := checkHandshakeStatic(req, s.scope, now, s.cfg.MaxClockSkew); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	binding, err := peerBinding(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: TLS exporter: %w", errUnauthenticated, err)
	}
	caller := req.GetCallerHotkey()
	n, ok := s.meta.Neuron(s.cfg.Netuid, caller)
	if !ok {
		return nil, fmt.Errorf("%w: caller is not registered in netuid %d", errPermission, s.cfg.Netuid)
	}
	if s.cfg.RequireValidatorPermit && !n.ValidatorPermit {
		return nil, fmt.Errorf("%w: caller has no validator permit", errPermission)
	}
	if err := s.handshake.allow(caller, now); err != nil {
		return nil, err
	}
	signed := HandshakeSignBytes(req, binding)
	if !verifySignature(req.GetCallerPubkey(), signed, req.GetSignature()) {
		return nil, fmt.Errorf("%w: bad handshake signature", errUnauthenticated)
	}
	if err := s.nonces.add(req.GetNonce(), now); err != nil {
		return nil, err
	}
	return s.accept(req, signed, binding, now)
}

// accept answers a verified handshake and stores its session.
func (s *Server) accept(req *axonpb.HandshakeRequest, signed, binding []byte, now time.Time) (*axonpb.HandshakeResponse, error) {
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ephemeral key: %w", err)
	}
	sess := &session{caller: req.GetCallerHotkey(), binding: binding}
	if _, err := rand.Read(sess.id[:]); err != nil {
		return nil, fmt.Errorf("session id: %w", err)
	}
	expiry := min(req.GetExpiryMs(), now.Add(s.cfg.SessionTTL).UnixMilli())
	sess.expiry = time.UnixMilli(expiry)
	resp := &axonpb.HandshakeResponse{
		SessionId:       sess.id[:],
		MinerHotkey:     s.signer.Address(),
		MinerPubkey:     s.signer.PubKey(),
		EphemeralPubkey: eph.PublicKey().Bytes(),
		ExpiryMs:        expiry,
	}
	respSigned := HandshakeResponseSignBytes(signed, req.GetSignature(), resp)
	if resp.Signature, err = s.signer.Sign(respSigned); err != nil {
		return nil, fmt.Errorf("sign handshake response: %w", err)
	}
	if sess.keys, err = deriveKeys(eph, req.GetEphemeralPubkey(), respSigned, resp.GetSignature()); err != nil {
		return nil, fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	if err := s.sessions.add(sess, now); err != nil {
		return nil, err
	}
	return resp, nil
}

// checkHeaderFields checks presence and sizes, the cheapest checks there are.
func checkHeaderFields(h *axonpb.RequestHeader) error {
	switch {
	case h == nil:
		return errors.New("missing header")
	case len(h.GetSessionId()) != SessionIDSize:
		return fmt.Errorf("session_id is %d bytes, want %d", len(h.GetSessionId()), SessionIDSize)
	case len(h.GetMac()) != MACSize:
		return fmt.Errorf("mac is %d bytes, want %d", len(h.GetMac()), MACSize)
	case len(h.GetBodySha256()) != sha256.Size:
		return fmt.Errorf("body_sha256 is %d bytes, want %d", len(h.GetBodySha256()), sha256.Size)
	case h.GetSequence() == 0:
		return errors.New("sequence must be at least 1")
	}
	return nil
}

// authenticate runs the checks every request in a session passes, cheapest
// first, and records the sequence number only after the MAC is known good,
// so nobody can burn another caller's numbers. checkBody, when set, runs
// before the body is hashed: it applies the size limits and the model's
// specs.
func (s *Server) authenticate(ctx context.Context, method string, h *axonpb.RequestHeader, body []*axonpb.Tensor, needPermit bool, checkBody func() error) (admission, error) {
	if err := checkHeaderFields(h); err != nil {
		return admission{}, fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	sess, miss := s.sessions.get(h.GetSessionId(), s.now())
	if sess == nil {
		return admission{}, sessionError{miss}
	}
	if err := s.checkBinding(ctx, sess); err != nil {
		return admission{}, err
	}
	n, ok := s.meta.Neuron(s.cfg.Netuid, sess.caller)
	if !ok {
		s.sessions.endWhere(func(c string) bool { return c == sess.caller })
		return admission{}, fmt.Errorf("%w: caller is no longer registered in netuid %d; its sessions ended", errPermission, s.cfg.Netuid)
	}
	if (needPermit || s.cfg.RequireValidatorPermit) && !n.ValidatorPermit {
		return admission{}, fmt.Errorf("%w: caller has no validator permit", errPermission)
	}
	if checkBody != nil {
		if err := checkBody(); err != nil {
			return admission{}, err
		}
	}
	if !bytes.Equal(BodyHash(body), h.GetBodySha256()) {
		return admission{}, fmt.Errorf("%w: body does not match body_sha256", errUnauthenticated)
	}
	macBytes := RequestMACBytes(method, h)
	if c2m, _ := sess.macs.get(&sess.keys); !c2m.check(macBytes, h.GetMac()) {
		return admission{}, fmt.Errorf("%w: bad MAC", errUnauthenticated)
	}
	sess.mu.Lock()
	err := sess.window.accept(h.GetSequence())
	sess.mu.Unlock()
	if err != nil {
		return admission{}, err
	}
	return admission{session: sess, neuron: n, macBytes: macBytes}, nil
}

// checkBinding refuses a request on a connection other than its session's:
// under TLS the connection's exporter must be the one the handshake signed;
// a plaintext session never moves to TLS or the reverse.
func (s *Server) checkBinding(ctx context.Context, sess *session) error {
	if sess.binding == nil && s.tlsPin == "" {
		return nil
	}
	b, err := peerBinding(ctx)
	if err != nil || !bytes.Equal(b, sess.binding) {
		return sessionError{missConnection}
	}
	return nil
}

// reject logs a refused request at debug level (refusals are an attacker's
// to multiply), marks session refusals with the axon-session trailer and
// returns the status error.
func (s *Server) reject(ctx context.Context, method, caller string, err error) error {
	st := statusOf(err)
	var se sessionError
	if errors.As(err, &se) {
		_ = grpc.SetTrailer(ctx, metadata.Pairs(SessionTrailer, string(se.miss)))
	}
	s.log.Debug("axon request refused",
		"method", method, "caller", caller, "code", status.Code(st).String(), "reason", err.Error())
	return st
}

func callerOf(a admission) string {
	if a.session == nil {
		return ""
	}
	return a.session.caller
}

// Infer implements axonpb.AxonServer.
func (s *Server) Infer(ctx context.Context, req *axonpb.InferRequest) (*axonpb.InferResponse, error) {
	h := req.GetHeader()
	info := s.model.Info()
	var ordered []*axonpb.Tensor
	checkBody := func() error {
		if err := s.limits.checkLimits(req.GetInputs()); err != nil {
			return err
		}
		var err error
		ordered, err = matchSpecs(info.Inputs, req.GetInputs())
		return err
	}
	adm, err := s.authenticate(ctx, MethodInfer, h, req.GetInputs(), false, checkBody)
	if err != nil {
		return nil, s.reject(ctx, MethodInfer, "", err)
	}
	outputs, err := s.run(ctx, adm, ordered)
	if err != nil {
		return nil, s.reject(ctx, MethodInfer, adm.session.caller, err)
	}
	return s.answer(adm, h, outputs, info), nil
}

// answer builds the response: the receipt leaf, its MAC under the
// session's miner-to-caller key, and the session's batches not delivered
// yet.
func (s *Server) answer(adm admission, h *axonpb.RequestHeader, outputs []*axonpb.Tensor, info ModelInfo) *axonpb.InferResponse {
	sess := adm.session
	leaf := &axonpb.ReceiptLeaf{
		RequestHash:  requestHash(adm.macBytes, h.GetMac()),
		ResponseHash: ResponseHash(outputs),
		ModelSha256:  info.SHA256[:],
		BlockHeight:  s.meta.BlockHeight(),
		SessionId:    sess.id[:],
		Sequence:     h.GetSequence(),
	}
	_, m2c := sess.macs.get(&sess.keys)
	pos, err := s.receipts.Add(leaf)
	if err != nil {
		// shutting down: the answer stands on its MAC, without a receipt
		pos.Hash = ReceiptLeafHash(leaf)
	}
	return &axonpb.InferResponse{
		Outputs: outputs,
		Leaf:    leaf,
		Mac:     m2c.sum(ResponseMACBytes(sess.id[:], h.GetSequence(), pos.Hash[:])),
		Batches: s.receipts.TakePending(sess.id[:]),
	}
}

// run queues the model run by caller stake and waits for it.
func (s *Server) run(ctx context.Context, adm admission, inputs []*axonpb.Tensor) ([]*axonpb.Tensor, error) {
	// RequestTimeout caps the caller's deadline; a caller asking for less
	// (the client's default) needs no second timer.
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > s.cfg.RequestTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	var outputs []*axonpb.Tensor
	var runErr error
	err := s.sched.do(ctx, adm.neuron.Stake, func(ctx context.Context) {
		start := time.Now()
		outputs, runErr = s.model.Run(ctx, inputs)
		s.metrics.modelRun.Observe(time.Since(start).Seconds())
	})
	if err != nil {
		return nil, err
	}
	switch {
	case runErr == nil:
	case errors.Is(runErr, ErrInvalidInput):
		return nil, runErr
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		s.log.Error("axon model run failed", "caller", callerOf(adm), "error", runErr)
		return nil, status.Error(codes.Internal, "model run failed")
	}
	for _, t := range outputs {
		if _, err := t.CheckData(); err != nil {
			s.log.Error("axon model returned a malformed output", "caller", callerOf(adm), "error", err)
			return nil, status.Error(codes.Internal, "model returned a malformed output")
		}
	}
	return outputs, nil
}

// Info implements axonpb.AxonServer.
func (s *Server) Info(ctx context.Context, req *axonpb.InfoRequest) (*axonpb.InfoResponse, error) {
	if _, err := s.authenticate(ctx, MethodInfo, req.GetHeader(), nil, false, nil); err != nil {
		return nil, s.reject(ctx, MethodInfo, "", err)
	}
	info := s.model.Info()
	return &axonpb.InfoResponse{
		Hotkey:      s.signer.Address(),
		Netuid:      s.cfg.Netuid,
		ModelSha256: info.SHA256[:],
		ModelSize:   info.Size,
		TaskKind:    info.TaskKind,
		Inputs:      info.Inputs,
		Outputs:     info.Outputs,
		Version:     s.cfg.Version,
	}, nil
}

// Receipts implements axonpb.AxonServer: it streams the session's signed
// batches until the session ends, the server stops (after the last batch
// is signed) or the caller leaves. The stream and InferResponse.batches
// take from one queue: each batch is delivered once.
func (s *Server) Receipts(req *axonpb.ReceiptsRequest, stream grpc.ServerStreamingServer[axonpb.ReceiptBatch]) error {
	ctx := stream.Context()
	adm, err := s.authenticate(ctx, MethodReceipts, req.GetHeader(), nil, false, nil)
	if err != nil {
		return s.reject(ctx, MethodReceipts, "", err)
	}
	ch, err := s.receipts.Subscribe(adm.session.id[:])
	if err != nil {
		return status.Error(codes.Unavailable, "axon is shutting down")
	}
	for {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case b, ok := <-ch:
			if !ok {
				return nil
			}
			if err := stream.Send(b); err != nil {
				return err
			}
		}
	}
}

// ModelDownload implements axonpb.AxonServer. A caller hotkey gets one
// stream at a time, MaxConcurrentDownloads run in all, and a stream whose
// reader stalls (see ServerConfig.DownloadMinBytesPerSec) or that outlives
// DownloadTimeout is cut.
func (s *Server) ModelDownload(req *axonpb.ModelDownloadRequest, stream grpc.ServerStreamingServer[axonpb.ModelChunk]) error {
	ctx := stream.Context()
	opener, ok := s.model.(ModelOpener)
	if !s.cfg.ServeModelDownload || !ok {
		return s.reject(ctx, MethodModelDownload, "", fmt.Errorf("%w: model download", errDisabled))
	}
	adm, err := s.authenticate(ctx, MethodModelDownload, req.GetHeader(), nil, true, nil)
	if err != nil {
		return s.reject(ctx, MethodModelDownload, "", err)
	}
	caller := adm.session.caller
	release, err := s.downloads.acquire(caller)
	if err != nil {
		return s.reject(ctx, MethodModelDownload, caller, err)
	}
	defer release()
	info := s.model.Info()
	f, err := opener.OpenModel()
	if err != nil {
		s.log.Error("axon cannot open model file", "error", err)
		return status.Error(codes.Internal, "cannot open model file")
	}
	defer f.Close()
	w := s.watchDownload(ctx)
	sum, n, err := s.sendModel(stream, f, info.Size, w)
	if cut := w.stop(); cut != nil {
		s.metrics.downloadCuts.WithLabelValues(cut.kind).Inc()
		s.log.Warn("axon model download cut", "caller", caller, "reason", cut.detail, slog.Uint64("sent_bytes", n),
			"duration", time.Since(w.start))
		return status.Error(codes.DeadlineExceeded, "model download cut: "+cut.detail)
	}
	if err != nil {
		return err
	}
	if n != info.Size || !bytes.Equal(sum, info.SHA256[:]) {
		s.log.Error("axon model file does not match its commitment", "size", n, "committed_size", info.Size)
		return status.Error(codes.DataLoss, "model file does not match the committed sha256")
	}
	s.log.Info("axon model downloaded", "caller", caller, slog.Uint64("bytes", n))
	return nil
}

// sendModel streams r in chunks under w and returns the SHA-256 and size
// of what it sent. Each chunk gets its own buffer: gRPC may still hold a
// message after Send returns.
func (s *Server) sendModel(stream grpc.ServerStreamingServer[axonpb.ModelChunk], r io.Reader, total uint64, w *downloadWatch) ([]byte, uint64, error) {
	hash := sha256.New()
	var off uint64
	for {
		buf := make([]byte, s.cfg.DownloadChunkBytes)
		k, err := io.ReadFull(r, buf)
		if k > 0 {
			hash.Write(buf[:k])
			chunk := &axonpb.ModelChunk{Offset: off, Data: buf[:k], TotalSize: total}
			if sendErr := w.send(func() error { return stream.Send(chunk) }, off); sendErr != nil {
				return nil, off, fmt.Errorf("axon: send model chunk at %d: %w", off, sendErr)
			}
			off += uint64(k)
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return hash.Sum(nil), off, nil
		default:
			s.log.Error("axon cannot read model file", "offset", off, "error", err)
			return nil, off, status.Error(codes.Internal, "cannot read model file")
		}
	}
}
