package dashboard_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/gateway/dashboard"
)

type exchange struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, h http.Handler, method, path string, body []byte, header map[string]string) exchange {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return exchange{w.Code, w.Header(), b}
}

// strict decodes an answer into T, refusing fields T does not have.
func strict[T any](t *testing.T, x exchange) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(x.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T: %v\n%.300s", v, err, x.body)
	}
	return v
}

func get[T any](t *testing.T, h http.Handler, path string) T {
	t.Helper()
	x := call(t, h, "GET", path, nil, nil)
	if x.status != 200 || x.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s: %.300s", path, x.status, x.header.Get("Content-Type"), x.body)
	}
	return strict[T](t, x)
}

var (
	decimal = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
	hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// TestFixtureDocuments checks that every API path of api.go answers a
// document that decodes strictly into its type, with the shapes the pages
// rely on, for 4,096 neurons.
func TestFixtureDocuments(t *testing.T) {
	f := dashboard.NewFixture(4096, 64, 30)
	h := f.Handler()

	cfg := get[dashboard.Config](t, h, dashboard.PathConfig)
	if cfg.ChainID == "" || !cfg.Anonymous || !slices.Equal(cfg.Served, []uint32{1, 2}) {
		t.Errorf("config %+v", cfg)
	}
	net := get[dashboard.Network](t, h, dashboard.PathNetwork)
	if net.Height <= 0 || len(net.Subnets) != 3 || net.Traffic.WindowS != 60 || net.LatestBlockTime == "" {
		t.Errorf("network %+v", net)
	}
	for _, v := range []string{net.TotalStake, net.TotalIssuance, net.TotalEmitted} {
		if !decimal.MatchString(v) {
			t.Errorf("network amount %q is not a decimal", v)
		}
	}
	stake, _ := new(big.Int).SetString(net.TotalStake, 10)
	issuance, _ := new(big.Int).SetString(net.TotalIssuance, 10)
	if stake.Cmp(issuance) >= 0 {
		t.Errorf("total stake %s is not below the issuance %s", stake, issuance)
	}
	if net2 := get[dashboard.Network](t, h, dashboard.PathNetwork); net2.Traffic == net.Traffic {
		t.Errorf("the traffic figures do not move: %+v", net.Traffic)
	}

	mg := get[dashboard.Metagraph](t, h, "/v1/subnets/1/metagraph")
	if len(mg.Neurons) != 4096 || mg.Netuid != 1 || mg.Task != "digits-classification" || mg.Height != net.Height {
		t.Fatalf("metagraph: %d neurons, %+v", len(mg.Neurons), mg.Netuid)
	}
	if !reflect.DeepEqual(mg, f.Subnet(1).Metagraph) {
		t.Error("the metagraph served is not Fixture.Subnet(1).Metagraph")
	}
	keys := map[string]bool{}
	big53 := new(big.Int).Lsh(big.NewInt(1), 53)
	over53, serving, inactive := 0, 0, 0
	for i, n := range mg.Neurons {
		if n.UID != uint32(i) {
			t.Fatalf("neuron %d has UID %d", i, n.UID)
		}
		if len(n.Hotkey) != 45 || !strings.HasPrefix(n.Hotkey, "tensorcosm1") || len(n.Coldkey) != 45 || keys[n.Hotkey] {
			t.Errorf("neuron %d keys %q %q", i, n.Hotkey, n.Coldkey)
		}
		keys[n.Hotkey] = true
		if !decimal.MatchString(n.Stake) || !decimal.MatchString(n.Emission) {
			t.Errorf("neuron %d amounts %q %q", i, n.Stake, n.Emission)
		}
		if s, _ := new(big.Int).SetString(n.Stake, 10); s.Cmp(big53) > 0 {
			over53++
		}
		if n.ValidatorPermit != (i < 64) {
			t.Errorf("neuron %d validator permit %v", i, n.ValidatorPermit)
		}
		for _, v := range []uint32{n.Rank, n.Trust, n.Consensus, n.Incentive, n.Dividends, n.ValidatorTrust} {
			if v > 65535 {
				t.Errorf("neuron %d: u16 value %d", i, v)
			}
		}
		if n.Axon != "" {
			serving++
			if !hexHash.MatchString(n.ModelSHA256) {
				t.Errorf("neuron %d model %q", i, n.ModelSHA256)
			}
		}
		if !n.Active {
			inactive++
		}
	}
	if over53 == 0 || serving != 32 || inactive == 0 {
		t.Errorf("%d stakes above 2^53, %d serving, %d inactive", over53, serving, inactive)
	}

	w := get[dashboard.Weights](t, h, "/v1/subnets/1/weights")
	if len(w.Rows) != 64 {
		t.Fatalf("weights: %d rows", len(w.Rows))
	}
	for i, r := range w.Rows {
		if r.UID != uint32(i) || len(r.UIDs) != 4096-64 || len(r.Weights) != len(r.UIDs) || r.UIDs[0] != 64 || slices.Max(r.Weights) != 65535 {
			t.Errorf("weights row %d: uid %d, %d uids, %d weights", i, r.UID, len(r.UIDs), len(r.Weights))
		}
	}

	hist := get[dashboard.History](t, h, "/v1/subnets/1/history")
	if len(hist.Epochs) != 30 || len(hist.UIDs) != 16 || !slices.IsSorted(hist.UIDs) {
		t.Fatalf("history: %d epochs, UIDs %v", len(hist.Epochs), hist.UIDs)
	}
	if !reflect.DeepEqual(hist, f.Subnet(1).History(50, nil)) {
		t.Error("the history served is not Fixture.Subnet(1).History(50, nil)")
	}
	for i, e := range hist.Epochs {
		if len(e.Incentive) != 16 || len(e.Dividends) != 16 || len(e.UIDEmission) != 16 || e.Height < e.DueHeight {
			t.Errorf("epoch %d: %+v", i, e)
		}
		if i > 0 && e.Epoch != hist.Epochs[i-1].Epoch+1 {
			t.Errorf("epoch %d follows %d", e.Epoch, hist.Epochs[i-1].Epoch)
		}
		parts := new(big.Int)
		for _, p := range []string{e.OwnerCut, e.ToMiners, e.ToValidators} {
			v, ok := new(big.Int).SetString(p, 10)
			if !ok {
				t.Fatalf("epoch %d: part %q", i, p)
			}
			parts.Add(parts, v)
		}
		if parts.String() != e.Emission {
			t.Errorf("epoch %d: the parts sum to %s, the emission is %s", i, parts, e.Emission)
		}
	}
	// the newest epoch is the metagraph's
	last := hist.Epochs[len(hist.Epochs)-1]
	for j, u := range hist.UIDs {
		if n := mg.Neurons[u]; n.Incentive != last.Incentive[j] || n.Dividends != last.Dividends[j] || n.Emission != last.UIDEmission[j] {
			t.Errorf("UID %d: the metagraph and the newest epoch differ", u)
		}
	}
	few := get[dashboard.History](t, h, "/v1/subnets/1/history?limit=5&uids=3,1,3,4095")
	if len(few.Epochs) != 5 || !slices.Equal(few.UIDs, []uint32{3, 1, 4095}) || few.Epochs[4].Epoch != last.Epoch {
		t.Errorf("history?limit=5&uids=3,1,3,4095: %d epochs, UIDs %v", len(few.Epochs), few.UIDs)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "uids=a"} {
		if x := call(t, h, "GET", "/v1/subnets/1/history?"+q, nil, nil); x.status != 400 || strict[map[string]string](t, x)["error"] == "" {
			t.Errorf("history?%s: %d %s", q, x.status, x.body)
		}
	}
	if e := get[dashboard.History](t, h, "/v1/subnets/3/history"); len(e.Epochs) != 0 || e.UIDs == nil || e.Epochs == nil {
		t.Errorf("subnet 3 history %+v, want none recorded (as empty lists)", e)
	}

	miners := get[dashboard.Miners](t, h, "/v1/subnets/1/miners")
	states := map[string]int{}
	for _, m := range miners.Miners {
		states[m.Breaker]++
		if m.Hotkey != mg.Neurons[m.UID].Hotkey || m.Address != mg.Neurons[m.UID].Axon {
			t.Errorf("miner %d does not match its neuron", m.UID)
		}
	}
	if len(miners.Miners) != 32 || states["closed"] == 0 || states["open"] == 0 || states["half-open"] == 0 {
		t.Errorf("miners: %d, breaker states %v", len(miners.Miners), states)
	}
	for _, p := range []string{"/v1/subnets/3/miners", "/v1/subnets/9/metagraph", "/v1/subnets/x/weights", "/v1/nope"} {
		if x := call(t, h, "GET", p, nil, nil); x.status != 404 || strict[map[string]string](t, x)["error"] == "" {
			t.Errorf("GET %s: %d %s", p, x.status, x.body)
		}
	}
	if x := call(t, h, "GET", "/", nil, nil); x.status != 200 || !strings.Contains(string(x.body), "/assets/app.js") {
		t.Errorf("GET /: %d", x.status)
	}
	if x := call(t, h, "GET", "/assets/app.js", nil, nil); x.status != 200 {
		t.Errorf("GET /assets/app.js: %d", x.status)
	}
}

// TestFixtureDeterministic checks that two fixtures serve the same documents.
func TestFixtureDeterministic(t *testing.T) {
	a, b := dashboard.NewFixture(300, 16, 7), dashboard.NewFixture(300, 16, 7)
	for _, p := range []string{dashboard.PathConfig, "/v1/subnets/1/metagraph", "/v1/subnets/1/weights", "/v1/subnets/1/history",
		"/v1/subnets/2/metagraph", "/v1/subnets/1/miners", dashboard.PathNetwork} {
		x, y := call(t, a.Handler(), "GET", p, nil, nil), call(t, b.Handler(), "GET", p, nil, nil)
		if x.status != 200 || !bytes.Equal(x.body, y.body) {
			t.Errorf("GET %s: %d, the two fixtures differ", p, x.status)
		}
	}
	// small and degenerate sizes work
	for _, n := range [][3]int{{1, 1, 0}, {1, 0, 1}, {5, 5, 3}, {0, 0, 0}} {
		f := dashboard.NewFixture(n[0], n[1], n[2])
		h := f.Handler()
		for _, p := range []string{"/v1/subnets/1/metagraph", "/v1/subnets/1/weights", "/v1/subnets/1/history", "/v1/subnets/1/miners", dashboard.PathNetwork} {
			if x := call(t, h, "GET", p, nil, nil); x.status != 200 {
				t.Errorf("NewFixture(%v): GET %s: %d %s", n, p, x.status, x.body)
			}
		}
	}
}

type predictAnswer struct {
	Netuid     uint32            `json:"netuid"`
	Model      string            `json:"model"`
	Answers    []json.RawMessage `json:"answers"`
	Provenance map[string]any    `json:"provenance"`
}

// TestFixturePredictDigits checks the digits payload as strictly as the
// task codec, the answer's shape, the API key and the receipt endpoints.
func TestFixturePredictDigits(t *testing.T) {
	f := dashboard.NewFixture(200, 8, 3)
	f.APIKey = "tcg_test_key"
	h := f.Handler()
	auth := map[string]string{"Authorization": "Bearer tcg_test_key", "Content-Type": "application/json"}
	seven := []float64{0, 0, 5, 13, 14, 11, 5, 1, 0, 1, 11, 12, 11, 12, 5, 1, 0, 1, 5, 2, 7, 11, 3, 0, 0, 1, 4, 6, 12, 12, 5, 0,
		0, 1, 9, 13, 15, 11, 4, 0, 0, 1, 5, 12, 11, 4, 1, 0, 0, 0, 3, 12, 6, 0, 0, 0, 0, 0, 6, 12, 2, 0, 0, 0}
	body, _ := json.Marshal(map[string]any{"pixels": seven})

	for _, hd := range []map[string]string{{}, {"Authorization": "Bearer nope"}, {"Authorization": "tcg_test_key"}} {
		if x := call(t, h, "POST", "/v1/subnets/1/predict", body, hd); x.status != 401 || strict[map[string]string](t, x)["error"] == "" {
			t.Errorf("predict with %v: %d %s", hd, x.status, x.body)
		}
	}
	x := call(t, h, "POST", "/v1/subnets/1/predict", body, auth)
	if x.status != 200 {
		t.Fatalf("predict: %d %s", x.status, x.body)
	}
	res := strict[predictAnswer](t, x)
	var ans struct {
		Label         int       `json:"label"`
		Probabilities []float64 `json:"probabilities"`
	}
	if err := json.Unmarshal(res.Answers[0], &ans); err != nil || len(res.Answers) != 1 {
		t.Fatalf("answers %s: %v", x.body, err)
	}
	sum := 0.0
	for _, p := range ans.Probabilities {
		sum += p
	}
	if ans.Label != 7 || len(ans.Probabilities) != 10 || math.Abs(sum-1) > 1e-3 || slices.Index(ans.Probabilities, slices.Max(ans.Probabilities)) != 7 {
		t.Errorf("the mean 7 is answered %+v", ans)
	}
	last := f.LastPredict()
	if !slices.Equal(last.Pixels, seven) || last.Answer != "7" || last.Authorization != "Bearer tcg_test_key" || last.Netuid != 1 {
		t.Errorf("LastPredict %+v", last)
	}
	p := res.Provenance
	for _, k := range []string{"tensorcosm_miner_hotkey", "tensorcosm_miner_uid", "tensorcosm_model_sha256", "tensorcosm_block_height",
		"tensorcosm_receipt_url", "tensorcosm_agreement", "tensorcosm_redundancy", "tensorcosm_attempts"} {
		if _, ok := p[k]; !ok {
			t.Errorf("provenance lacks %s: %v", k, p)
		}
	}
	if _, ok := p["tensorcosm_receipt"]; ok {
		t.Error("the receipt is in the answer though its root is pending")
	}
	url, _ := p["tensorcosm_receipt_url"].(string)
	uid := int(p["tensorcosm_miner_uid"].(float64))
	miner := f.Subnet(1).Metagraph.Neurons[uid]
	if p["tensorcosm_miner_hotkey"] != miner.Hotkey || p["tensorcosm_model_sha256"] != miner.ModelSHA256 || miner.Axon == "" {
		t.Errorf("provenance %v names no serving miner", p)
	}

	// the receipt: pending once, then served; its verification
	if r := call(t, h, "GET", url, nil, nil); r.status != 202 || r.header.Get("Retry-After") == "" || strict[map[string]string](t, r)["status"] != "pending" {
		t.Errorf("GET %s first: %d %v %s", url, r.status, r.header, r.body)
	}
	r := call(t, h, "GET", url, nil, nil)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", url, r.status, r.body)
	}
	var rc struct {
		Leaf struct {
			ModelSHA256 string `json:"modelSha256"`
			BlockHeight string `json:"blockHeight"`
		} `json:"leaf"`
		Index string   `json:"index"`
		Path  []string `json:"path"`
		Root  struct {
			MinerHotkey string `json:"minerHotkey"`
			Batch       string `json:"batch"`
			LeafCount   string `json:"leafCount"`
			Root        string `json:"root"`
		} `json:"root"`
	}
	if err := json.Unmarshal(r.body, &rc); err != nil {
		t.Fatal(err)
	}
	model, _ := base64.StdEncoding.DecodeString(rc.Leaf.ModelSHA256)
	if rc.Root.MinerHotkey != miner.Hotkey || len(model) != 32 || rc.Root.Batch == "" || rc.Index == "" || len(rc.Path) == 0 {
		t.Errorf("receipt %s", r.body)
	}
	v := get[dashboard.Verification](t, h, url+"/verification")
	if !v.Valid || v.Signature != "ok" || v.Commitment != "ok" || v.ChainModel != miner.ModelSHA256 || v.MinerHotkey != miner.Hotkey || v.BlockHeight <= 0 || v.Root == "" {
		t.Errorf("verification %+v", v)
	}
	for _, p := range []string{"/v1/receipts/nope", "/v1/receipts/nope/verification"} {
		if x := call(t, h, "GET", p, nil, nil); x.status != 404 {
			t.Errorf("GET %s: %d", p, x.status)
		}
	}

	// what the codec refuses
	for _, bad := range []string{
		`{}`, `{"pixels": null}`, `{"pixels": []}`, `{"pixels": [1, 2, 3]}`, `{"pixels": "x"}`, `not json`,
		`{"pixels": [` + strings.Repeat("0,", 63) + `17]}`, `{"pixels": [` + strings.Repeat("0,", 63) + `-1]}`,
		`{"pixels": [` + strings.Repeat("0,", 64) + `0]}`, `{"pixels": [` + strings.Repeat("0,", 63) + `0], "extra": 1}`,
		`{"pixels": [` + strings.Repeat("0,", 63) + `0]} {}`,
	} {
		if x := call(t, h, "POST", "/v1/subnets/1/predict", []byte(bad), auth); x.status != 400 || strict[map[string]string](t, x)["error"] == "" {
			t.Errorf("payload %.60s: %d %s", bad, x.status, x.body)
		}
	}
	if x := call(t, h, "POST", "/v1/subnets/1/predict", pngBytes(t), map[string]string{"Authorization": "Bearer tcg_test_key", "Content-Type": "image/png"}); x.status != 415 {
		t.Errorf("an image to digits: %d %s", x.status, x.body)
	}
	for _, p := range []string{"/v1/subnets/3/predict", "/v1/subnets/7/predict"} {
		if x := call(t, h, "POST", p, body, auth); x.status != 404 {
			t.Errorf("POST %s: %d", p, x.status)
		}
	}

	// with ReceiptPolls 0 the answer carries the receipt, and an invalid
	// one says why
	f.ReceiptPolls, f.InvalidReceipts = 0, true
	x = call(t, h, "POST", "/v1/subnets/1/predict", body, auth)
	res = strict[predictAnswer](t, x)
	b64, _ := res.Provenance["tensorcosm_receipt"].(string)
	if raw, err := base64.StdEncoding.DecodeString(b64); err != nil || !json.Valid(raw) {
		t.Errorf("tensorcosm_receipt %q: %v", b64, err)
	}
	url = res.Provenance["tensorcosm_receipt_url"].(string)
	if r := call(t, h, "GET", url, nil, nil); r.status != 200 {
		t.Errorf("GET %s: %d", url, r.status)
	}
	if v := get[dashboard.Verification](t, h, url+"/verification"); v.Valid || v.Commitment != "failed" || v.Error == "" {
		t.Errorf("an invalid receipt verifies as %+v", v)
	}
}

