package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// The pages: plain HTML, CSS and JavaScript, embedded in the binary. No
// CDN, no build step (see README.md).
//
//go:embed static
var static embed.FS

// Security headers of every answer of Handler. The pages load nothing but
// their own assets and the gateway's JSON API.
const (
	ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
		"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
	// AssetsPrefix is the path the static files are served under.
	AssetsPrefix = "/assets/"
)

// contentTypes maps the static files' extensions to their types.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".json": "application/json",
	".txt":  "text/plain; charset=utf-8",
}

// asset is one static file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string // quoted sha256 of body
}

// assets are the static files by name (index.html, app.js, ...), read once.
var assets = func() map[string]*asset {
	out := map[string]*asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(body)
		out[strings.TrimPrefix(p, "static/")] = &asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:]) + `"`}
		return nil
	})
	if err != nil {
		panic("dashboard: reading the embedded pages: " + err.Error())
	}
	return out
}()

// Handler serves the pages: GET / is index.html, GET /assets/<file> the
// static files, each with its content type, the security headers (CSP,
// nosniff, no referrer), an ETag (the SHA-256 of the content) and
// Cache-Control: no-cache, so a browser revalidates and gets 304 while
// the binary is the same. Unknown paths are 404, methods other than GET
// and HEAD 405. The gateway mounts it at "GET /{$}" and "GET /assets/".
func Handler() http.Handler { return http.HandlerFunc(serveStatic) }

func serveStatic(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var a *asset
	switch p := r.URL.Path; {
	case p == "/":
		a = assets["index.html"]
	case strings.HasPrefix(p, AssetsPrefix):
		name := strings.TrimPrefix(p, AssetsPrefix)
		if name != "" && !strings.Contains(name, "/") && name != "index.html" {
			a = assets[name]
		}
	}
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", a.contentType)
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(a.body)
	}
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match) or is "*".
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
