package axon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// maxRateBuckets bounds the handshake rate limiter's callers. Only
// registered callers reach it, so a subnet's size bounds it first.
const maxRateBuckets = 65536

// Server is a miner's axon: the gRPC Axon service with session
// authentication, stake-ordered scheduling and receipt leaves, beside the
// standard health service and (by default) server reflection.
type Server struct {
	axonpb.UnimplementedAxonServer

	cfg       ServerConfig
	model     Model
	meta      Metagraph
	signer    Signer
	log       *slog.Logger
	metrics   *metrics
	grpc      *grpc.Server
	health    *health.Server
	sessions  *sessionTable
	nonces    *nonceCache
	handshake *rateLimiter
	receipts  *Batcher
	sched     *scheduler
	downloads *downloadSlots
	limits    limits
	scope     handshakeScope
	tlsPin    string
	now       func() time.Time

	mu       sync.Mutex
	addr     net.Addr
	shutdown sync.Once
	stopErr  error
}

var _ axonpb.AxonServer = (*Server)(nil)

// NewServer builds an axon server on its own gRPC server: the Axon service,
// grpc.health.v1.Health (NOT_SERVING until SetServing(true)) and, with
// cfg.Reflection, server reflection. Run, or Serve followed by Shutdown,
// serves it. Metrics go to reg (nil: not registered). Sessions live in
// memory: a new server knows none of its predecessor's.
func NewServer(cfg ServerConfig, model Model, meta Metagraph, signer Signer, logger *slog.Logger, reg prometheus.Registerer) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("axon: invalid server config: %w", err)
	}
	if model == nil || meta == nil || signer == nil {
		return nil, errors.New("axon: NewServer needs a model, a metagraph and a signer")
	}
	if _, err := AddressFromPubKey(signer.PubKey()); err != nil {
		return nil, fmt.Errorf("axon: signer public key: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		model:     model,
		meta:      meta,
		signer:    signer,
		log:       logger.With("component", "axon", "hotkey", signer.Address(), "netuid", cfg.Netuid),
		metrics:   m,
		nonces:    newNonceCache(2*cfg.MaxClockSkew, cfg.MaxHandshakeNonces),
		handshake: newRateLimiter(cfg.HandshakesPerCallerPerSecond, cfg.HandshakeBurst, maxRateBuckets),
		downloads: newDownloadSlots(cfg.MaxConcurrentDownloads),
		limits:    limits{maxTensors: cfg.MaxTensors, maxElements: cfg.MaxElements},
		scope:     handshakeScope{target: signer.Address(), netuid: cfg.Netuid, chainID: cfg.ChainID},
		now:       time.Now,
	}
	if s.receipts, err = NewBatcher(cfg.Receipts, signer, cfg.Netuid, s.log, reg); err != nil {
		return nil, err
	}
	s.sessions = newSessionTable(cfg.MaxSessions, cfg.MaxSessionsPerCaller, cfg.SequenceWindow, s.sessionEnded,
		func(n int) { m.sessions.Set(float64(n)) })
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgBytes),
		grpc.MaxSendMsgSize(cfg.MaxSendMsgBytes),
		grpc.MaxConcurrentStreams(cfg.MaxConcurrentStreams),
		grpc.ChainUnaryInterceptor(m.unaryInterceptor),
		grpc.ChainStreamInterceptor(m.streamInterceptor),
	}
	if cfg.TLS == TLSOn {
		cert, err := LoadOrCreateTLS(cfg.TLSDir)
		if err != nil {
			_ = s.receipts.Close()
			return nil, err
		}
		s.tlsPin = CertFingerprint(cert.Certificate[0])
		opts = append(opts, grpc.Creds(credentials.NewTLS(serverTLSConfig(cert))))
	}
	s.grpc = grpc.NewServer(opts...)
	axonpb.RegisterAxonServer(s.grpc, s)
	s.health = health.NewServer()
	s.SetServing(false)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	if cfg.Reflection {
		reflection.Register(s.grpc)
	}
	s.sched = newScheduler(cfg.Workers, cfg.QueueSize,
		func(n int) { m.queueDepth.Set(float64(n)) },
		func() { m.shed.Inc() })
	return s, nil
}

