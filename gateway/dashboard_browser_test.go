package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/metadata"

	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	querytypes "github.com/cosmos/cosmos-sdk/types/query"

	"github.com/tensorcosm/tensorcosm/axon/receiptcheck"
	"github.com/tensorcosm/tensorcosm/gateway"
	"github.com/tensorcosm/tensorcosm/gateway/dashboard"
	"github.com/tensorcosm/tensorcosm/gateway/store"
	"github.com/tensorcosm/tensorcosm/task/textline"
	"github.com/tensorcosm/tensorcosm/testutil/browser"
	"github.com/tensorcosm/tensorcosm/testutil/neurontest"
	"github.com/tensorcosm/tensorcosm/testutil/ortlib"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// pageReady waits for the page's first data to be rendered.
func pageReady(page string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(chromedp.CSS(`body[data-page="` + page + `"][data-ready="1"]`))
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, p *browser.Page, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx(), 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v\nerrors so far: %v", err, p.Errors())
	}
	return v
}

// typeInto sets the value of the input sel as typing would, firing its
// input and change events.
func typeInto(t *testing.T, p *browser.Page, sel, value string) {
	t.Helper()
	js, err := json.Marshal([]string{sel, value})
	must(t, err)
	ok := get(t, p, chromedp.Evaluate[bool](`(([sel, v]) => { const e = document.querySelector(sel); if (!e) return false;
		e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true}));
		return e.value === v })(`+string(js)+`)`))
	if !ok {
		t.Fatalf("could not type into %s", sel)
	}
}

