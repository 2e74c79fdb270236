package oip

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIDocument loads and validates the embedded document and checks
// that it covers every gateway endpoint with the error answers the brief
// lists (401/403/429 on authenticated ones, Retry-After on every 429).
func TestOpenAPIDocument(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	endpoints := []struct {
		method, path string
		statuses     []int
	}{
		{http.MethodGet, "/v2/health/live", []int{200}},
		{http.MethodGet, "/v2/health/ready", []int{200, 503}},
		{http.MethodGet, "/v2", []int{200, 503}},
		{http.MethodGet, "/v2/models/{model}", []int{200, 400, 404, 503}},
		{http.MethodGet, "/v2/models/{model}/ready", []int{200, 400, 404, 503}},
		{http.MethodPost, "/v2/models/{model}/infer", []int{200, 400, 401, 403, 404, 413, 429, 502, 503, 504}},
		{http.MethodPost, "/v1/subnets/{netuid}/predict", []int{200, 400, 401, 403, 404, 413, 415, 429, 501, 502, 503, 504}},
		{http.MethodGet, "/v1/receipts/{id}", []int{200, 202, 404, 502, 504}},
		{http.MethodGet, "/openapi.json", []int{200}},
		{http.MethodGet, "/v1/dashboard/config", []int{200}},
		{http.MethodGet, "/v1/network", []int{200, 502}},
		{http.MethodGet, "/v1/subnets/{netuid}/metagraph", []int{200, 404, 502}},
		{http.MethodGet, "/v1/subnets/{netuid}/weights", []int{200, 404, 502}},
		{http.MethodGet, "/v1/subnets/{netuid}/history", []int{200, 400, 500}},
		{http.MethodGet, "/v1/subnets/{netuid}/miners", []int{200, 404, 503}},
		{http.MethodGet, "/v1/receipts/{id}/verification", []int{200, 404, 500, 502, 504}},
	}
	if got := doc.Paths.Len(); got != len(endpoints) {
		t.Errorf("document has %d paths, want %d", got, len(endpoints))
	}
	for _, ep := range endpoints {
		op := doc.Paths.Find(ep.path).GetOperation(ep.method)
		if op == nil {
			t.Errorf("%s %s is not documented", ep.method, ep.path)
			continue
		}
		for _, status := range ep.statuses {
			resp := op.Responses.Status(status)
			if resp == nil {
				t.Errorf("%s %s: no %d response", ep.method, ep.path, status)
				continue
			}
			checkResponse(t, ep.method+" "+ep.path, status, resp.Value)
		}
	}
	for _, ct := range []string{"application/json", "image/png", "image/jpeg"} {
		if doc.Paths.Find("/v1/subnets/{netuid}/predict").Post.RequestBody.Value.Content.Get(ct) == nil {
			t.Errorf("predict does not take %s", ct)
		}
	}
}

// checkResponse checks an error answer's schema and the 429 header.
func checkResponse(t *testing.T, what string, status int, r *openapi3.Response) {
	t.Helper()
	if status < 400 {
		return
	}
	media := r.Content.Get("application/json")
	if media == nil || media.Schema.Ref != "#/components/schemas/ErrorResponse" {
		t.Errorf("%s %d: body is not ErrorResponse", what, status)
	}
	if status == http.StatusTooManyRequests {
		h := r.Headers["Retry-After"]
		if h == nil || !h.Value.Required {
			t.Errorf("%s 429: no required Retry-After header", what)
		}
	}
}

type exchange struct {
	method, target string
	reqHeader      http.Header
	reqBody        string
	status         int
	respHeader     http.Header
	respBody       string
}

