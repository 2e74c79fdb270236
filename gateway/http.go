package gateway

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/gateway/route"
	"github.com/tensorcosm/tensorcosm/task"
)

// Provenance header names, also in every answer's parameters (as
// tensorcosm_<snake case>).
const (
	HeaderMiner       = "Tensorcosm-Miner-Hotkey"
	HeaderMinerUID    = "Tensorcosm-Miner-Uid"
	HeaderModelSHA256 = "Tensorcosm-Model-Sha256"
	HeaderBlockHeight = "Tensorcosm-Block-Height"
	HeaderReceiptURL  = "Tensorcosm-Receipt-Url"
	HeaderAgreement   = "Tensorcosm-Agreement"
)

// Handler is the API: OIP v2, predict, receipts and the OpenAPI document,
// and, when enabled, the web dashboard and its JSON.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/health/live", g.endpoint("live", g.live))
	mux.HandleFunc("GET /v2/health/ready", g.endpoint("ready", g.ready))
	mux.HandleFunc("GET /v2", g.endpoint("server_metadata", g.serverMetadata))
	mux.HandleFunc("GET /v2/models/{model}", g.endpoint("model_metadata", g.modelMetadata))
	mux.HandleFunc("GET /v2/models/{model}/ready", g.endpoint("model_ready", g.modelReady))
	mux.HandleFunc("POST /v2/models/{model}/infer", g.endpoint("infer", g.infer))
	mux.HandleFunc("POST /v1/subnets/{netuid}/predict", g.endpoint("predict", g.predict))
	mux.HandleFunc("GET /v1/receipts/{id}", g.endpoint("receipt", g.receipt))
	if g.cfg.Dashboard.Enabled {
		g.mountDashboard(mux)
	}
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(oip.OpenAPI())
	})
	mux.HandleFunc("/", g.endpoint("unknown", func(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
		return "", nil, errorf(http.StatusNotFound, "no such endpoint: %s %s (see /openapi.json)", r.Method, r.URL.Path)
	}))
	return g.cors(mux)
}

// handlerFunc serves one endpoint: it returns the model label for the
// metrics, the JSON body, or an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (model string, body any, err *apiError)

// endpoint wraps h with JSON encoding, errors in the protocol's shape and
// the request metrics.
func (g *Gateway) endpoint(name string, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		g.metrics.inflight.Inc()
		defer g.metrics.inflight.Dec()
		model, body, aerr := h(w, r)
		status := http.StatusOK
		if wr, ok := body.(written); ok {
			status = wr.status
		} else if aerr != nil {
			status = aerr.status
			if aerr.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(aerr.retryAfter))
			}
			body = oip.ErrorResponse{Error: aerr.msg}
			if status >= 500 {
				g.log.Warn("request failed", "endpoint", name, "model", model, "status", status, "err", aerr.msg)
			}
		}
		if _, ok := body.(written); !ok {
			writeJSON(w, status, body)
		}
		took := time.Since(start)
		g.metrics.requests.WithLabelValues(model, name, strconv.Itoa(status)).Inc()
		g.metrics.latency.WithLabelValues(model, name).Observe(took.Seconds())
		if name == "infer" || name == "predict" {
			g.traffic.observe(took, status >= 500 || status == http.StatusTooManyRequests)
		}
	}
}

