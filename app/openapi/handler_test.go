package openapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/tensorcosm/tensorcosm/app/openapi"
)

// TestRegister serves the routes the way the node does, on a gorilla router
// with a catch-all behind them standing in for the REST gateway.
func TestRegister(t *testing.T) {
	r := mux.NewRouter()
	openapi.Register(r)
	r.PathPrefix("/").HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotImplemented)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	tests := []struct {
		name, method, path string
		status             int
		contentType        string // prefix; "" skips the check
		body               []byte // exact body; nil skips the check
		contains           string
		location           string // redirect target; "" skips the check
	}{
		{name: "document", method: "GET", path: openapi.DocumentPath, status: 200, contentType: "application/json", body: openapi.Document()},
		{name: "UI page", method: "GET", path: "/swagger/", status: 200, contentType: "text/html", contains: `url: "./openapi.json"`},
		{name: "UI script from the SDK", method: "GET", path: "/swagger/swagger-ui-bundle.js", status: 200, contentType: "text/javascript", contains: "SwaggerUIBundle"},
		{name: "UI styles", method: "GET", path: "/swagger/swagger-ui.css", status: 200, contentType: "text/css"},
		{name: "no slash redirects", method: "GET", path: "/swagger", status: 301, location: openapi.Prefix},
		{name: "SDK's own document is not served", method: "GET", path: "/swagger/swagger.yaml", status: 404},
		{name: "unknown file", method: "GET", path: "/swagger/nope.json", status: 404},
		{name: "document is read-only", method: "POST", path: openapi.DocumentPath, status: 405},
		{name: "other paths reach the gateway", method: "GET", path: "/tensorcosm/subnet/v1/params", status: 501},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %q", ct, tc.contentType)
			}
			if tc.body != nil && !bytes.Equal(body, tc.body) {
				t.Errorf("body is not the embedded document (%d bytes, want %d)", len(body), len(tc.body))
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			if loc := resp.Header.Get("Location"); tc.location != "" && loc != tc.location {
				t.Errorf("Location %q, want %q", loc, tc.location)
			}
		})
	}
}
