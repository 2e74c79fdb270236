package axon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// admission is what the request checks learn about an accepted caller.
type admission struct {
	caller string
	neuron NeuronInfo
	// signed is the header's sign bytes, kept for the receipt's request hash.
	signed []byte
}

// admit runs the checks every request passes, cheapest first, and records
// the nonce only after the signature is known good, so nobody can burn
// another caller's nonces. checkBody, when set, runs before the body is
// hashed: it applies the size limits and the model's specs.
func (s *Server) admit(method string, h *axonpb.RequestHeader, body []*axonpb.Tensor, needPermit bool, checkBody func() error) (admission, error) {
	if err := checkHeaderFields(h); err != nil {
		return admission{}, fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	if h.GetTargetHotkey() != s.signer.Address() {
		return admission{}, fmt.Errorf("%w: request is for %s, this axon is %s", errUnauthenticated, h.GetTargetHotkey(), s.signer.Address())
	}
	if h.GetNetuid() != s.cfg.Netuid {
		return admission{}, fmt.Errorf("%w: request is for netuid %d, this axon serves %d", errUnauthenticated, h.GetNetuid(), s.cfg.Netuid)
	}
	now := s.now()
	if err := checkNonceTime(h.GetNonce(), now, s.cfg.MaxClockSkew); err != nil {
		return admission{}, err
	}
	if err := checkCallerKey(h); err != nil {
		return admission{}, fmt.Errorf("%w: %w", errUnauthenticated, err)
	}
	neuron, ok := s.meta.Neuron(s.cfg.Netuid, h.GetCallerHotkey())
	if !ok {
		return admission{}, fmt.Errorf("%w: caller is not registered in netuid %d", errPermission, s.cfg.Netuid)
	}
	if needPermit && !neuron.ValidatorPermit {
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
	signed := HeaderSignBytes(method, h)
	if !verifySignature(h.GetCallerPubkey(), signed, h.GetSignature()) {
		return admission{}, fmt.Errorf("%w: bad signature", errUnauthenticated)
	}
	if err := s.nonces.accept(h.GetCallerHotkey(), h.GetNonce(), now); err != nil {
		return admission{}, err
	}
	return admission{caller: h.GetCallerHotkey(), neuron: neuron, signed: signed}, nil
}

// reject logs a refused request at debug level (refusals are an attacker's
// to multiply) and returns its status error.
func (s *Server) reject(method string, h *axonpb.RequestHeader, err error) error {
	st := statusOf(err)
	s.log.Debug("axon request refused",
		"method", method, "caller", h.GetCallerHotkey(), "code", status.Code(st).String(), "reason", err.Error())
	return st
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
	adm, err := s.admit(MethodInfer, h, req.GetInputs(), s.cfg.RequireValidatorPermit, checkBody)
	if err != nil {
		return nil, s.reject(MethodInfer, h, err)
	}
	outputs, err := s.run(ctx, adm, ordered)
	if err != nil {
		return nil, s.reject(MethodInfer, h, err)
	}
	receipt, err := s.receipt(requestHash(adm.signed, h.GetSignature()), outputs, info)
	if err != nil {
		s.log.Error("axon cannot sign receipt", "error", err)
		return nil, status.Error(codes.Internal, "cannot sign receipt")
	}
	return &axonpb.InferResponse{Outputs: outputs, Receipt: receipt}, nil
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
		s.log.Error("axon model run failed", "caller", adm.caller, "error", runErr)
		return nil, status.Error(codes.Internal, "model run failed")
	}
	for _, t := range outputs {
		if _, err := t.CheckData(); err != nil {
			s.log.Error("axon model returned a malformed output", "caller", adm.caller, "error", err)
			return nil, status.Error(codes.Internal, "model returned a malformed output")
		}
	}
	return outputs, nil
}

// receipt signs what this axon answered to the request with the given
// request hash (RequestHash).
func (s *Server) receipt(reqHash []byte, outputs []*axonpb.Tensor, info ModelInfo) (*axonpb.Receipt, error) {
	r := &axonpb.Receipt{
		RequestHash:  reqHash,
		ResponseHash: ResponseHash(outputs),
		ModelSha256:  info.SHA256[:],
		BlockHeight:  s.meta.BlockHeight(),
		MinerHotkey:  s.signer.Address(),
		MinerPubkey:  s.signer.PubKey(),
	}
	sig, err := s.signer.Sign(ReceiptSignBytes(r))
	if err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	r.Signature = sig
	return r, nil
}

// Info implements axonpb.AxonServer.
func (s *Server) Info(_ context.Context, req *axonpb.InfoRequest) (*axonpb.InfoResponse, error) {
	h := req.GetHeader()
	if _, err := s.admit(MethodInfo, h, nil, false, nil); err != nil {
		return nil, s.reject(MethodInfo, h, err)
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

// ModelDownload implements axonpb.AxonServer. A caller hotkey gets one
// stream at a time, MaxConcurrentDownloads run in all, and a stream whose
// reader stalls (see ServerConfig.DownloadMinBytesPerSec) or that outlives
// DownloadTimeout is cut.
func (s *Server) ModelDownload(req *axonpb.ModelDownloadRequest, stream grpc.ServerStreamingServer[axonpb.ModelChunk]) error {
	h := req.GetHeader()
	opener, ok := s.model.(ModelOpener)
	if !s.cfg.ServeModelDownload || !ok {
		return s.reject(MethodModelDownload, h, fmt.Errorf("%w: model download", errDisabled))
	}
	adm, err := s.admit(MethodModelDownload, h, nil, true, nil)
	if err != nil {
		return s.reject(MethodModelDownload, h, err)
	}
	release, err := s.downloads.acquire(adm.caller)
	if err != nil {
		return s.reject(MethodModelDownload, h, err)
	}
	defer release()
	info := s.model.Info()
	f, err := opener.OpenModel()
	if err != nil {
		s.log.Error("axon cannot open model file", "error", err)
		return status.Error(codes.Internal, "cannot open model file")
	}
	defer f.Close()
	w := s.watchDownload(stream.Context())
	sum, n, err := s.sendModel(stream, f, info.Size, w)
	if cut := w.stop(); cut != nil {
		s.metrics.downloadCuts.WithLabelValues(cut.kind).Inc()
		s.log.Warn("axon model download cut", "caller", adm.caller, "reason", cut.detail, slog.Uint64("sent_bytes", n),
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
	s.log.Info("axon model downloaded", "caller", adm.caller, slog.Uint64("bytes", n))
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