// TLSFingerprint is the pin of the certificate served (CertFingerprint),
// what the miner announces in MsgServeAxon.tls_fingerprint; "" with TLS off.
func (s *Server) TLSFingerprint() string { return s.tlsPin }

// SetServing sets what grpc.health.v1.Health answers, for the whole server
// ("") and for tensorcosm.axon.v2.Axon: SERVING once the model is loaded
// and the miner registered, NOT_SERVING otherwise.
func (s *Server) SetServing(serving bool) {
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if serving {
		st = healthpb.HealthCheckResponse_SERVING
	}
	s.health.SetServingStatus("", st)
	s.health.SetServingStatus(axonpb.Axon_ServiceDesc.ServiceName, st)
}

// RefreshSessions ends the sessions of callers the metagraph no longer
// lists (or that lost the validator permit RequireValidatorPermit asks
// for); the miner calls it after each metagraph refresh. Requests check
// the metagraph too, so this frees the sessions' memory early.
func (s *Server) RefreshSessions() int {
	n := s.sessions.endWhere(func(caller string) bool { return !s.allowed(caller) })
	if n > 0 {
		s.log.Info("axon sessions ended: callers no longer admitted", "sessions", n)
	}
	return n
}

// allowed is the handshake's admission test on the current metagraph.
func (s *Server) allowed(caller string) bool {
	n, ok := s.meta.Neuron(s.cfg.Netuid, caller)
	return ok && (!s.cfg.RequireValidatorPermit || n.ValidatorPermit)
}

// sessionEnded runs (under the table lock) when a session ends.
func (s *Server) sessionEnded(id []byte) { s.receipts.EndSession(id) }

// Serve answers requests on lis until Shutdown; it returns nil after a
// graceful stop.
func (s *Server) Serve(lis net.Listener) error {
	s.mu.Lock()
	s.addr = lis.Addr()
	s.mu.Unlock()
	s.log.Info("axon serving", "address", lis.Addr().String(), "tls", s.cfg.TLS, "tls_fingerprint", s.tlsPin,
		"workers", s.cfg.Workers, "queue_size", s.cfg.QueueSize)
	if err := s.grpc.Serve(cutListener{lis}); err != nil {
		return fmt.Errorf("axon: serve %s: %w", lis.Addr(), err)
	}
	return nil
}

// Run listens on cfg.ListenAddress and serves until ctx ends, then stops
// gracefully: no new requests, in-flight ones finish (up to
// ShutdownTimeout).
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", s.cfg.ListenAddress)
	if err != nil {
		s.closeWorkers()
		return fmt.Errorf("axon: listen on %s: %w", s.cfg.ListenAddress, err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()
	select {
	case err := <-served:
		s.closeWorkers()
		return err
	case <-ctx.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	stopErr := s.Shutdown(stopCtx)
	return errors.Join(<-served, stopErr)
}

// Addr is the address being served, nil before Serve or Run has a listener.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops accepting requests and waits for in-flight ones (queued
// Infer requests included) to finish; when ctx ends first it cuts them off
// and returns ctx's error. Later calls return the first call's result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Do(func() {
		s.health.Shutdown()
		stopped := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(stopped)
		}()
		go s.closeReceiptsWhenIdle(stopped)
		select {
		case <-stopped:
		case <-ctx.Done():
			s.log.Warn("axon graceful stop timed out, cutting off in-flight requests")
			s.grpc.Stop()
			<-stopped
			s.stopErr = fmt.Errorf("axon: graceful stop: %w", ctx.Err())
		}
		s.closeWorkers()
		s.log.Info("axon stopped")
	})
	return s.stopErr
}

func (s *Server) closeWorkers() {
	s.sched.close()
	_ = s.receipts.Close() // idempotent; signs what waits
}

// closeReceiptsWhenIdle closes the batcher once no unary request is in
// flight (GracefulStop admits no new ones): it signs the last batch and
// closes every session's queue, which ends the Receipts streams after they
// deliver it, so GracefulStop need not wait for the sessions to expire.
func (s *Server) closeReceiptsWhenIdle(stopped <-chan struct{}) {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.metrics.inflight.Load() > 0 {
		select {
		case <-stopped:
			return
		case <-t.C:
		}
	}
	_ = s.receipts.Close()
}
