package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/axonpb"
	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/gateway/store"
)

// BenchmarkGatewayLatency is what the gateway adds to an answer, and what
// waiting for the receipt inline costs. On an in-process chain (300 ms
// blocks) one real miner daemon serves the digits MLP with the default
// receipt batcher; requests carry one row, through the gateway's OIP infer
// endpoint over HTTP on loopback with an API key.
//
//   - added: each iteration sends the row straight to the miner's axon, as a
//     client holding the gateway's hotkey (its own session), then through
//     the gateway with receipt_wait_ms 0 (the answer at once, the receipt by
//     URL): the key check, routing, the axon call, the answer's checks and
//     the JSON encoding. Reported: both p50s and added-p50-us, their
//     difference (both see the same machine load).
//   - inline/back-to-back: the gateway's default (the answer waits for its
//     receipt) for a lone caller sending request after request: each leaf
//     comes just after the previous root, so it waits for the miner's
//     batch_interval.
//   - inline/after-idle: the same with a pause of twice batch_interval
//     before each request (in ns/op, not in the p50): the miner signs the
//     leaf's root at once.
//
// Setting up the chain and the miner takes 20-40 s, once per run.
func BenchmarkGatewayLatency(b *testing.B) {
	r := newRig(b)
	straight, now, inline := r.direct, r.post(map[string]any{"receipt_wait_ms": 0}), r.post(nil)
	// warm up: both sessions open, the HTTP connection kept alive
	for range 3 {
		for _, f := range []func() error{straight, now, inline} {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
	}
	p50 := func(d []time.Duration) float64 {
		slices.Sort(d)
		return quantileUs(d, 0.50)
	}
	timed := func(b *testing.B, f func() error) time.Duration {
		t0 := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}
	b.Run("added", func(b *testing.B) {
		var ds, gs []time.Duration
		for b.Loop() {
			ds = append(ds, timed(b, straight))
			gs = append(gs, timed(b, now))
		}
		b.StopTimer()
		d50, g50 := p50(ds), p50(gs)
		b.ReportMetric(d50, "direct-p50-us")
		b.ReportMetric(g50, "gateway-p50-us")
		b.ReportMetric(g50-d50, "added-p50-us")
	})
	b.Run("inline/back-to-back", func(b *testing.B) {
		var gs []time.Duration
		for b.Loop() {
			gs = append(gs, timed(b, inline))
		}
		b.StopTimer()
		b.ReportMetric(p50(gs), "gateway-p50-us")
	})
	b.Run("inline/after-idle", func(b *testing.B) {
		pause := 2 * axon.DefaultBatcherConfig().BatchInterval
		var gs []time.Duration
		for b.Loop() {
			time.Sleep(pause)
			gs = append(gs, timed(b, inline))
		}
		b.StopTimer()
		b.ReportMetric(p50(gs), "gateway-p50-us")
	})
}

// rig is a gateway in front of one real miner daemon serving the digits
// MLP, on an in-process chain (300 ms blocks), with an API key, and a
// direct axon client holding the gateway's hotkey (its own session).
type rig struct {
	g      *gateway.Gateway
	key    string
	hc     *http.Client
	row    []float32
	direct func() error // one row straight to the miner's axon
}

func newRig(b *testing.B) *rig {
	b.Helper()
	n := newTestNet(b)
	m, _ := startMiner(b, n.c, "miner", n.modelPath, netuid)
	cfg := gatewayConfig(n.c, n.keyDir, "1")
	cfg.Dashboard.Enabled = false
	cfg.KeyCacheTTL = gateway.DefaultConfig().KeyCacheTTL // the tests' 0 asks the store every time
	g := startGateway(b, cfg, map[string]float64{"digits": 1})
	_, key, err := g.Store().CreateKey(context.Background(), store.KeySpec{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	// the miner's axon as the chain announces it
	nr, err := n.c.Neuron(netuid, m.Hotkey())
	if err != nil {
		b.Fatal(err)
	}
	target := axon.AxonTarget{Hotkey: m.Hotkey(), Netuid: netuid, TLSFingerprint: nr.Axon.TlsFingerprint,
		Address: net.JoinHostPort(nr.Axon.Host, strconv.FormatUint(uint64(nr.Axon.Port), 10))}
	signer, err := axon.NewKeyringSigner(n.kr, "gw")
	if err != nil {
		b.Fatal(err)
	}
	opts := axon.DefaultClientOptions()
	opts.ChainID = n.c.Cfg.ChainID
	client, err := axon.NewClient(signer, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Close() })
	row := n.held.Features[:64]
	in := []*axonpb.Tensor{axon.Float32Tensor("input", []int64{1, 64}, row)}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1024
	b.Cleanup(tr.CloseIdleConnections)
	return &rig{g: g, key: key, hc: &http.Client{Transport: tr}, row: row, direct: func() error {
		_, err := client.Infer(context.Background(), target, in)
		return err
	}}
}

// post returns a function that sends one row through the gateway's OIP
// infer endpoint with params.
func (r *rig) post(params map[string]any) func() error {
	body, err := json.Marshal(map[string]any{"parameters": params, "inputs": []map[string]any{{
		"name": "input", "shape": []int{1, 64}, "datatype": "FP32", "data": r.row}}})
	if err != nil {
		panic(err) // a map of plain values
	}
	url := "http://" + r.g.Addr() + "/v2/models/digits/infer"
	return func() error {
		req, err := http.NewRequest("POST", url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+r.key)
		req.Header.Set("Content-Type", "application/json")
		res, err := r.hc.Do(req)
		if err != nil {
			return err
		}
		out, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			return fmt.Errorf("gateway: %d %s %v", res.StatusCode, out, err)
		}
		return nil
	}
}
