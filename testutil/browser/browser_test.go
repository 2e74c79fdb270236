package browser

import (
	"context"
	"fmt"
	"image/png"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// head is the common <head>: a phone-ready viewport and an inline favicon,
// so that the browser asks the server for no /favicon.ico.
const head = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>%s</title></head>`

// pages are the test server's files; any other path is a 404.
var pages = map[string]string{
	"/clean.html": fmt.Sprintf(head, "clean") + `<body><p>fine</p><script src="/clean.js"></script></body></html>`,
	"/clean.js": `console.log("a log line is no error");
console.warn("nor is a warning");
console.assert(true, "nor a passing assert");
window.ready = true;`,

	"/errors.html": fmt.Sprintf(head, "errors") + `<body>
<script src="/missing.js"></script>
<script src="/errors.js"></script>
</body></html>`,
	"/errors.js": `console.error("boom from console.error", 42);
window.ready = true;
throw new Error("kaboom uncaught");`,

	// A page 2000 CSS pixels tall, for the full-page screenshot.
	"/tall.html": fmt.Sprintf(head, "tall") + `<body style="margin:0">
<div style="height:2000px;background:linear-gradient(#08f,#f80)"></div>
<script>window.ready = true;</script></body></html>`,

	// A canvas away from the page's corner that records pointer events in
	// canvas coordinates and draws the stroke.
	"/draw.html": fmt.Sprintf(head, "draw") + `<body style="margin:0">
<canvas id="pad" width="300" height="200"
  style="position:absolute;left:40px;top:60px;width:300px;height:200px;touch-action:none;border:1px solid #000;box-sizing:content-box"></canvas>
<script src="/draw.js"></script></body></html>`,
	"/draw.js": `const pad = document.getElementById("pad");
const g = pad.getContext("2d");
window.events = [];
for (const type of ["pointerdown", "pointermove", "pointerup"]) {
  pad.addEventListener(type, (e) => {
    const r = pad.getBoundingClientRect();
    window.events.push({type, x: e.clientX - r.left, y: e.clientY - r.top, buttons: e.buttons, pointerType: e.pointerType});
    if (type === "pointerdown") { g.beginPath(); g.moveTo(e.clientX - r.left, e.clientY - r.top); }
    else if (e.buttons & 1) { g.lineTo(e.clientX - r.left, e.clientY - r.top); g.lineWidth = 4; g.stroke(); }
  });
}
window.ready = true;`,
}

// serve starts the test server on 127.0.0.1 and counts its 404s.
func serve(t *testing.T) (srv *httptest.Server, notFound *atomic.Int64) {
	notFound = new(atomic.Int64)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			// No http.NotFound: its X-Content-Type-Options: nosniff makes
			// the browser report a refused script on top of the 404.
			notFound.Add(1)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		typ := "text/html; charset=utf-8"
		if strings.HasSuffix(r.URL.Path, ".js") {
			typ = "text/javascript; charset=utf-8"
		}
		w.Header().Set("Content-Type", typ)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(body))
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, notFound
}

// open loads the page in a new tab and waits for its script to finish.
func open(t *testing.T, b *Browser, width, height int, url string) *Page {
	t.Helper()
	p := b.NewPage(t, width, height)
	p.Run(t,
		chromedp.Navigate(url),
		chromedp.Poll[chromedp.Void](`window.ready === true`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	return p
}

// waitErrors polls until the page reported at least n errors or 10 s pass.
func waitErrors(p *Page, n int) []string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		errs := p.Errors()
		if len(errs) >= n || time.Now().After(deadline) {
			return errs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBrowser(t *testing.T) {
	start := time.Now()
	b := Start(t)
	t.Logf("Chromium %s started in %v", b.path, time.Since(start).Round(time.Millisecond))
	srv, notFound := serve(t)

	t.Run("clean page has no errors", func(t *testing.T) {
		t.Parallel()
		p := open(t, b, 1280, 800, srv.URL+"/clean.html")
		// A round trip after the load: the tab has read every event sent
		// before its answer.
		title, err := chromedp.Run(p.Ctx(), chromedp.Title())
		if err != nil || title != "clean" {
			t.Fatalf("title %q, %v", title, err)
		}
		if errs := p.Errors(); len(errs) > 0 {
			t.Fatalf("a clean page reported errors:\n%s", strings.Join(errs, "\n"))
		}
	})

	t.Run("errors are reported", func(t *testing.T) {
		t.Parallel()
		p := open(t, b, 1280, 800, srv.URL+"/errors.html")
		waitErrors(p, 3)
		time.Sleep(100 * time.Millisecond) // let a wrong fourth one show up
		errs := p.Errors()
		t.Logf("errors:\n%s", strings.Join(errs, "\n"))
		if len(errs) != 3 {
			t.Fatalf("got %d errors, want 3 (console.error, uncaught exception, 404):\n%s", len(errs), strings.Join(errs, "\n"))
		}
		for _, want := range [][]string{
			{"console.error:", "boom from console.error 42", "/errors.js:1"},
			{"uncaught exception:", "Error: kaboom uncaught", "/errors.js:3"},
			{"browser log [network]:", "404", "/missing.js"},
		} {
			if !slices.ContainsFunc(errs, func(e string) bool {
				for _, w := range want {
					if !strings.Contains(e, w) {
						return false
					}
				}
				return true
			}) {
				t.Errorf("no error mentions all of %q", want)
			}
		}
		p.ClearErrors()
		if errs := p.Errors(); len(errs) != 0 {
			t.Errorf("after ClearErrors: %q", errs)
		}
	})

	for _, size := range [][2]int{{1280, 800}, {375, 667}} {
		width, height := size[0], size[1]
		t.Run(fmt.Sprintf("screenshot %dx%d", width, height), func(t *testing.T) {
			t.Parallel()
			p := open(t, b, width, height, srv.URL+"/tall.html")
			if mobile, err := chromedp.Run(p.Ctx(), chromedp.Evaluate[bool](`navigator.maxTouchPoints > 0`)); err != nil {
				t.Fatal(err)
			} else if mobile != (width < MobileWidth) {
				t.Errorf("touch emulation %v at width %d", mobile, width)
			}
			path := p.Screenshot(t, t.Name())
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			img, err := png.Decode(f)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if got := img.Bounds(); got.Dx() != width || got.Dy() != 2000 {
				t.Errorf("%s is %dx%d, want %dx2000 (the viewport's width, the page's height)", path, got.Dx(), got.Dy(), width)
			}
			if errs := p.Errors(); len(errs) > 0 {
				t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}

	for _, size := range [][2]int{{1280, 800}, {375, 667}} {
		width, height := size[0], size[1]
		t.Run(fmt.Sprintf("draw %dx%d", width, height), func(t *testing.T) {
			t.Parallel()
			p := open(t, b, width, height, srv.URL+"/draw.html")
			stroke := [][2]float64{{20, 30}, {60, 50}, {120, 90}, {200, 150}}
			p.Draw(t, "#pad", stroke)

			type event struct {
				Type, PointerType string
				X, Y              float64
				Buttons           int
			}
			ctx, cancel := context.WithTimeout(p.Ctx(), 10*time.Second)
			defer cancel()
			events, err := chromedp.Run(ctx, chromedp.Evaluate[[]event](`window.events`))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("events: %+v", events)
			var types []string
			for _, e := range events {
				types = append(types, e.Type)
			}
			want := []string{"pointerdown", "pointermove", "pointermove", "pointermove", "pointerup"}
			if !slices.Equal(types, want) {
				t.Fatalf("the page saw %q, want %q", types, want)
			}
			// Both Draw and the page measure from the canvas's border box;
			// allow for rounding.
			near := func(e event, pt [2]float64) bool {
				return math.Abs(e.X-pt[0]) <= 1 && math.Abs(e.Y-pt[1]) <= 1
			}
			for i, e := range events {
				if pt := stroke[min(i, len(stroke)-1)]; !near(e, pt) {
					t.Errorf("%s at (%g, %g), want (%g, %g)", e.Type, e.X, e.Y, pt[0], pt[1])
				}
			}
			if events[1].Buttons != 1 || events[4].Buttons != 0 {
				t.Errorf("buttons: move %d, up %d, want 1 and 0", events[1].Buttons, events[4].Buttons)
			}
			// The page drew the stroke: a pixel on its middle segment is ink.
			alpha, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("pad").getContext("2d").getImageData(90, 70, 1, 1).data[3]`))
			if err != nil {
				t.Fatal(err)
			}
			if alpha == 0 {
				t.Errorf("no ink at (90, 70) on the canvas after the stroke")
			}
			p.Screenshot(t, t.Name())
			if errs := p.Errors(); len(errs) > 0 {
				t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
			}
		})
	}

	t.Cleanup(func() {
		// The pages link an inline favicon, so the only 404 is missing.js.
		if n := notFound.Load(); n != 1 {
			t.Errorf("the server answered %d requests with 404, want 1 (missing.js)", n)
		}
	})
}