// written is returned as the body by a handler that wrote its own
// response with status.
type written struct{ status int }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// cors answers preflights and sets Access-Control-* for allowed origins.
func (g *Gateway) cors(next http.Handler) http.Handler {
	origins := g.cfg.corsOrigins()
	if len(origins) == 0 {
		return next
	}
	any := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (any || slices.Contains(origins, origin)) {
			h := w.Header()
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
			}
			h.Set("Access-Control-Expose-Headers", strings.Join([]string{"Retry-After", HeaderMiner, HeaderMinerUID,
				HeaderModelSHA256, HeaderBlockHeight, HeaderReceiptURL, HeaderAgreement}, ", "))
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (g *Gateway) live(http.ResponseWriter, *http.Request) (string, any, *apiError) {
	return "", map[string]bool{"live": true}, nil
}

// ready is 200 {"ready": true} once every subnet's metagraph is read, and
// 503 (what load balancers and probes act on) before that and while
// draining.
func (g *Gateway) ready(w http.ResponseWriter, _ *http.Request) (string, any, *apiError) {
	if !g.life.Ready() {
		return "", nil, &apiError{status: http.StatusServiceUnavailable, msg: "not ready: metagraphs not read yet, or draining", retryAfter: 1}
	}
	return "", map[string]bool{"ready": true}, nil
}

func (g *Gateway) serverMetadata(http.ResponseWriter, *http.Request) (string, any, *apiError) {
	return "", oip.ServerMetadata{Name: "tensorcosm-gateway", Version: Version, Extensions: []string{"tensorcosm-provenance"}}, nil
}

// model resolves {model} to a served subnet with a metagraph.
func (g *Gateway) model(r *http.Request) (*subnet, *subnetState, *apiError) {
	return g.modelNamed(r.PathValue("model"))
}

// modelNamed resolves a subnet name or netuid to a served subnet with a
// metagraph.
func (g *Gateway) modelNamed(name string) (*subnet, *subnetState, *apiError) {
	sn, st, ok := g.subnetFor(name)
	if sn == nil {
		return nil, nil, errorf(http.StatusNotFound, "unknown model %q: this gateway serves subnets %s (by name or netuid)", name, g.cfg.Subnets)
	}
	if !ok {
		return nil, nil, &apiError{status: http.StatusServiceUnavailable, msg: fmt.Sprintf("subnet %d: metagraph not read yet", sn.netuid), retryAfter: 1}
	}
	return sn, st, nil
}

func (g *Gateway) modelMetadata(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	sn, st, aerr := g.model(r)
	if aerr != nil {
		return "", nil, aerr
	}
	md := oip.Metadata(st.name, st.snap.Subnet.Task)
	if md.Parameters == nil {
		md.Parameters = map[string]any{}
	}
	md.Parameters["netuid"] = sn.netuid
	md.Parameters["task_kind"] = st.snap.Subnet.Task.Kind
	md.Parameters["miners"] = len(st.miners)
	md.Parameters["block_height"] = st.snap.Height
	return st.name, md, nil
}

func (g *Gateway) modelReady(_ http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	_, st, aerr := g.model(r)
	if aerr != nil {
		return "", nil, aerr
	}
	if len(st.miners) == 0 {
		return st.name, nil, &apiError{status: http.StatusServiceUnavailable, msg: fmt.Sprintf("model %s: no miner serves it", st.name), retryAfter: 5}
	}
	return st.name, map[string]any{"name": st.name, "ready": true}, nil
}

// readBody reads the size-limited body: 413 past MaxBodyBytes.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(g.cfg.MaxBodyBytes)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", g.cfg.MaxBodyBytes)
		}
		return nil, errorf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	return b, nil
}

// options are a request's routing parameters.
type options struct {
	timeout     time.Duration
	redundancy  int
	receiptWait time.Duration
}

