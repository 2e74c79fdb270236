package neuron_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tensorcosm/tensorcosm/neuron"
)

func get(t *testing.T, addr, path string) (int, string, error) {
	t.Helper()
	res, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, string(body), err
}

// startLifecycle serves a lifecycle whose only component waits for ctx,
// then runs stopping (if set) before returning.
func startLifecycle(t *testing.T, check func() error, stopping func()) (*neuron.Lifecycle, context.CancelFunc, chan error) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "lifecycle_test_total"}))
	l := neuron.NewLifecycle(reg, "starting")
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.Listen(ctx, "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- l.Serve(ctx, check, func(ctx context.Context) error {
			<-ctx.Done()
			if stopping != nil {
				stopping()
			}
			return nil
		})
	}()
	t.Cleanup(cancel)
	return l, cancel, done
}

func TestLifecycleHealthz(t *testing.T) {
	var unhealthy error
	l, cancel, done := startLifecycle(t, func() error { return unhealthy }, nil)
	cases := []struct {
		name     string
		ready    bool
		check    error
		wantCode int
		wantBody string
	}{
		{"not ready", false, nil, http.StatusServiceUnavailable, "starting"},
		{"ready", true, nil, http.StatusOK, "ok"},
		{"ready but the check fails", true, errors.New("metagraph stale"), http.StatusServiceUnavailable, "metagraph stale"},
		{"not ready wins over the check", false, errors.New("metagraph stale"), http.StatusServiceUnavailable, "starting"},
	}
	for _, tc := range cases {
		l.SetReady(tc.ready)
		unhealthy = tc.check
		code, body, err := get(t, l.Addr(), "/healthz")
		if err != nil || code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
			t.Errorf("%s: /healthz = %d %q (%v), want %d %q", tc.name, code, body, err, tc.wantCode, tc.wantBody)
		}
	}
	if code, body, err := get(t, l.Addr(), "/metrics"); err != nil || code != http.StatusOK || !strings.Contains(body, "lifecycle_test_total") {
		t.Errorf("/metrics = %d (%v), want 200 with the registry's metrics", code, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after ctx ends", err)
	}
}

// TestLifecycleShutdownOrder: when ctx ends the ready flag drops before
// the components stop, /metrics still answers while they drain, and the
// HTTP server is closed once Serve returns.
func TestLifecycleShutdownOrder(t *testing.T) {
	var readyWhileStopping bool
	var metricsWhileStopping int
	var l *neuron.Lifecycle
	l, cancel, done := startLifecycle(t, nil, func() {
		readyWhileStopping = l.Ready()
		metricsWhileStopping, _, _ = get(t, l.Addr(), "/metrics")
	})
	l.SetReady(true)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if readyWhileStopping {
		t.Error("still ready while the components stop")
	}
	if metricsWhileStopping != http.StatusOK {
		t.Errorf("/metrics while the components stop = %d, want 200", metricsWhileStopping)
	}
	if _, _, err := get(t, l.Addr(), "/healthz"); err == nil {
		t.Error("the HTTP server still answers after Serve returned")
	}
}

func TestLifecycleComponentErrorStopsAll(t *testing.T) {
	l := neuron.NewLifecycle(prometheus.NewRegistry(), "starting")
	if err := l.Listen(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("axon died")
	stopped := make(chan struct{})
	err := l.Serve(context.Background(), nil,
		func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil },
		func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Serve = %v, want %v", err, boom)
	}
	select {
	case <-stopped:
	default:
		t.Error("the other component was not stopped")
	}
}

func TestRunUntilSignal(t *testing.T) {
	t.Run("SIGTERM ends the context", func(t *testing.T) {
		running := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- neuron.RunUntilSignal(context.Background(), 5*time.Second, func(ctx context.Context) error {
				close(running)
				<-ctx.Done()
				return nil
			})
		}()
		<-running // the handler is installed before run starts
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunUntilSignal = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("SIGTERM did not stop the daemon")
		}
	})
	t.Run("a daemon that does not stop times out", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		block := make(chan struct{})
		defer close(block)
		err := neuron.RunUntilSignal(ctx, 20*time.Millisecond, func(context.Context) error { <-block; return nil })
		if !errors.Is(err, neuron.ErrShutdownTimeout) {
			t.Errorf("RunUntilSignal = %v, want ErrShutdownTimeout", err)
		}
	})
	t.Run("the daemon's error is returned", func(t *testing.T) {
		boom := errors.New("startup failed")
		err := neuron.RunUntilSignal(context.Background(), time.Second, func(context.Context) error { return boom })
		if !errors.Is(err, boom) {
			t.Errorf("RunUntilSignal = %v, want %v", err, boom)
		}
	})
}

func TestLifecycleHTTPFailureStopsAll(t *testing.T) {
	l := neuron.NewLifecycle(prometheus.NewRegistry(), "starting")
	if err := l.Listen(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	_ = l.Close() // the server cannot serve a closed listener
	err := l.Serve(context.Background(), nil, func(ctx context.Context) error { <-ctx.Done(); return nil })
	if err == nil || !strings.Contains(err.Error(), "metrics server") {
		t.Errorf("Serve = %v, want the metrics server's error", err)
	}
}
