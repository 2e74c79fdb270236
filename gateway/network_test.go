package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/chainclient"
	tcmd "github.com/tensorcosm/tensorcosm/cmd/tensorcosmd/cmd"
	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/gateway/oip"
	"github.com/tensorcosm/tensorcosm/gateway/store"
	"github.com/tensorcosm/tensorcosm/task/digits"
	"github.com/tensorcosm/tensorcosm/task/textline"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

const netuid = 1

// TestGatewayOnNetwork runs the gateway against an in-process chain, two
// honest miner daemons and one lying miner (it commits to the honest model
// and answers with an untrained one), and checks every endpoint, field by
// field and against the OpenAPI document, with each key and limit case.
func TestGatewayOnNetwork(t *testing.T) {
	n := newTestNet(t)
	c, strongPath, held, keyDir := n.c, n.modelPath, n.held, n.keyDir
	opts := digits.DefaultTrainOptions()
	opts.Epochs = 0
	weakPath, _ := neurontest.TrainModel(t, opts)
	addrs := []string{n.cold, n.hot}
	// subnet 2: text lines, served by the PP-OCRv4 recognizer
	tlSpec := textline.Task{}.DefaultSpec()
	n.createSubnet(t, "textline", tlSpec, 2)
	register(t, c, n.kr, n.cold, n.hot, 2)
	_, _ = startMiner(t, c, "ocr", ortlib.OCRModelPath(t), 2)

	_, _ = startMiner(t, c, "honest-a", strongPath, netuid)
	_, _ = startMiner(t, c, "honest-b", strongPath, netuid)
	startLiar(t, c, "liar", &liar{SessionModel: sessionModel(t, strongPath), b: sessionModel(t, weakPath)}, netuid, addrs[1])

	cfg := gatewayConfig(c, keyDir, "1,2")
	cfg.CORSOrigins = "https://app.example"
	g := startGateway(t, cfg, map[string]float64{"digits": 3, "textline": 1})

	ctx := c.Ctx
	s := g.Store()
	_, full, err := s.CreateKey(ctx, store.KeySpec{Name: "full"})
	must(t, err)
	_, slow, err := s.CreateKey(ctx, store.KeySpec{Name: "slow", RatePerSec: 0.001, Burst: 1})
	must(t, err)
	_, quota, err := s.CreateKey(ctx, store.KeySpec{Name: "quota", DailyQuota: 1})
	must(t, err)
	_, other, err := s.CreateKey(ctx, store.KeySpec{Name: "other-subnet", Subnets: []uint32{7}})
	must(t, err)
	_, revoked, err := s.CreateKey(ctx, store.KeySpec{Name: "revoked"})
	must(t, err)
	must(t, s.RevokeKey(ctx, "revoked"))
	auth := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	var exchanges []exchange
	check := func(x exchange, status int) exchange {
		t.Helper()
		exchanges = append(exchanges, x)
		if x.status != status {
			t.Fatalf("%s %s: status %d, want %d: %s", x.req.Method, x.req.URL.Path, x.status, status, x.body)
		}
		if status >= 400 {
			e := decode[oip.ErrorResponse](t, x)
			if e.Error == "" {
				t.Fatalf("%s %s: error body without a message: %s", x.req.Method, x.req.URL.Path, x.body)
			}
		}
		return x
	}
	addr := g.Addr()

	// health and metadata
	check(do(t, addr, "GET", "/v2/health/live", nil, nil), 200)
	check(do(t, addr, "GET", "/v2/health/ready", nil, nil), 200)
	sm := decode[oip.ServerMetadata](t, check(do(t, addr, "GET", "/v2", nil, nil), 200))
	if sm.Name != "tensorcosm-gateway" || sm.Version == "" {
		t.Errorf("server metadata %+v", sm)
	}
	for _, model := range []string{"digits", "1"} {
		md := decode[oip.ModelMetadata](t, check(do(t, addr, "GET", "/v2/models/"+model, nil, nil), 200))
		if md.Name != "digits" || len(md.Inputs) != 1 || md.Inputs[0].Name != "input" || md.Inputs[0].Datatype != "FP32" ||
			fmt.Sprint(md.Inputs[0].Shape) != "[-1 64]" || len(md.Outputs) != 1 || md.Outputs[0].Datatype != "FP32" {
			t.Errorf("model metadata of %s: %+v", model, md)
		}
		check(do(t, addr, "GET", "/v2/models/"+model+"/ready", nil, nil), 200)
	}
	check(do(t, addr, "GET", "/v2/models/nope", nil, nil), 404)
	check(do(t, addr, "GET", "/v2/models/nope/ready", nil, nil), 404)

	// infer: three rows of the held-out set
	rows := 3
	flat := held.Features[:rows*64]
	body, _ := json.Marshal(map[string]any{"id": "req-1", "inputs": []map[string]any{{"name": "input", "shape": []int{rows, 64},
		"datatype": "FP32", "data": flat}}})
	x := check(do(t, addr, "POST", "/v2/models/digits/infer", body, auth(full)), 200)
	res := decode[oip.InferResponse](t, x)
	if res.ModelName != "digits" || res.ID != "req-1" || len(res.Outputs) != 1 || res.Outputs[0].Name != "probabilities" ||
		fmt.Sprint(res.Outputs[0].Shape) != fmt.Sprint([]int64{int64(rows), 10}) || res.Outputs[0].Datatype != "FP32" {
		t.Fatalf("infer response %s", x.body)
	}
	checkProvenance(t, c, x, res.Parameters)

	// the receipt URL serves the same receipt
	rx := check(do(t, addr, "GET", x.header.Get(gateway.HeaderReceiptURL), nil, nil), 200)
	r, err := axon.UnmarshalReceipt(rx.body)
	must(t, err)
	must(t, axon.VerifyReceipt(r))
	check(do(t, addr, "GET", "/v1/receipts/0123456789abcdef", nil, nil), 404)

	// receipt_wait_ms 0: the answer at once, without its receipt, which the
	// URL serves once the miner signs its root (up to its 50 ms batch
	// interval later: the root cannot reach the gateway before the answer)
	nowBody, _ := json.Marshal(map[string]any{"parameters": map[string]any{"receipt_wait_ms": 0}, "inputs": []map[string]any{{
		"name": "input", "shape": []int{rows, 64}, "datatype": "FP32", "data": flat}}})
	pixels, _ := json.Marshal(map[string]any{"pixels": [][]float32{scale16(held.Features[:64])}})
	for _, x := range []exchange{
		check(do(t, addr, "POST", "/v2/models/digits/infer", nowBody, auth(full)), 200),
		check(do(t, addr, "POST", "/v1/subnets/1/predict?receipt_wait_ms=0", pixels, auth(full)), 200),
	} {
		if x.header.Get(gateway.HeaderReceiptURL) == "" || bytes.Contains(x.body, []byte(`"tensorcosm_receipt"`)) {
			t.Fatalf("receipt_wait_ms 0: want a receipt URL and no inline receipt: %s", x.body)
		}
		var later exchange
		until(t, "the receipt of an answer sent without waiting", 30*time.Second, func() bool {
			later = do(t, addr, "GET", x.header.Get(gateway.HeaderReceiptURL), nil, nil)
			return later.status != 202 // pending
		})
		r, err := axon.UnmarshalReceipt(check(later, 200).body)
		must(t, err)
		must(t, axon.VerifyReceipt(r))
	}
	// and `tensorcosmd receipt verify` accepts what the user received, against the chain
	receiptFile := filepath.Join(t.TempDir(), "receipt.json")
	must(t, os.WriteFile(receiptFile, rx.body, 0o600))
	root, err := tcmd.NewRootCmd()
	must(t, err)
	var verifyOut bytes.Buffer
	root.SetOut(&verifyOut)
	root.SetErr(&verifyOut)
	root.PersistentFlags().String(flags.FlagHome, t.TempDir(), "node home")
	root.SetArgs([]string{"receipt", "verify", receiptFile, "--node", c.Net.Validators[0].RPCAddress, "--output", "json"})
	if err := root.Execute(); err != nil {
		t.Fatalf("receipt verify: %v: %s", err, verifyOut.String())
	}
	var report map[string]any
	must(t, json.Unmarshal(verifyOut.Bytes(), &report))
	if report["valid"] != true || report["chain_model_sha256"] != res.Parameters["tensorcosm_model_sha256"] {
		t.Fatalf("receipt verify report %v", report)
	}

	// CORS: a preflight from the allowed origin, and none for another
	pre := do(t, addr, "OPTIONS", "/v2/models/digits/infer", nil, map[string]string{"Origin": "https://app.example",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"})
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	if x := do(t, addr, "GET", "/v2", nil, map[string]string{"Origin": "https://evil.example"}); x.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS allowed an unlisted origin: %v", x.header)
	}

	// bad tensors, unknown outputs, bad parameters: 400 before any miner
	for name, b := range map[string]string{
		"shape":        `{"inputs":[{"name":"input","shape":[1,63],"datatype":"FP32","data":[` + strings.Repeat("0,", 62) + `0]}]}`,
		"count":        `{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[1,2]}]}`,
		"datatype":     `{"inputs":[{"name":"input","shape":[1,64],"datatype":"BYTES","data":[` + strings.Repeat("0,", 63) + `0]}]}`,
		"name":         `{"inputs":[{"name":"pixels","shape":[1,64],"datatype":"FP32","data":[` + strings.Repeat("0,", 63) + `0]}]}`,
		"json":         `{"inputs":[`,
		"output":       `{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[` + strings.Repeat("0,", 63) + `0]}],"outputs":[{"name":"logits"}]}`,
		"receipt_wait": `{"parameters":{"receipt_wait_ms":-1},"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[` + strings.Repeat("0,", 63) + `0]}]}`,
		"redundancy":   `{"parameters":{"redundancy":9},"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[` + strings.Repeat("0,", 63) + `0]}]}`,
	} {
		x := check(do(t, addr, "POST", "/v2/models/digits/infer", []byte(b), auth(full)), 400)
		t.Logf("400 %s: %s", name, strings.TrimSpace(string(x.body)))
	}
	check(do(t, addr, "POST", "/v2/models/nope/infer", body, auth(full)), 404)

	// keys and limits
	check(do(t, addr, "POST", "/v2/models/digits/infer", body, nil), 401)
	check(do(t, addr, "POST", "/v2/models/digits/infer", body, auth("tcg_nope_nope")), 401)
	check(do(t, addr, "POST", "/v2/models/digits/infer", body, auth(revoked)), 403)
	check(do(t, addr, "POST", "/v2/models/digits/infer", body, auth(other)), 403)
	check(do(t, addr, "POST", "/v2/models/digits/infer", body, map[string]string{"X-API-Key": slow}), 200)
	x = check(do(t, addr, "POST", "/v2/models/digits/infer", body, map[string]string{"X-API-Key": slow}), 429)
	if x.header.Get("Retry-After") == "" {
		t.Errorf("429 for the rate without Retry-After")
	}
	check(do(t, addr, "POST", "/v2/models/digits/infer", body, auth(quota)), 200)
	x = check(do(t, addr, "POST", "/v2/models/digits/infer", body, auth(quota)), 429)
	if ra := x.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 for the quota with Retry-After %q", ra)
	}
	big := []byte(`{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[` + strings.Repeat("0,", cfg.MaxBodyBytes/2) + `0]}]}`)
	check(do(t, addr, "POST", "/v2/models/digits/infer", big, auth(full)), 413)

	// predict: the natural payload and answer
	payload, _ := json.Marshal(map[string]any{"pixels": [][]float32{scale16(held.Features[:64]), scale16(held.Features[64:128])}})
	px := check(do(t, addr, "POST", "/v1/subnets/1/predict", payload, auth(full)), 200)
	var pr struct {
		Netuid     uint32          `json:"netuid"`
		Answers    []digits.Answer `json:"answers"`
		Provenance map[string]any  `json:"provenance"`
	}
	if err := json.Unmarshal(px.body, &pr); err != nil {
		t.Fatal(err)
	}
	if pr.Netuid != netuid || len(pr.Answers) != 2 || len(pr.Answers[0].Probabilities) != 10 {
		t.Fatalf("predict answer %s", px.body)
	}
	for i, a := range pr.Answers {
		if a.Label != held.Labels[i] {
			t.Logf("row %d: label %d, truth %d (the model is not perfect; logged only)", i, a.Label, held.Labels[i])
		}
	}
	checkProvenance(t, c, px, pr.Provenance)
	check(do(t, addr, "POST", "/v1/subnets/1/predict", []byte(`{"pixels":[1,2,3]}`), auth(full)), 400)
	check(do(t, addr, "POST", "/v1/subnets/1/predict", []byte("not a png"), map[string]string{"Authorization": "Bearer " + full,
		"Content-Type": "image/png"}), 400)

	// predict on textline: a rendered line as the JSON payload and as a PNG upload
	js, pngBytes := textlineSample(t, tlSpec, 1)
	type tlResponse struct {
		Answers    []textline.Answer `json:"answers"`
		Provenance map[string]any    `json:"provenance"`
	}
	var texts []string
	for _, x := range []exchange{
		check(do(t, addr, "POST", "/v1/subnets/2/predict", js, auth(full)), 200),
		check(do(t, addr, "POST", "/v1/subnets/2/predict", pngBytes, map[string]string{"Authorization": "Bearer " + full,
			"Content-Type": "image/png"}), 200),
	} {
		res := decode[tlResponse](t, x)
		if len(res.Answers) != 1 || res.Answers[0].Text == "" ||
			len(res.Answers[0].Confidences) != len([]rune(res.Answers[0].Text)) {
			t.Fatalf("textline predict answer %s", x.body)
		}
		if p := res.Provenance; p["tensorcosm_miner_uid"] == nil || p["tensorcosm_receipt_url"] == nil {
			t.Fatalf("textline predict without provenance: %s", x.body)
		}
		texts = append(texts, res.Answers[0].Text)
	}
	if texts[0] != texts[1] {
		t.Errorf("the same line read %q as JSON and %q as PNG", texts[0], texts[1])
	}
	t.Logf("textline predict read %q", texts[0])
	check(do(t, addr, "POST", "/v1/subnets/9/predict", payload, auth(full)), 404)

	// redundancy 3: the two honest miners outvote the liar
	rbody, _ := json.Marshal(map[string]any{"parameters": map[string]any{"redundancy": 3}, "inputs": []map[string]any{{"name": "input",
		"shape": []int{rows, 64}, "datatype": "FP32", "data": flat}}})
	for range 3 {
		x := check(do(t, addr, "POST", "/v2/models/digits/infer", rbody, auth(full)), 200)
		res := decode[oip.InferResponse](t, x)
		if a, _ := res.Parameters["tensorcosm_agreement"].(float64); a != 2 {
			t.Fatalf("agreement %v, want 2 (two honest miners against the liar): %s", res.Parameters["tensorcosm_agreement"], x.body)
		}
		if x.header.Get(gateway.HeaderMiner) == liarHotkey(t, c) {
			t.Fatalf("the liar's answer was returned")
		}
		answers, _ := res.Parameters["tensorcosm_answers"].([]any)
		if len(answers) != 3 {
			t.Fatalf("want three answers with their receipts, got %v", res.Parameters["tensorcosm_answers"])
		}
		disagree := 0
		for _, a := range answers {
			if m := a.(map[string]any); m["agrees"] == false {
				disagree++
				if m["miner_hotkey"] != liarHotkey(t, c) {
					t.Errorf("an honest miner disagreed: %v", m)
				}
			}
		}
		if disagree != 1 {
			t.Errorf("%d answers disagree, want the liar's only", disagree)
		}
	}

	// OpenAPI: every exchange above conforms
	check(do(t, addr, "GET", "/openapi.json", nil, nil), 200)
	for _, x := range exchanges {
		if err := oip.ValidateExchange(x.req, x.reqBody, x.status, x.header, x.body); err != nil {
			t.Errorf("%s %s -> %d does not conform to /openapi.json: %v", x.req.Method, x.req.URL.Path, x.status, err)
		}
	}

	// metrics: requests by model, endpoint and code, upstream latency, agreement
	for _, series := range []string{
		`tensorcosm_gateway_requests_total{code="200",endpoint="infer",model="digits"}`,
		`tensorcosm_gateway_requests_total{code="429",endpoint="infer",model="digits"}`,
		`tensorcosm_gateway_requests_total{code="200",endpoint="predict",model="textline"}`,
		`tensorcosm_gateway_agreement_count{model="digits"}`,
		`tensorcosm_gateway_receipts_total{result="verified"}`,
	} {
		if v, ok := metricValue(t, g.MetricsAddr(), series); !ok || v < 1 {
			t.Errorf("metric %s = %v (found %v), want at least 1", series, v, ok)
		}
	}

	// usage was recorded per key and subnet (within usage_flush_interval)
	today := time.Now().UTC().Format(time.DateOnly)
	var us []store.Usage
	until(t, "the usage of both subnets", 10*time.Second, func() bool {
		us, err = s.UsageOf(ctx, "", today, today)
		must(t, err)
		subnets := map[uint32]bool{}
		for _, u := range us {
			subnets[u.Netuid] = true
		}
		return subnets[1] && subnets[2]
	})
	t.Logf("usage rows: %+v", us)
}