func jsonHeader(extra ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

const (
	goodInfer = `{"id":"1","inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[[0,1,2,3]]}],"outputs":[{"name":"label"}]}`
	goodReply = `{"model_name":"digits","id":"1","outputs":[{"name":"label","shape":[1],"datatype":"INT64","data":[7]}]}`
)

func TestValidateExchange(t *testing.T) {
	auth := jsonHeader("Authorization", "Bearer tcg_abc_secret")
	good := []struct {
		name string
		ex   exchange
	}{
		{"live", exchange{"GET", "/v2/health/live", nil, "", 200, jsonHeader(), `{"live":true}`}},
		{"not ready", exchange{"GET", "/v2/health/ready", nil, "", 503, jsonHeader(), `{"error":"no chain"}`}},
		{"server metadata", exchange{"GET", "/v2", auth, "", 200, jsonHeader(), `{"name":"tensorcosm-gateway","version":"1","extensions":[]}`}},
		{"model metadata", exchange{"GET", "/v2/models/digits", jsonHeader("X-API-Key", "tcg_abc_secret"), "", 200, jsonHeader(),
			mustJSON(t, Metadata("digits", digitsSpec()))}},
		{"model ready", exchange{"GET", "/v2/models/1/ready", auth, "", 200, jsonHeader(), `{"name":"1","ready":true}`}},
		{"infer", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 200, jsonHeader(), goodReply}},
		{"infer without key", exchange{"POST", "/v2/models/digits/infer", jsonHeader(), goodInfer, 401, jsonHeader(), `{"error":"missing API key"}`}},
		{"infer bad body answered 400", exchange{"POST", "/v2/models/digits/infer", auth, `{"inputs":[]}`, 400, jsonHeader(), `{"error":"no inputs"}`}},
		{"infer rate limited", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 429, jsonHeader("Retry-After", "2"), `{"error":"rate limit"}`}},
		{"infer too large", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 413, jsonHeader(), `{"error":"body too large"}`}},
		{"infer timeout", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 504, jsonHeader(), `{"error":"deadline"}`}},
		{"predict json", exchange{"POST", "/v1/subnets/1/predict", auth, `{"pixels":[0,1]}`, 200, jsonHeader(), `{"netuid":1,"model":"digits","answers":[{"label":7,"probabilities":[0.1]}],"provenance":{"tensorcosm_miner_uid":3}}`}},
		{"predict png", exchange{"POST", "/v1/subnets/1/predict", http.Header{"Authorization": {"Bearer t"}, "Content-Type": {"image/png"}}, "\x89PNG\r\n", 200, jsonHeader(), `{"netuid":1,"model":"digits","answers":[{"label":7,"probabilities":[0.1]}],"provenance":{"tensorcosm_miner_uid":3}}`}},
		{"receipt", exchange{"GET", "/v1/receipts/r1", auth, "", 200, jsonHeader(), `{"leaf":"ab","root":"cd"}`}},
		{"receipt not yet signed", exchange{"GET", "/v1/receipts/r1", auth, "", 404, jsonHeader(), `{"error":"not found"}`}},
		{"openapi", exchange{"GET", "/openapi.json", nil, "", 200, jsonHeader(), string(OpenAPI())}},
	}
	for _, tc := range good {
		t.Run("good/"+tc.name, func(t *testing.T) {
			if err := validate(tc.ex); err != nil {
				t.Errorf("ValidateExchange: %v", err)
			}
		})
	}
	bad := []struct {
		name, wantMsg string
		ex            exchange
	}{
		{"undocumented path", "/v3", exchange{"GET", "/v3", auth, "", 200, jsonHeader(), `{}`}},
		{"wrong method", "GET /v2/models/digits/infer", exchange{"GET", "/v2/models/digits/infer", auth, "", 200, jsonHeader(), goodReply}},
		{"200 without credentials", "Bearer", exchange{"POST", "/v2/models/digits/infer", jsonHeader(), goodInfer, 200, jsonHeader(), goodReply}},
		{"200 to unknown request field", "model", exchange{"POST", "/v2/models/digits/infer", auth, `{"model":"x","inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}]}`, 200, jsonHeader(), goodReply}},
		{"200 to unsupported datatype", "datatype", exchange{"POST", "/v2/models/digits/infer", auth, `{"inputs":[{"name":"a","shape":[1],"datatype":"FP16","data":[1]}]}`, 200, jsonHeader(), goodReply}},
		{"200 to nested string data", "data", exchange{"POST", "/v2/models/digits/infer", auth, `{"inputs":[{"name":"a","shape":[1,1],"datatype":"FP32","data":[["1"]]}]}`, 200, jsonHeader(), goodReply}},
		{"200 to non-numeric netuid", "netuid", exchange{"POST", "/v1/subnets/abc/predict", auth, `{}`, 200, jsonHeader(), `{}`}},
		{"response missing outputs", "outputs", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 200, jsonHeader(), `{"model_name":"digits"}`}},
		{"response data not numbers", "data", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 200, jsonHeader(),
			`{"model_name":"digits","outputs":[{"name":"label","shape":[1],"datatype":"INT64","data":["7"]}]}`}},
		{"error body not ErrorResponse", "error", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 400, jsonHeader(), `{"message":"bad"}`}},
		{"429 without Retry-After", "Retry-After", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 429, jsonHeader(), `{"error":"rate limit"}`}},
		{"undocumented status", "418", exchange{"POST", "/v2/models/digits/infer", auth, goodInfer, 418, jsonHeader(), `{"error":"teapot"}`}},
		{"413 on a GET", "413", exchange{"GET", "/v2/models/digits", auth, "", 413, jsonHeader(), `{"error":"x"}`}},
		{"text response", "Content-Type", exchange{"GET", "/v2/health/live", nil, "", 200, http.Header{"Content-Type": {"text/plain"}}, "ok"}},
	}
	for _, tc := range bad {
		t.Run("bad/"+tc.name, func(t *testing.T) {
			err := validate(tc.ex)
			if !errors.Is(err, ErrNonConformant) {
				t.Fatalf("ValidateExchange = %v, want ErrNonConformant", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tc.wantMsg)
			}
		})
	}
}

// TestValidateExchangeServer runs a real exchange through an HTTP server,
// the way the gateway's conformance tests do.
func TestValidateExchangeServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", strconv.Itoa(1))
		w.WriteHeader(http.StatusTooManyRequests)
		_ = json.NewEncoder(w).Encode(ErrorResponse{Error: "slow down"})
	}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v2/models/digits/infer", strings.NewReader(goodInfer))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", "tcg_abc_secret")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateExchange(req, []byte(goodInfer), resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("ValidateExchange: %v", err)
	}
}

func validate(ex exchange) error {
	req := httptest.NewRequest(ex.method, ex.target, strings.NewReader(ex.reqBody))
	for k, v := range ex.reqHeader {
		req.Header[k] = v
	}
	return ValidateExchange(req, []byte(ex.reqBody), ex.status, ex.respHeader, []byte(ex.respBody))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
