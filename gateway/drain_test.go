package gateway_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/gateway/store"
)

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer lis.Close()
	return lis.Addr().String()
}

// TestGatewayDrainsOnSIGTERM runs tensorcosm-gateway as a process in front
// of a miner that takes 1.5 s per answer, sends it SIGTERM while six
// requests are in flight, and requires all six to be answered, new
// connections to be refused, and the process to exit 0.
func TestGatewayDrainsOnSIGTERM(t *testing.T) {
	n := newTestNet(t)
	c, held, keyDir := n.c, n.held, n.keyDir
	sm := sessionModel(t, n.modelPath)
	startLiar(t, c, "slow", &liar{SessionModel: sm, b: slow{m: sm, delay: 1500 * time.Millisecond}}, netuid, n.hot)

	cfg := gatewayConfig(c, keyDir, "1")
	cfg.ListenAddress, cfg.MetricsListenAddress = freeAddr(t), freeAddr(t)
	cfg.Route.Hedge = false // one call per request, so the miner's two workers bound the pace
	cfg.ShutdownTimeout = 30 * time.Second
	cfg.UsageFlushInterval = time.Hour // only the flush at the stop writes the usage
	s, err := store.Open(c.Ctx, "sqlite", filepath.Join(keyDir, "gateway.db"))
	must(t, err)
	_, tok, err := s.CreateKey(c.Ctx, store.KeySpec{Name: "drain"})
	must(t, err)
	must(t, s.Close())
	gw := startProcess(t, "gateway", "gateway", "run", "--config", writeConfig(t, cfg))
	addr := cfg.ListenAddress
	until(t, "the gateway process to be ready with the slow miner", time.Minute, func() bool {
		res, err := http.Get("http://" + addr + "/v2/models/digits")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var md oip.ModelMetadata
		_ = json.NewDecoder(res.Body).Decode(&md)
		n, _ := md.Parameters["miners"].(float64)
		return res.StatusCode == 200 && n == 1
	})

	body, _ := json.Marshal(map[string]any{"parameters": map[string]any{"timeout_ms": 20000},
		"inputs": []map[string]any{{"name": "input", "shape": []int{1, 64}, "datatype": "FP32", "data": held.Features[:64]}}})
	const inflight = 6
	var wg sync.WaitGroup
	results := make([]error, inflight)
	client := &http.Client{Timeout: time.Minute}
	for i := range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", "http://"+addr+"/v2/models/digits/infer", bytesReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := client.Do(req)
			if err == nil {
				defer res.Body.Close()
				var r oip.InferResponse
				if derr := json.NewDecoder(res.Body).Decode(&r); res.StatusCode != 200 || derr != nil || len(r.Outputs) != 1 {
					err = fmt.Errorf("status %d, decode %v, outputs %d", res.StatusCode, derr, len(r.Outputs))
				}
			}
			results[i] = err
		}()
	}
	until(t, "six requests in flight", 30*time.Second, func() bool {
		v, ok := metricValue(t, cfg.MetricsListenAddress, "tensorcosm_gateway_inflight_requests")
		return ok && v == inflight
	})
	termAt := time.Now()
	must(t, gw.cmd.Process.Signal(syscall.SIGTERM))
	// new connections are refused once the drain starts
	until(t, "the listener to close", 10*time.Second, func() bool {
		_, err := net.DialTimeout("tcp", addr, time.Second)
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	wg.Wait()
	drained := time.Since(termAt)
	for i, err := range results {
		if err != nil {
			t.Errorf("in-flight request %d was cut by the shutdown: %v", i, err)
		}
	}
	select {
	case err := <-gw.done:
		gw.exited = true
		if err != nil {
			t.Fatalf("the gateway exited with %v after SIGTERM", err)
		}
	case <-time.After(cfg.ShutdownTimeout + 5*time.Second):
		t.Fatal("the gateway did not exit after draining")
	}
	if !gw.logHas("API drained") {
		t.Error("no \"API drained\" in the gateway's log")
	}
	// the usage it buffered was written on the way out
	s, err = store.Open(c.Ctx, "sqlite", filepath.Join(keyDir, "gateway.db"))
	must(t, err)
	defer s.Close()
	rows, err := s.UsageOf(c.Ctx, "", "", "")
	must(t, err)
	if len(rows) != 1 || rows[0].Requests != inflight || rows[0].Errors != 0 {
		t.Errorf("usage after the stop: %+v, want one row of %d requests", rows, inflight)
	}
	t.Logf("SIGTERM with %d requests in flight: all answered within %s of the signal, new connections refused, exit 0",
		inflight, drained.Round(time.Millisecond))
}