// attr reads an attribute of the element sel.
func attr(t *testing.T, p *browser.Page, sel, name string) string {
	t.Helper()
	return get(t, p, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// tableRow is one metagraph row as the page shows it: column → raw value.
type tableRow map[string]string

// TestDashboardOnNetwork drives the dashboard in a real headless Chromium
// against a gateway over an in-process chain with digits and textline
// miners: every page loads without console errors at desktop and phone
// widths, the metagraph table equals the chain's metagraph at the height
// the page shows, the charts have a point per recorded epoch, a digit
// drawn on the canvas gets an answer with a receipt verified against the
// chain, and an uploaded and a typed text line are recognized.
func TestDashboardOnNetwork(t *testing.T) {
	n := newTestNet(t)
	c := n.c
	tlSpec := textline.Task{}.DefaultSpec()
	n.createSubnet(t, "textline", tlSpec, 2)
	register(t, c, n.kr, n.cold, n.hot, 2)
	_, _ = startMiner(t, c, "ocr", ortlib.OCRModelPath(t), 2)
	_, _ = startMiner(t, c, "digits-a", n.modelPath, netuid)
	_, _ = startMiner(t, c, "digits-b", n.modelPath, netuid)
	startValidator(t, c, netuid)

	cfg := gatewayConfig(c, n.keyDir, "1,2")
	g := startGateway(t, cfg, map[string]float64{"digits": 2, "textline": 1})
	_, key, err := g.Store().CreateKey(c.Ctx, store.KeySpec{Name: "browser"})
	must(t, err)
	until(t, "three recorded epochs with incentive", 3*time.Minute, func() bool {
		h := history(t, g.Addr(), netuid, "")
		if len(h.Epochs) < 3 {
			return false
		}
		for _, v := range h.Epochs[len(h.Epochs)-1].Incentive {
			if v > 0 {
				return true
			}
		}
		return false
	})
	checkDashboardAPI(t, c, g.Addr(), key)
	base := "http://" + g.Addr() + "/"

	b := browser.Start(t)
	for _, vp := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 812}} {
		t.Run(vp.name, func(t *testing.T) {
			p := b.NewPage(t, vp.width, vp.height)
			noErrors := func(where string) {
				t.Helper()
				if errs := p.Errors(); len(errs) > 0 {
					t.Fatalf("%s: the page reported errors:\n%s", where, strings.Join(errs, "\n"))
				}
			}
			fits := func(where string) {
				t.Helper()
				w := get(t, p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				if w > vp.width {
					t.Errorf("%s: the page is %d px wide in a %d px viewport", where, w, vp.width)
				}
			}

			// overview
			p.Run(t, chromedp.Navigate(base+"#/"), pageReady("overview"))
			subnetRows := get(t, p, chromedp.Evaluate[int](`document.querySelectorAll('#overview-subnets tbody tr').length`))
			if subnetRows != 2 {
				t.Errorf("overview lists %d subnets, want 2", subnetRows)
			}
			fits("overview")
			p.Screenshot(t, "overview-"+vp.name)
			noErrors("overview")

			// subnet page: the table against the chain
			p.Run(t, chromedp.Navigate(base+"#/subnet/1"), pageReady("subnet"))
			checkMetagraphTable(t, p, c)
			checkCharts(t, p, g.Addr())
			fits("subnet")
			p.Screenshot(t, "subnet-"+vp.name)
			noErrors("subnet")

			// try it: digits
			p.Run(t, chromedp.Navigate(base+"#/try/1"), pageReady("try"))
			typeInto(t, p, "#api-key", key)
			// a "1": one stroke down the middle of the canvas
			box := get(t, p, chromedp.Evaluate[[]float64](`(()=>{const r=document.querySelector('#try-canvas').getBoundingClientRect();return [r.width,r.height]})()`))
			w, h := box[0], box[1]
			p.Draw(t, "#try-canvas", [][2]float64{{w * 0.55, h * 0.12}, {w * 0.52, h * 0.4}, {w * 0.5, h * 0.65}, {w * 0.48, h * 0.88}})
			p.Run(t, chromedp.Click(chromedp.CSS("#try-predict")), chromedp.WaitReady(chromedp.CSS(`#try-verified[data-valid]`)))
			valid, label := attr(t, p, "#try-verified", "data-valid"), attr(t, p, "#try-answer", "data-label")
			if valid != "true" {
				t.Fatalf("the drawn digit's receipt did not verify: %s", get(t, p, chromedp.Text(chromedp.CSS("#try-provenance"))))
			}
			if label != "1" {
				t.Errorf("a drawn 1 was read as %q", label)
			}
			t.Logf("drawn digit answered %s with a receipt verified against the chain", label)
			fits("try digits")
			p.Screenshot(t, "try-digits-"+vp.name)
			noErrors("try digits")

			// try it: textline, an uploaded line and a typed one
			pngPath, want := textlinePNG(t, tlSpec, g.Addr(), key)
			p.Run(t, chromedp.Navigate(base+"#/try/2"), pageReady("try"),
				chromedp.SetUploadFiles(chromedp.CSS("#try-file"), []string{pngPath}),
				chromedp.WaitReady(chromedp.CSS(`#try-verified[data-valid="true"]`)))
			got := get(t, p, chromedp.Text(chromedp.CSS("#try-answer")))
			if strings.TrimSpace(got) != strings.TrimSpace(want) {
				t.Errorf("uploaded line: the page shows %q, the API answers %q for the same image", got, want)
			}
			typed := "tensor network"
			get(t, p, chromedp.Evaluate[bool](`document.querySelector('#try-verified').removeAttribute('data-valid') === undefined`))
			typeInto(t, p, "#try-text", typed)
			p.Run(t, chromedp.Click(chromedp.CSS("#try-render")),
				chromedp.WaitReady(chromedp.CSS(`#try-verified[data-valid="true"]`)))
			got = get(t, p, chromedp.Text(chromedp.CSS("#try-answer")))
			if norm(got) != norm(typed) {
				t.Errorf("typed %q, recognized %q", typed, got)
			}
			t.Logf("textline: uploaded line read %q, typed %q read %q", want, typed, strings.TrimSpace(got))
			fits("try textline")
			p.Screenshot(t, "try-textline-"+vp.name)
			noErrors("try textline")
		})
	}
}

func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }

// textlinePNG writes a rendered line of the textline task to a file and
// returns it with the API's answer for it.
func textlinePNG(t *testing.T, spec subnettypes.TaskSpec, addr, key string) (string, string) {
	t.Helper()
	_, b := textlineSample(t, spec, 7)
	path := filepath.Join(t.TempDir(), "line.png")
	must(t, os.WriteFile(path, b, 0o600))
	x := do(t, addr, "POST", "/v1/subnets/2/predict", b, map[string]string{"Authorization": "Bearer " + key,
		"Content-Type": "image/png"})
	if x.status != 200 {
		t.Fatalf("predict the line: status %d: %s", x.status, x.body)
	}
	var res struct {
		Answers []textline.Answer `json:"answers"`
	}
	must(t, json.Unmarshal(x.body, &res))
	if len(res.Answers) != 1 || res.Answers[0].Text == "" {
		t.Fatalf("predict the line: %s", x.body)
	}
	return path, res.Answers[0].Text
}