// parseOptions reads timeout_ms, redundancy and receipt_wait_ms from get
// (OIP parameters or the query string).
func (g *Gateway) parseOptions(get func(string) (any, bool)) (options, *apiError) {
	o := options{timeout: g.cfg.RequestTimeout, redundancy: 1, receiptWait: g.cfg.ReceiptWait}
	if v, ok := get("timeout_ms"); ok {
		ms, ok := asInt(v)
		if !ok || ms <= 0 {
			return o, errorf(http.StatusBadRequest, "parameters.timeout_ms: want a positive integer of milliseconds, got %v", v)
		}
		o.timeout = min(time.Duration(ms)*time.Millisecond, g.cfg.MaxRequestTimeout)
	}
	if v, ok := get("redundancy"); ok {
		k, ok := asInt(v)
		if !ok || k < 1 || k > int64(g.cfg.MaxRedundancy) {
			return o, errorf(http.StatusBadRequest, "parameters.redundancy: want an integer from 1 to %d, got %v", g.cfg.MaxRedundancy, v)
		}
		o.redundancy = int(k)
	}
	// a caller who wants the answer now, not its receipt inline, says so:
	// 0 returns at once with the receipt URL (the root takes up to the
	// miners' batch interval, 1 ms by default)
	if v, ok := get("receipt_wait_ms"); ok {
		ms, ok := asInt(v)
		if !ok || ms < 0 {
			return o, errorf(http.StatusBadRequest, "parameters.receipt_wait_ms: want an integer of milliseconds, 0 or more, got %v", v)
		}
		o.receiptWait = min(time.Duration(ms)*time.Millisecond, g.cfg.ReceiptWait)
	}
	return o, nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// upstream is one miner's checked answer.
type upstream struct {
	miner   minerTarget
	answer  *axon.Answer
	outputs task.Tensors
	key     string // agreement key (redundancy)
}

// outcome is what a routed request produced.
type outcome struct {
	best      *upstream
	agree     int
	all       []*upstream
	attempts  int
	receiptID []string // per answer in all (best first)
	receipts  []string // base64, "" while pending
}

// route sends inputs to the subnet's miners (with redundancy k) and checks
// every answer: outputs fit the task spec for rows, and the leaf's model
// hash is the miner's commitment. Then it waits (briefly) for receipts.
func (g *Gateway) route(ctx context.Context, sn *subnet, st *subnetState, inputs task.Tensors, rows int, o options) (*outcome, *apiError) {
	if len(st.miners) == 0 {
		return nil, &apiError{status: http.StatusServiceUnavailable, msg: fmt.Sprintf("subnet %d: no miner available", sn.netuid), retryAfter: 5}
	}
	spec := st.snap.Subnet.Task
	ax := axon.FromONNX(specNames(spec.Inputs), inputs)
	var codec task.Codec
	if st.inst != nil {
		codec = st.inst.Codec()
	}
	call := func(ctx context.Context, c route.Candidate) (any, error) {
		m, ok := st.miners[c.Key]
		if !ok {
			return nil, fmt.Errorf("miner %s left the metagraph", c.Key)
		}
		ans, err := g.client.InferWithReceipt(ctx, m.target, ax)
		if err != nil {
			return nil, err
		}
		outs := axon.ToONNX(ans.GetOutputs())
		if err := task.CheckOutputs(spec, outs, rows); err != nil {
			return nil, fmt.Errorf("miner uid %d answered outside the task spec: %w", m.uid, err)
		}
		if h := ans.GetLeaf().GetBlockHeight(); h <= 0 {
			return nil, fmt.Errorf("miner uid %d answered with block height %d in its receipt leaf", m.uid, h)
		}
		if got := hex.EncodeToString(ans.GetLeaf().GetModelSha256()); got != m.model {
			return nil, fmt.Errorf("miner uid %d answered with model %s, committed %s", m.uid, got, m.model)
		}
		u := &upstream{miner: m, answer: ans, outputs: outs}
		// the agreement key is needed only to compare redundant answers
		if codec != nil && o.redundancy > 1 {
			if answers, err := codec.Answer(outs); err == nil {
				keys := make([]string, len(answers))
				for i, a := range answers {
					keys[i] = codec.Agree(a)
				}
				u.key = strings.Join(keys, "\x1f")
			}
		}
		return u, nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	out := &outcome{}
	if o.redundancy <= 1 {
		res, err := sn.router.Do(ctx, call)
		out.attempts = res.Attempts
		if res.Attempts > 1 {
			g.metrics.retries.WithLabelValues(st.name).Add(float64(res.Attempts - 1))
		}
		if err != nil {
			return nil, routeError(sn, err, ctx)
		}
		out.best, out.agree = res.Value.(*upstream), 1
		out.all = []*upstream{out.best}
	} else {
		best, agree, all, err := sn.router.DoRedundant(ctx, o.redundancy, call, func(v any) string {
			u := v.(*upstream)
			if u.key == "" {
				return hex.EncodeToString(axon.ResponseHash(u.answer.GetOutputs()))
			}
			return u.key
		})
		if err != nil {
			return nil, routeError(sn, err, ctx)
		}
		out.best, out.agree = best.Value.(*upstream), agree
		out.all = append(out.all, out.best)
		out.attempts = len(all)
		for _, r := range all {
			if r.Err == nil && r.Value != nil && r.Value.(*upstream) != out.best {
				out.all = append(out.all, r.Value.(*upstream))
			}
		}
		g.metrics.agreement.WithLabelValues(st.name).Observe(float64(agree))
	}
	// receipts: wait up to o.receiptWait for all of them together, then hand
	// out the verified ones inline and the rest by URL
	entries := make([]*receiptEntry, len(out.all))
	for i, u := range out.all {
		id, e := g.receipts.add()
		out.receiptID = append(out.receiptID, id)
		entries[i] = e
		go settle(context.WithoutCancel(ctx), u.answer, max(g.cfg.ReceiptWait, 10*time.Second), e)
	}
	// one deadline for all of them: once it passes, every receipt still
	// pending is handed out by URL at once; with receipt_wait_ms 0 none is
	// waited for or inlined
	wait, cancel := context.WithTimeout(context.Background(), o.receiptWait)
	defer cancel()
	for i, e := range entries {
		done := false
		if o.receiptWait > 0 {
			select {
			case <-e.done:
			case <-wait.Done():
			}
			select {
			case <-e.done:
				done = true
			default:
			}
		}
		b64 := ""
		switch {
		case !done:
			g.metrics.receipts.WithLabelValues("pending").Inc()
		case e.err == nil:
			b64 = receiptB64(e.receipt)
			g.metrics.receipts.WithLabelValues("verified").Inc()
		default:
			g.metrics.receipts.WithLabelValues("failed").Inc()
			g.log.Warn("receipt check failed", "netuid", sn.netuid, "uid", out.all[i].miner.uid, "err", e.err)
		}
		out.receipts = append(out.receipts, b64)
	}
	return out, nil
}

// routeError maps a routing failure to its status: 504 when the request's
// deadline passed, else 503.
func routeError(sn *subnet, err error, ctx context.Context) *apiError {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errorf(http.StatusGatewayTimeout, "subnet %d: no answer within the request deadline: %v", sn.netuid, err)
	}
	if errors.Is(err, route.ErrNoCandidates) {
		return &apiError{status: http.StatusServiceUnavailable, retryAfter: 1, msg: fmt.Sprintf("subnet %d: no miner available (all breakers open)", sn.netuid)}
	}
	return &apiError{status: http.StatusServiceUnavailable, retryAfter: 1, msg: fmt.Sprintf("subnet %d: every miner tried failed: %v", sn.netuid, err)}
}

// provenance is the answer's provenance as parameters, and sets the
// headers.
func (g *Gateway) provenance(w http.ResponseWriter, r *http.Request, out *outcome) map[string]any {
	b := out.best
	leaf := b.answer.GetLeaf()
	url := "/v1/receipts/" + out.receiptID[0]
	h := w.Header()
	h.Set(HeaderMiner, b.miner.target.Hotkey)
	h.Set(HeaderMinerUID, strconv.FormatUint(uint64(b.miner.uid), 10))
	h.Set(HeaderModelSHA256, b.miner.model)
	h.Set(HeaderBlockHeight, strconv.FormatInt(leaf.GetBlockHeight(), 10))
	h.Set(HeaderReceiptURL, url)
	h.Set(HeaderAgreement, strconv.Itoa(out.agree))
	p := map[string]any{
		"tensorcosm_miner_hotkey": b.miner.target.Hotkey,
		"tensorcosm_miner_uid":    b.miner.uid,
		"tensorcosm_model_sha256": b.miner.model,
		"tensorcosm_block_height": leaf.GetBlockHeight(),
		"tensorcosm_receipt_url":  url,
		"tensorcosm_agreement":    out.agree,
		"tensorcosm_redundancy":   len(out.all),
		"tensorcosm_attempts":     out.attempts,
	}
	if out.receipts[0] != "" {
		p["tensorcosm_receipt"] = out.receipts[0]
	}
	if len(out.all) > 1 {
		var all []map[string]any
		for i, u := range out.all {
			e := map[string]any{"miner_hotkey": u.miner.target.Hotkey, "miner_uid": u.miner.uid,
				"model_sha256": u.miner.model, "agrees": u.key == b.key, "receipt_url": "/v1/receipts/" + out.receiptID[i]}
			if out.receipts[i] != "" {
				e["receipt"] = out.receipts[i]
			}
			all = append(all, e)
		}
		p["tensorcosm_answers"] = all
	}
	return p
}

// admitted authenticates r and applies the key's limits on sn.
func (g *Gateway) admitted(r *http.Request, sn *subnet) (principal, *apiError) {
	p, aerr := g.auth.authenticate(r.Context(), r)
	if aerr != nil {
		return p, aerr
	}
	return p, g.auth.admit(r.Context(), p, sn.netuid)
}

func (g *Gateway) infer(w http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	sn, st, aerr := g.model(r)
	if aerr != nil {
		return "", nil, aerr
	}
	p, aerr := g.admitted(r, sn)
	if aerr != nil {
		return st.name, nil, aerr
	}
	body, aerr := g.readBody(w, r)
	if aerr != nil {
		return st.name, nil, aerr
	}
	req, inputs, err := oip.DecodeInferRequest(body)
	if err != nil {
		return st.name, nil, errorf(http.StatusBadRequest, "%v", err)
	}
	rows, err := oip.CheckInputs(st.snap.Subnet.Task.Inputs, inputs)
	if err != nil {
		return st.name, nil, errorf(http.StatusBadRequest, "%v", err)
	}
	o, aerr := g.parseOptions(func(k string) (any, bool) { v, ok := req.Parameters[k]; return v, ok })
	if aerr != nil {
		return st.name, nil, aerr
	}
	// an unknown requested output is the caller's error, found before any miner is asked
	for _, ro := range req.Outputs {
		if !slices.ContainsFunc(st.snap.Subnet.Task.Outputs, func(s subnetTensorSpec) bool { return s.Name == ro.Name }) {
			return st.name, nil, errorf(http.StatusBadRequest, "%v: unknown output %q requested", oip.ErrBadRequest, ro.Name)
		}
	}
	out, aerr := g.route(r.Context(), sn, st, inputs, rows, o)
	if aerr != nil {
		g.auth.failed(r.Context(), p, sn.netuid)
		return st.name, nil, aerr
	}
	outputs, err := oip.EncodeOutputs(out.best.outputs, req.Outputs)
	if err != nil {
		return st.name, nil, errorf(http.StatusBadRequest, "%v", err)
	}
	return st.name, oip.InferResponse{ModelName: st.name, ModelVersion: out.best.miner.model, ID: req.ID,
		Parameters: g.provenance(w, r, out), Outputs: outputs}, nil
}

// PredictResponse is the answer of POST /v1/subnets/{netuid}/predict.
type PredictResponse struct {
	Netuid     uint32         `json:"netuid"`
	Model      string         `json:"model"`
	Answers    []any          `json:"answers"`
	Provenance map[string]any `json:"provenance"`
}

func (g *Gateway) predict(w http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	n, err := strconv.ParseUint(r.PathValue("netuid"), 10, 32)
	if err != nil {
		return "", nil, errorf(http.StatusNotFound, "unknown subnet %q: want a netuid", r.PathValue("netuid"))
	}
	sn, st, aerr := g.modelNamed(strconv.FormatUint(n, 10))
	if aerr != nil {
		return "", nil, aerr
	}
	if st.inst == nil {
		return st.name, nil, errorf(http.StatusNotImplemented, "subnet %d: task kind %q has no codec here: %v", sn.netuid, st.snap.Subnet.Task.Kind, st.instErr)
	}
	p, aerr := g.admitted(r, sn)
	if aerr != nil {
		return st.name, nil, aerr
	}
	body, aerr := g.readBody(w, r)
	if aerr != nil {
		return st.name, nil, aerr
	}
	codec := st.inst.Codec()
	var inputs task.Tensors
	ct := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]))
	if strings.HasPrefix(ct, "image/") {
		inputs, err = codec.DecodeImage(ct, body)
	} else {
		inputs, err = codec.DecodeJSON(body)
	}
	if err != nil {
		if errors.Is(err, task.ErrNotSupported) {
			return st.name, nil, errorf(http.StatusUnsupportedMediaType, "subnet %d (%s): %v", sn.netuid, st.snap.Subnet.Task.Kind, err)
		}
		return st.name, nil, errorf(http.StatusBadRequest, "%v", err)
	}
	rows, err := oip.CheckInputs(st.snap.Subnet.Task.Inputs, inputs)
	if err != nil {
		return st.name, nil, errorf(http.StatusBadRequest, "%v", err)
	}
	q := r.URL.Query()
	o, aerr := g.parseOptions(func(k string) (any, bool) {
		if !q.Has(k) {
			return nil, false
		}
		return q.Get(k), true
	})
	if aerr != nil {
		return st.name, nil, aerr
	}
	out, aerr := g.route(r.Context(), sn, st, inputs, rows, o)
	if aerr != nil {
		g.auth.failed(r.Context(), p, sn.netuid)
		return st.name, nil, aerr
	}
	answers, err := codec.Answer(out.best.outputs)
	if err != nil {
		g.auth.failed(r.Context(), p, sn.netuid)
		return st.name, nil, errorf(http.StatusBadGateway, "the miner's outputs do not decode: %v", err)
	}
	return st.name, PredictResponse{Netuid: sn.netuid, Model: st.name, Answers: answers, Provenance: g.provenance(w, r, out)}, nil
}

