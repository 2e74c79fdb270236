package neuron

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
)

// Lifecycle is the running shell every daemon shares: the listener of
// /metrics and /healthz, the ready flag /healthz reports, and the order in
// which a daemon's components stop.
type Lifecycle struct {
	gather   prometheus.Gatherer
	notReady string
	ready    atomic.Bool
	lis      net.Listener
	addr     atomic.Pointer[string]
}

// NewLifecycle returns a lifecycle serving gather on /metrics; /healthz
// answers 503 with notReady (e.g. "starting") while the daemon is not ready.
func NewLifecycle(gather prometheus.Gatherer, notReady string) *Lifecycle {
	return &Lifecycle{gather: gather, notReady: notReady}
}

// Listen binds the /metrics and /healthz listener to addr ("host:0" picks
// a port, see Addr); the daemon calls it before its startup, so that a
// busy port fails fast.
func (l *Lifecycle) Listen(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	l.lis = lis
	a := lis.Addr().String()
	l.addr.Store(&a)
	return nil
}

// Addr is the address of /metrics and /healthz, "" until Listen has bound it.
func (l *Lifecycle) Addr() string {
	if s := l.addr.Load(); s != nil {
		return *s
	}
	return ""
}

// Close releases the listener when the daemon stops before Serve (a failed
// startup).
func (l *Lifecycle) Close() error {
	if l.lis == nil {
		return nil
	}
	return l.lis.Close()
}

// SetReady sets what /healthz reports: ready, or the notReady reason.
func (l *Lifecycle) SetReady(ready bool) { l.ready.Store(ready) }

// Ready reports the ready flag.
func (l *Lifecycle) Ready() bool { return l.ready.Load() }

// Healthz answers 503 with the notReady reason while the daemon is not
// ready, 503 with check's error while check fails, else 200 "ok".
func (l *Lifecycle) Healthz(check func() error) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if !l.Ready() {
			http.Error(w, l.notReady, http.StatusServiceUnavailable)
			return
		}
		if check != nil {
			if err := check(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		_, _ = w.Write([]byte("ok\n"))
	}
}

// Serve runs the components until ctx ends or one of them returns an
// error, serving /metrics and /healthz (with check, see Healthz) all along.
// Shutdown runs in order: the ready flag drops (so /healthz answers 503
// while the daemon drains), the components return (each ends its own
// work when its context ends), then the HTTP server shuts down, so that
// /metrics can still be scraped during the drain. A failed component or
// HTTP server stops the rest. It returns the first component error joined
// with the HTTP server's.
func (l *Lifecycle) Serve(ctx context.Context, check func() error, components ...func(context.Context) error) error {
	if l.lis == nil {
		return errors.New("lifecycle: Serve before Listen")
	}
	// the components' context ends only after the ready flag dropped
	compCtx, cancelComponents := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelComponents()
	stop := func() {
		l.SetReady(false)
		cancelComponents()
	}
	defer context.AfterFunc(ctx, stop)()
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	served := make(chan error, 1)
	go func() {
		err := ServeHTTP(httpCtx, l.lis, l.gather, l.Healthz(check))
		if httpCtx.Err() == nil {
			stop() // the HTTP server failed: stop the daemon
		}
		served <- err
	}()
	var g errgroup.Group
	for _, run := range components {
		g.Go(func() error {
			err := run(compCtx)
			if err != nil {
				stop() // one failed: stop the others
			}
			return err
		})
	}
	err := g.Wait()
	stop()
	stopHTTP()
	return errors.Join(err, <-served)
}

// ErrShutdownTimeout is returned by RunUntilSignal when the daemon did not
// stop within its shutdown timeout.
var ErrShutdownTimeout = errors.New("daemon did not stop within its shutdown timeout")

// RunUntilSignal runs run with a context that ends on SIGINT, SIGTERM or
// the end of parent, then gives it up to timeout to return; past that it
// returns ErrShutdownTimeout without waiting (the process is expected to
// exit). A second signal during the wait does not shorten it.
func RunUntilSignal(parent context.Context, timeout time.Duration, run func(context.Context) error) error {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%w (%s)", ErrShutdownTimeout, timeout)
	}
}