// metagraphColumns are the table's columns checked against the chain.
var metagraphColumns = []string{"uid", "hotkey", "coldkey", "stake", "incentive", "dividends", "trust", "consensus",
	"validator_trust", "emission", "axon", "model_sha256", "last_update", "active"}

// checkMetagraphTable compares the page's metagraph table with the chain's
// metagraph at the height the page shows.
func checkMetagraphTable(t *testing.T, p *browser.Page, c *neurontest.Chain) {
	t.Helper()
	heightAttr := attr(t, p, "#metagraph", "data-height")
	rows := get(t, p, chromedp.Evaluate[[]tableRow](`[...document.querySelectorAll('#metagraph tbody tr[data-uid]')].map(tr =>
			Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map(td => [td.dataset.col, td.dataset.value ?? td.textContent])))`))
	height, err := strconv.ParseInt(heightAttr, 10, 64)
	if err != nil || height <= 0 {
		t.Fatalf("#metagraph data-height %q", heightAttr)
	}
	ctx := metadata.AppendToOutgoingContext(c.Ctx, grpctypes.GRPCBlockHeightHeader, heightAttr)
	res, err := c.Query().Metagraph(ctx, &subnettypes.QueryMetagraphRequest{Netuid: netuid, Pagination: &querytypes.PageRequest{Limit: 1000}})
	must(t, err)
	if len(rows) != len(res.Neurons) || len(rows) == 0 {
		t.Fatalf("the table shows %d rows, the chain has %d neurons at height %d", len(rows), len(res.Neurons), height)
	}
	slices.SortFunc(rows, func(a, b tableRow) int {
		x, _ := strconv.Atoi(a["uid"])
		y, _ := strconv.Atoi(b["uid"])
		return x - y
	})
	for i, ni := range res.Neurons {
		nn, e := ni.Neuron, ni.Neuron.LastEpoch
		want := tableRow{"uid": fmt.Sprint(nn.Uid), "hotkey": nn.Hotkey, "coldkey": nn.Coldkey, "stake": ni.Stake.String(),
			"incentive": fmt.Sprint(e.Incentive), "dividends": fmt.Sprint(e.Dividends), "trust": fmt.Sprint(e.Trust),
			"consensus": fmt.Sprint(e.Consensus), "validator_trust": fmt.Sprint(e.ValidatorTrust),
			"emission": e.Emission.String(), "axon": "", "model_sha256": "", "last_update": fmt.Sprint(nn.LastUpdate),
			"active": fmt.Sprint(e.Active)}
		if a := nn.Axon; a != nil && a.Port != 0 {
			want["axon"] = fmt.Sprintf("%s:%d", a.Host, a.Port)
		}
		if nn.Model != nil {
			want["model_sha256"] = nn.Model.Sha256
		}
		for _, col := range metagraphColumns {
			if got, ok := rows[i][col]; !ok || got != want[col] {
				t.Errorf("uid %d column %s: the page shows %q, the chain at height %d has %q", nn.Uid, col, got, height, want[col])
			}
		}
	}
	t.Logf("metagraph table: %d rows equal the chain's metagraph at height %d", len(rows), height)
}

// checkCharts checks that the history charts have one point per recorded
// epoch and UID up to the newest epoch the page drew.
func checkCharts(t *testing.T, p *browser.Page, addr string) {
	t.Helper()
	type point struct {
		Epoch string `json:"epoch"`
		UID   string `json:"uid"`
	}
	inc := get(t, p, chromedp.Evaluate[[]point](`[...document.querySelectorAll('#chart-incentive [data-epoch]')].map(e => ({epoch: e.dataset.epoch, uid: e.dataset.uid ?? ''}))`))
	div := get(t, p, chromedp.Evaluate[[]point](`[...document.querySelectorAll('#chart-dividends [data-epoch]')].map(e => ({epoch: e.dataset.epoch, uid: e.dataset.uid ?? ''}))`))
	split := get(t, p, chromedp.Evaluate[[]string](`[...new Set([...document.querySelectorAll('#chart-emission [data-epoch]')].map(e => e.dataset.epoch))]`))
	h := history(t, addr, netuid, "")
	newest := uint64(0)
	for _, pt := range inc {
		e, _ := strconv.ParseUint(pt.Epoch, 10, 64)
		newest = max(newest, e)
	}
	var want []point
	var wantEpochs []string
	for _, e := range h.Epochs {
		if e.Epoch > newest || e.Pruned { // a pruned epoch has no per-UID points
			continue
		}
		wantEpochs = append(wantEpochs, fmt.Sprint(e.Epoch))
		for _, u := range h.UIDs {
			want = append(want, point{fmt.Sprint(e.Epoch), fmt.Sprint(u)})
		}
	}
	key := func(a, b point) int { return strings.Compare(a.Epoch+"/"+a.UID, b.Epoch+"/"+b.UID) }
	for name, got := range map[string][]point{"incentive": inc, "dividends": div} {
		slices.SortFunc(got, key)
		slices.SortFunc(want, key)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("chart %s: %d points, want %d (one per epoch and UID): got %v, want %v", name, len(got), len(want), got, want)
		}
	}
	slices.Sort(split)
	slices.Sort(wantEpochs)
	if !slices.Equal(split, wantEpochs) {
		t.Errorf("emission split chart: epochs %v, want %v", split, wantEpochs)
	}
	t.Logf("charts: %d epochs x %d UIDs drawn, as recorded", len(wantEpochs), len(h.UIDs))
}

