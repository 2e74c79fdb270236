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

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// Server is a miner's axon: the gRPC Axon service with request
// authentication, stake-ordered scheduling and signed receipts.
type Server struct {
	axonpb.UnimplementedAxonServer

	cfg       ServerConfig
	model     Model
	meta      Metagraph
	signer    Signer
	log       *slog.Logger
	metrics   *metrics
	grpc      *grpc.Server
	nonces    *nonceTracker
	sched     *scheduler
	downloads *downloadSlots
	limits    limits
	now       func() time.Time

	mu       sync.Mutex
	addr     net.Addr
	shutdown sync.Once
	stopErr  error
}

var _ axonpb.AxonServer = (*Server)(nil)

// NewServer builds an axon server and registers the Axon service on its own
// gRPC server; Run, or Serve followed by Shutdown, serves it. Metrics go to
// reg (nil: not registered). Without WithReplayFile, replay protection
// lasts as long as the process.
func NewServer(cfg ServerConfig, model Model, meta Metagraph, signer Signer, logger *slog.Logger, reg prometheus.Registerer, opts ...ServerOption) (*Server, error) {
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
		nonces:    newNonceTracker(cfg.NonceReorderWindow, cfg.MaxCallers, cfg.MaxClockSkew),
		downloads: newDownloadSlots(cfg.MaxConcurrentDownloads),
		limits:    limits{maxTensors: cfg.MaxTensors, maxElements: cfg.MaxElements},
		now:       time.Now,
	}
	if err := s.openReplayFile(opts); err != nil {
		return nil, err
	}
	s.grpc = grpc.NewServer(
		grpc.MaxRecvMsgSize(cfg.MaxRecvMsgBytes),
		grpc.MaxSendMsgSize(cfg.MaxSendMsgBytes),
		grpc.MaxConcurrentStreams(cfg.MaxConcurrentStreams),
		grpc.ChainUnaryInterceptor(m.unaryInterceptor),
		grpc.ChainStreamInterceptor(m.streamInterceptor),
	)
	axonpb.RegisterAxonServer(s.grpc, s)
	s.sched = newScheduler(cfg.Workers, cfg.QueueSize,
		func(n int) { m.queueDepth.Set(float64(n)) },
		func() { m.shed.Inc() })
	return s, nil
}

// Serve answers requests on lis until Shutdown; it returns nil after a
// graceful stop.
func (s *Server) Serve(lis net.Listener) error {
	s.mu.Lock()
	s.addr = lis.Addr()
	s.mu.Unlock()
	s.log.Info("axon serving", "address", lis.Addr().String(), "workers", s.cfg.Workers, "queue_size", s.cfg.QueueSize)
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
		s.closeScheduler()
		return fmt.Errorf("axon: listen on %s: %w", s.cfg.ListenAddress, err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(lis) }()
	select {
	case err := <-served:
		s.closeScheduler()
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
		stopped := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-ctx.Done():
			s.log.Warn("axon graceful stop timed out, cutting off in-flight requests")
			s.grpc.Stop()
			<-stopped
			s.stopErr = fmt.Errorf("axon: graceful stop: %w", ctx.Err())
		}
		s.closeScheduler()
		s.log.Info("axon stopped")
	})
	return s.stopErr
}

func (s *Server) closeScheduler() { s.sched.close() }
