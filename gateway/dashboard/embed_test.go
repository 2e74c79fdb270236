package dashboard_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/gateway/dashboard"
)

// staticFiles are the files under static/, by name.
func staticFiles(t *testing.T) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir("static")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("static/%s: the handler serves no subdirectories", e.Name())
			continue
		}
		b, err := os.ReadFile(filepath.Join("static", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func serve(h http.Handler, method, path string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// TestHandlerServesEveryFile checks each static file's answer: status,
// content type, security headers, ETag and body.
func TestHandlerServesEveryFile(t *testing.T) {
	h := dashboard.Handler()
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8"}
	for name, body := range staticFiles(t) {
		path := "/assets/" + name
		if name == "index.html" {
			path = "/"
		}
		w := serve(h, "GET", path, nil)
		if w.Code != 200 {
			t.Errorf("GET %s: %d", path, w.Code)
			continue
		}
		want, ok := types[filepath.Ext(name)]
		if !ok {
			t.Errorf("static/%s: a type the test does not know", name)
		}
		hd := w.Header()
		for k, v := range map[string]string{
			"Content-Type":            want,
			"Content-Security-Policy": dashboard.ContentSecurityPolicy,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Cache-Control":           "no-cache",
			"ETag":                    etagOf(body),
			"Content-Length":          strconv.Itoa(len(body)),
		} {
			if got := hd.Get(k); got != v {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, v)
			}
		}
		if w.Body.String() != string(body) {
			t.Errorf("GET %s: the body is not static/%s", path, name)
		}
	}
	want := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'"
	if dashboard.ContentSecurityPolicy != want {
		t.Errorf("the CSP is %q, want %q", dashboard.ContentSecurityPolicy, want)
	}
}

// TestHandlerConditionalAndErrors checks 304 on a matching If-None-Match,
// HEAD, 404 for unknown paths and 405 for other methods, also when
// mounted as the gateway mounts it.
func TestHandlerConditionalAndErrors(t *testing.T) {
	index, err := os.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	etag := etagOf(index)
	direct := dashboard.Handler()
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", direct)
	mux.Handle("GET /assets/", direct)
	for name, h := range map[string]http.Handler{"handler": direct, "mounted": mux} {
		for _, inm := range []string{etag, "W/" + etag, "*", `"nope", ` + etag} {
			w := serve(h, "GET", "/", map[string]string{"If-None-Match": inm})
			if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
				t.Errorf("%s: If-None-Match %s: %d, %d bytes, ETag %q; want 304, none, the ETag", name, inm, w.Code, w.Body.Len(), w.Header().Get("ETag"))
			}
		}
		if w := serve(h, "GET", "/", map[string]string{"If-None-Match": `"other"`}); w.Code != 200 {
			t.Errorf("%s: a stale If-None-Match: %d", name, w.Code)
		}
		w := serve(h, "HEAD", "/assets/app.js", nil)
		if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || w.Header().Get("Content-Length") == "" {
			t.Errorf("%s: HEAD /assets/app.js: %d, %d bytes, %v", name, w.Code, w.Body.Len(), w.Header())
		}
		for _, p := range []string{"/assets/nope.js", "/assets/", "/assets/x/app.js", "/assets/index.html", "/index.html", "/nope"} {
			if w := serve(h, "GET", p, nil); w.Code != http.StatusNotFound {
				t.Errorf("%s: GET %s: %d, want 404", name, p, w.Code)
			}
		}
	}
	w := serve(direct, "POST", "/", nil)
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if w := serve(direct, "GET", "/assets/nope.js", nil); w.Header().Get("Content-Security-Policy") == "" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a 404 lacks the security headers: %v", w.Header())
	}
}

// TestStaticFilesFollowThePolicy checks what the CSP and the no-CDN rule
// ask of the files: no inline script or style, no event-handler
// attributes, no eval, nothing loaded from elsewhere, and every asset and
// import they name exists.
func TestStaticFilesFollowThePolicy(t *testing.T) {
	files := staticFiles(t)
	index := string(files["index.html"])
	if !strings.Contains(index, `<link rel="icon" href="data:,">`) {
		t.Error("index.html has no data: favicon (the browser would ask for /favicon.ico)")
	}
	if !strings.Contains(index, `<meta name="viewport" content="width=device-width`) {
		t.Error("index.html has no viewport meta")
	}
	for _, m := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(index, -1) {
		if !strings.Contains(m, ` src="/assets/`) {
			t.Errorf("index.html: inline script %s", m)
		}
	}
	for name, b := range files {
		s := string(b)
		if ext := filepath.Ext(name); ext == ".html" || ext == ".js" {
			if m := regexp.MustCompile(`\sstyle\s*=\s*["']`).FindString(s); m != "" {
				t.Errorf("%s: a style attribute (%q): the CSP refuses inline styles", name, m)
			}
			if m := regexp.MustCompile(`\son[a-z]+\s*=\s*["']`).FindString(s); m != "" {
				t.Errorf("%s: an event-handler attribute (%q)", name, m)
			}
		}
		for _, bad := range []string{"eval(", "new Function(", "document.write(", "setTimeout('", `setTimeout("`} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: uses %s", name, bad)
			}
		}
		for _, u := range regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*`).FindAllString(s, -1) {
			if u != "http://www.w3.org/2000/svg" {
				t.Errorf("%s: names an outside address %s (the pages work offline)", name, u)
			}
		}
	}
	for _, m := range regexp.MustCompile(`(?:href|src)="/assets/([^"]+)"`).FindAllStringSubmatch(index, -1) {
		if _, ok := files[m[1]]; !ok {
			t.Errorf("index.html names /assets/%s, which does not exist", m[1])
		}
	}
	imports := regexp.MustCompile(`(?m)(?:^import\s[^;]*?from\s+|new Worker\()'([^']+)'`)
	for name, b := range files {
		for _, m := range imports.FindAllStringSubmatch(string(b), -1) {
			target := strings.TrimPrefix(strings.TrimPrefix(m[1], "./"), "/assets/")
			if _, ok := files[target]; !ok {
				t.Errorf("%s imports %s, which does not exist", name, m[1])
			}
		}
	}
}

// TestHandlerOverHTTP fetches the page over a real connection.
func TestHandlerOverHTTP(t *testing.T) {
	srv := httptest.NewServer(dashboard.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(b), `src="/assets/app.js"`) {
		t.Fatalf("GET /: %d %s", res.StatusCode, b)
	}
}