// checkDashboardAPI calls each dashboard endpoint once, checks the answers
// against /openapi.json and the chain, and verifies a fresh receipt.
func checkDashboardAPI(t *testing.T, c *neurontest.Chain, addr, key string) {
	t.Helper()
	get := func(path string, status int) exchange {
		t.Helper()
		x := do(t, addr, "GET", path, nil, nil)
		if x.status != status {
			t.Fatalf("GET %s: status %d, want %d: %s", path, x.status, status, x.body)
		}
		conforms(t, x)
		return x
	}
	cfg := decode[dashboard.Config](t, get("/v1/dashboard/config", 200))
	if cfg.ChainID != c.Cfg.ChainID || !slices.Equal(cfg.Served, []uint32{1, 2}) || cfg.Anonymous {
		t.Errorf("dashboard config %+v", cfg)
	}
	// a prediction, so that the traffic and the receipt are there
	x := do(t, addr, "POST", "/v1/subnets/1/predict", []byte(`{"pixels":[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]}`),
		map[string]string{"Authorization": "Bearer " + key})
	if x.status != 200 {
		t.Fatalf("predict: %d %s", x.status, x.body)
	}
	rurl := x.header.Get(gateway.HeaderReceiptURL)
	v := decode[receiptcheck.Report](t, get(rurl+"/verification", 200))
	if !v.Valid || v.Signature != receiptcheck.CheckOK || v.Commitment != receiptcheck.CheckOK || v.ChainModel != v.ModelSHA256 {
		t.Errorf("verification of %s: %+v", rurl, v)
	}
	get("/v1/receipts/nope/verification", 404)

	nw := decode[dashboard.Network](t, get("/v1/network", 200))
	latest, err := c.Net.LatestHeight()
	must(t, err)
	if nw.Height <= 0 || nw.Height > latest || len(nw.Subnets) != 2 || nw.BlockTimeMS <= 0 || nw.Traffic.Requests < 1 ||
		nw.TotalStake == "0" || nw.TotalIssuance == "" {
		t.Errorf("network %+v", nw)
	}
	for _, s := range nw.Subnets {
		mg := decode[dashboard.Metagraph](t, get(fmt.Sprintf("/v1/subnets/%d/metagraph", s.Netuid), 200))
		if mg.Task != s.Task || len(mg.Neurons) == 0 || !s.Served {
			t.Errorf("subnet %d: summary %+v, metagraph of %d neurons, task %q", s.Netuid, s, len(mg.Neurons), mg.Task)
		}
		mi := decode[dashboard.Miners](t, get(fmt.Sprintf("/v1/subnets/%d/miners", s.Netuid), 200))
		if len(mi.Miners) == 0 {
			t.Errorf("subnet %d: no miners routed", s.Netuid)
		}
		for _, m := range mi.Miners {
			if m.Hotkey == "" || m.Address == "" || m.Breaker == "" {
				t.Errorf("subnet %d: miner %+v", s.Netuid, m)
			}
		}
	}
	w := decode[dashboard.Weights](t, get("/v1/subnets/1/weights", 200))
	res, err := c.Query().Weights(c.Ctx, &subnettypes.QueryWeightsRequest{Netuid: netuid})
	must(t, err)
	if len(w.Rows) == 0 || len(w.Rows) != len(res.Weights) {
		t.Errorf("weights: %d rows, the chain has %d", len(w.Rows), len(res.Weights))
	}
	get("/v1/subnets/99/metagraph", 404)
	get("/v1/subnets/99/miners", 404)
	get("/v1/subnets/x/weights", 404)
}