func TestExecPath(t *testing.T) {
	t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "no-such-browser"))
	if _, err := ExecPath(); err == nil || !strings.Contains(err.Error(), EnvChromium) {
		t.Errorf("with a wrong $%s: %v", EnvChromium, err)
	}
	t.Setenv(EnvChromium, "")
	t.Setenv("PATH", t.TempDir())
	if _, err := ExecPath(); err == nil || !strings.Contains(err.Error(), "install Debian's chromium package (make deps)") {
		t.Errorf("with no browser on PATH: %v", err)
	}
}

func TestOutputDir(t *testing.T) {
	t.Setenv(EnvOutput, "")
	dir := OutputDir(t)
	if want := filepath.Join("build", "test-output", "browser"); !strings.HasSuffix(dir, want) {
		t.Errorf("OutputDir = %s, want it to end in %s", dir, want)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(dir))), "go.mod")); err != nil {
		t.Errorf("OutputDir = %s is not under the module root: %v", dir, err)
	}

	want := filepath.Join(t.TempDir(), "out")
	t.Setenv(EnvOutput, want)
	if got := OutputDir(t); got != want {
		t.Errorf("with $%s: OutputDir = %s, want %s", EnvOutput, got, want)
	}
	if fi, err := os.Stat(want); err != nil || !fi.IsDir() {
		t.Errorf("OutputDir did not create %s: %v", want, err)
	}
}