// TestClassifyDigit checks the fixture's model on the centroids it is made of.
func TestClassifyDigit(t *testing.T) {
	f := dashboard.NewFixture(10, 2, 0)
	h := f.Handler()
	// a vertical bar in the middle columns is a 1
	one := make([]float64, 64)
	for y := 0; y < 8; y++ {
		one[y*8+3], one[y*8+4] = 12, 14
	}
	if label, _ := dashboard.ClassifyDigit(one); label != 1 {
		t.Errorf("a bar reads as %d", label)
	}
	body, _ := json.Marshal(map[string]any{"pixels": one})
	x := call(t, h, "POST", "/v1/subnets/1/predict", body, nil)
	if x.status != 200 || !strings.Contains(string(x.body), `"label":1`) {
		t.Errorf("anonymous predict: %d %s", x.status, x.body)
	}
}

// TestFixturePredictTextline checks image uploads (PNG, JPEG), the JSON
// payload and what it refuses.
func TestFixturePredictTextline(t *testing.T) {
	f := dashboard.NewFixture(20, 2, 2)
	h := f.Handler()
	pngData := pngBytes(t)
	var jpg bytes.Buffer
	img, _ := png.Decode(bytes.NewReader(pngData))
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	b64, _ := json.Marshal(map[string]string{"image": base64.StdEncoding.EncodeToString(pngData)})
	for _, c := range []struct {
		ct   string
		body []byte
	}{{"image/png", pngData}, {"image/jpeg", jpg.Bytes()}, {"image/png; charset=binary", pngData}, {"application/json", b64}} {
		x := call(t, h, "POST", "/v1/subnets/2/predict", c.body, map[string]string{"Content-Type": c.ct})
		if x.status != 200 {
			t.Errorf("%s: %d %s", c.ct, x.status, x.body)
			continue
		}
		res := strict[predictAnswer](t, x)
		var ans struct {
			Text        string    `json:"text"`
			Confidences []float64 `json:"confidences"`
		}
		if err := json.Unmarshal(res.Answers[0], &ans); err != nil || ans.Text != "fixture" || len(ans.Confidences) != len(ans.Text) {
			t.Errorf("%s: answer %s", c.ct, res.Answers[0])
		}
		if last := f.LastPredict(); last.Netuid != 2 || last.ContentType != c.ct || !bytes.Equal(last.Body, c.body) || last.Answer != "fixture" {
			t.Errorf("%s: LastPredict %+v", c.ct, last.ContentType)
		}
	}
	for _, c := range []struct {
		ct   string
		body []byte
	}{{"image/png", []byte("hello")}, {"image/png", jpg.Bytes()}, {"image/jpeg", pngData}, {"image/gif", pngData},
		{"application/json", []byte(`{"image": "!!"}`)}, {"application/json", []byte(`{"img": "x"}`)}, {"image/png", pngData[:40]}} {
		if x := call(t, h, "POST", "/v1/subnets/2/predict", c.body, map[string]string{"Content-Type": c.ct}); x.status != 400 || strict[map[string]string](t, x)["error"] == "" {
			t.Errorf("%s %.20q: %d %s", c.ct, c.body, x.status, x.body)
		}
	}
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 60, 20))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 5; x < 55; x += 3 {
		for y := 5; y < 15; y++ {
			img.Set(x, y, color.Gray{})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