var liarHot string

func liarHotkey(t *testing.T, c *neurontest.Chain) string {
	if liarHot == "" {
		rec, err := c.Keyring().Key("liar-hot")
		must(t, err)
		a, err := rec.GetAddress()
		must(t, err)
		liarHot = a.String()
	}
	return liarHot
}

// checkProvenance checks an answer's provenance: headers and parameters
// agree, the receipt verifies, its leaf names the miner's committed model
// and the block height, and that model is the miner's on-chain commitment.
func checkProvenance(t *testing.T, c *neurontest.Chain, x exchange, p map[string]any) {
	t.Helper()
	hot := x.header.Get(gateway.HeaderMiner)
	if hot == "" || p["tensorcosm_miner_hotkey"] != hot || p["tensorcosm_model_sha256"] != x.header.Get(gateway.HeaderModelSHA256) {
		t.Fatalf("provenance headers %v and parameters %v disagree", x.header, p)
	}
	b64, _ := p["tensorcosm_receipt"].(string)
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || b64 == "" {
		t.Fatalf("no base64 receipt in the answer: %v", p)
	}
	r, err := axon.UnmarshalReceipt(raw)
	must(t, err)
	must(t, axon.VerifyReceipt(r))
	if r.GetRoot().GetMinerHotkey() != hot {
		t.Errorf("receipt signed by %s, answer from %s", r.GetRoot().GetMinerHotkey(), hot)
	}
	if got := fmt.Sprintf("%x", r.GetLeaf().GetModelSha256()); got != p["tensorcosm_model_sha256"] {
		t.Errorf("receipt model %s, provenance %v", got, p["tensorcosm_model_sha256"])
	}
	if h, _ := p["tensorcosm_block_height"].(float64); int64(h) != r.GetLeaf().GetBlockHeight() || h <= 0 {
		t.Errorf("block height %v, leaf %d", p["tensorcosm_block_height"], r.GetLeaf().GetBlockHeight())
	}
	n, err := c.Neuron(netuid, hot)
	must(t, err)
	if n.Model == nil || n.Model.Sha256 != p["tensorcosm_model_sha256"] {
		t.Errorf("on-chain commitment %v, provenance %v", n.Model, p["tensorcosm_model_sha256"])
	}
}

// register registers hot in the subnet, paid by cold, both in kr.
func register(t testing.TB, c *neurontest.Chain, kr keyring.Keyring, cold, hot string, netuid uint32) {
	t.Helper()
	client, err := chainclient.New(chainclient.Config{GRPCAddr: c.GRPCAddress(), ChainID: c.Cfg.ChainID}, kr)
	must(t, err)
	defer client.Close()
	res, err := client.Broadcast(c.Ctx, []string{"gwcold", "gw"}, &subnettypes.MsgRegister{Coldkey: cold, Hotkey: hot,
		Netuid: netuid, MaxBurn: sdkmath.NewInt(1_000_000_000)})
	must(t, err)
	if res.Code != 0 {
		t.Fatalf("register the gateway's hotkey: code %d: %s", res.Code, res.RawLog)
	}
}

// scale16 turns the data set's [0, 1] pixels back into its raw 0..16 unit,
// the digits payload's.
func scale16(px []float32) []float32 {
	out := make([]float32, len(px))
	for i, v := range px {
		out[i] = v * 16
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