// receipt serves a receipt by id: 200 with the receipt (the JSON `tensorcosmd
// receipt verify` reads), 202 while its root is not signed yet, 404 unknown
// or evicted, 502 when the miner's receipt failed its check.
func (g *Gateway) receipt(w http.ResponseWriter, r *http.Request) (string, any, *apiError) {
	e, ok := g.receipts.get(r.PathValue("id"))
	if !ok {
		return "", nil, errorf(http.StatusNotFound, "unknown receipt %q (receipts are kept for the last %d answers)", r.PathValue("id"), g.cfg.ReceiptCache)
	}
	select {
	case <-e.done:
	case <-r.Context().Done():
		return "", nil, errorf(http.StatusGatewayTimeout, "request ended")
	case <-time.After(min(g.cfg.ReceiptWait, 5*time.Second)):
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "pending"})
		return "", written{http.StatusAccepted}, nil
	}
	if e.err != nil {
		return "", nil, errorf(http.StatusBadGateway, "no valid receipt: %v", e.err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(e.receipt)
	return "", written{http.StatusOK}, nil
}

// specNames are the tensor names of specs, in order.
func specNames(specs []subnetTensorSpec) []string {
	names := make([]string, len(specs))
	for i, sp := range specs {
		names[i] = sp.Name
	}
	return names
}

type subnetTensorSpec = subnettypes.TensorSpec
