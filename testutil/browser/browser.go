package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// EnvChromium names the browser binary (a path, or a name on PATH) to
	// use instead of the first of Candidates on PATH.
	EnvChromium = "TENSORCOSM_CHROMIUM"

	// EnvOutput names the directory that OutputDir returns instead of
	// <module root>/build/test-output/<package>.
	EnvOutput = "TENSORCOSM_TEST_OUTPUT"

	// MissingBrowser is the failure message when no browser is found.
	MissingBrowser = "no Chromium found ($" + EnvChromium + " is unset; chromium, chromium-browser and google-chrome are not on PATH): install Debian's chromium package (make deps)"

	// MobileWidth is the viewport width below which NewPage emulates a
	// phone: a mobile viewport (the page's <meta name="viewport"> applies)
	// with touch.
	MobileWidth = 600
)

// Candidates are the browser binaries that ExecPath looks for on PATH, in
// order, when $TENSORCOSM_CHROMIUM is unset.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome"}

// Bounds on the waits, so that a stuck browser fails the test instead of
// hanging it until the go test timeout.
const (
	// startTimeout bounds the start of the browser and the opening of a tab.
	startTimeout = 30 * time.Second
	// runTimeout bounds one Page.Run.
	runTimeout = 30 * time.Second
	// stopTimeout bounds the stop of the browser (and the close of a tab)
	// in the cleanup; after it the process is killed outright.
	stopTimeout = 20 * time.Second
	// maxScreenshotHeight caps a full-page screenshot, in CSS pixels.
	maxScreenshotHeight = 16384
	// outputTail is how much of the browser's own output (stdout and
	// stderr) is kept for the failure message of a failed start.
	outputTail = 16 << 10
)

// ExecPath returns the browser binary: $TENSORCOSM_CHROMIUM when set, else
// the first of Candidates on PATH. The error says how to install one.
func ExecPath() (string, error) {
	if name := os.Getenv(EnvChromium); name != "" {
		path, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("$%s=%q is not an executable: %w", EnvChromium, name, err)
		}
		return path, nil
	}
	for _, name := range Candidates {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New(MissingBrowser)
}

// Browser is one headless Chromium process that Start launched for a test.
// Its pages can be used from parallel subtests, each page from one goroutine.
type Browser struct {
	// ctx is the chromedp context of the browser's first tab; every page
	// is a new tab under it.
	ctx  context.Context
	path string
	log  *testLog
}

// Start launches one headless Chromium for the test and stops it in
// t.Cleanup, killing the process when it does not stop in time. Without a
// browser it fails the test (see MissingBrowser): it never skips.
//
// The browser runs headless (the new mode) with --no-sandbox (the tests run
// as root), --disable-gpu, --disable-dev-shm-usage, --no-first-run,
// --disable-extensions, --lang=en-US, --hide-scrollbars and
// --force-device-scale-factor=1, besides chromedp's defaults, and a fresh
// temporary user data directory that chromedp removes when the browser stops.
func Start(t testing.TB) *Browser {
	t.Helper()
	path, err := ExecPath()
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	out := &tailBuffer{max: outputTail}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		// On Linux Chromium takes its locale from the environment more
		// than from --lang.
		chromedp.Env("LANGUAGE=en-US"),
		chromedp.CombinedOutput(out),
	)
	b := &Browser{path: path, log: &testLog{t: t}}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx,
		chromedp.WithLogf(b.log.printf),
		chromedp.WithErrorf(b.log.errorf),
	)
	b.ctx = ctx
	t.Cleanup(func() {
		// Canceling the first context kills the process (exec.CommandContext)
		// and its leftover children, and removes the user data directory.
		var proc *os.Process
		if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil {
			proc = c.Browser.Process()
		}
		if !bounded(stopTimeout, func() { cancelBrowser(); cancelAlloc() }) {
			if proc != nil {
				_ = proc.Kill()
			}
			t.Logf("browser: %s did not stop within %v; killed it", path, stopTimeout)
		}
		b.log.stop()
	})

	// The first Run starts the browser and binds its life to the context
	// it gets, so it cannot get a timeout: a watchdog cancels it instead.
	watchdog := time.AfterFunc(startTimeout, cancelAlloc)
	err = chromedp.Do(ctx)
	if !watchdog.Stop() && err != nil {
		err = fmt.Errorf("did not start within %v: %w", startTimeout, err)
	}
	if err != nil {
		t.Fatalf("browser: start %s: %v\n--- its output ---\n%s", path, err, out.String())
	}
	return b
}

// Page is one browser tab that NewPage opened. Use it from one goroutine
// (Errors and ClearErrors are safe from any).
type Page struct {
	ctx context.Context

	mu   sync.Mutex
	errs []string
}

// NewPage opens a tab with a viewport of width x height CSS pixels at a
// device scale factor of 1, and closes it in t.Cleanup. Below MobileWidth it
// emulates a phone: a mobile viewport with touch, so the page needs its
// <meta name="viewport" content="width=device-width"> to lay out at that
// width. The tab collects the errors its pages report (see Errors) from the
// moment it opens.
func (b *Browser) NewPage(t testing.TB, width, height int) *Page {
	t.Helper()
	if width <= 0 || height <= 0 {
		t.Fatalf("browser: NewPage(%d, %d): the viewport needs a positive size", width, height)
	}
	p := &Page{}
	// WithListener sees every event of the tab, from before its first
	// command on; it runs in the tab's reading loop, so it only records.
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(p.onEvent))
	p.ctx = ctx
	t.Cleanup(func() {
		if !bounded(stopTimeout, cancel) {
			t.Logf("browser: the tab did not close within %v", stopTimeout)
		}
	})

	// The first Run opens the tab and binds the tab to its context, so, as
	// in Start, a watchdog bounds it instead of a timeout.
	watchdog := time.AfterFunc(startTimeout, cancel)
	err := chromedp.Do(ctx)
	if !watchdog.Stop() && err != nil {
		err = fmt.Errorf("did not open within %v: %w", startTimeout, err)
	}
	if err != nil {
		t.Fatalf("browser: open a tab: %v", err)
	}

	var emulate []chromedp.EmulateViewportOption
	if width < MobileWidth {
		emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if height >= width {
		emulate = append(emulate, chromedp.EmulatePortrait)
	} else {
		emulate = append(emulate, chromedp.EmulateLandscape)
	}
	// chromedp enables the runtime and log domains when it attaches a tab;
	// enabling them again is harmless and keeps Errors independent of that.
	p.Run(t,
		call(runtime.Enable),
		call(cdplog.Enable),
		chromedp.EmulateViewport(int64(width), int64(height), emulate...),
	)
	return p
}

// Ctx returns the tab's chromedp context, for chromedp.Run, chromedp.Events
// and the like. It has no timeout: derive one with context.WithTimeout.
func (p *Page) Ctx() context.Context { return p.ctx }

// Run runs the chromedp actions in order with a timeout of 30 s. On an error
// it fails the test (t.Fatal, so call it from the test's goroutine) with the
// error and the errors the page reported so far.
func (p *Page) Run(t testing.TB, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, runTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v\n%s", err, p.report())
	}
}

// Errors returns what the tab's pages reported as errors since the tab
// opened (or since ClearErrors), in order, each as one readable line:
//
//   - console.error and console.assert calls (Runtime.consoleAPICalled of
//     type error or assert), as "console.error: <arguments> (<url>:<line>)";
//   - uncaught exceptions and unhandled promise rejections
//     (Runtime.exceptionThrown), as "uncaught exception: Uncaught Error: <message> (<url>:<line>)";
//   - browser log entries of level error (Log.entryAdded): failed loads such
//     as a 404 for a script or a favicon, CSP violations, as
//     "browser log [network]: Failed to load resource: ... (<url>)" (a
//     script answered with X-Content-Type-Options: nosniff and a type that
//     is not JavaScript, as net/http's NotFound does, adds a second line,
//     "browser log [security]: Refused to execute script ...").
//
// An event can arrive a little after the action that caused it; a test that
// expects an error polls for it. Errors is safe for concurrent use.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// ClearErrors forgets the errors reported so far.
func (p *Page) ClearErrors() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = nil
}

// Screenshot writes a PNG of the whole page (its full scroll size, at least
// the viewport, at most 16384 CSS pixels tall) to OutputDir(t)/name.png and
// returns the path. Characters of name other than letters, digits, '.', '-'
// and '_' become '_', so t.Name() is a fine name.
func (p *Page) Screenshot(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(OutputDir(t), fileName(name)+".png")
	var png []byte
	p.Run(t, chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		var err error
		png, err = fullPageScreenshot(ctx, tgt)
		return err
	}))
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatalf("browser: write the screenshot: %v", err)
	}
	t.Logf("browser: screenshot %s", path)
	return path
}

// Draw drags the mouse over the first element that the CSS selector sel
// matches, as a pen stroke: it scrolls the element into view, presses the
// left button at the first point, moves through the others and releases at
// the last. Points are in CSS pixels relative to the element's top-left
// corner (its border box, from getBoundingClientRect). The page sees
// pointerdown, pointermove and pointerup events (pointerType "mouse", also in
// the touch-emulating mobile viewport) and the matching mouse events.
func (p *Page) Draw(t testing.TB, sel string, points [][2]float64) {
	t.Helper()
	if len(points) == 0 {
		t.Fatalf("browser: Draw(%q): no points", sel)
	}
	p.Run(t, drawAction(sel, points))
}

// OutputDir returns the directory for the files a test writes for people to
// look at, such as screenshots: $TENSORCOSM_TEST_OUTPUT when set, else
// <module root>/build/test-output/<package>, where the module root is the
// nearest directory above the working directory with a go.mod and <package>
// is the test binary's package name (gateway for gateway.test). A relative
// $TENSORCOSM_TEST_OUTPUT is taken from the test's working directory, its
// package directory. It creates the directory when missing.
func OutputDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvOutput)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		dir = filepath.Join(root, "build", "test-output", testPackage())
	}
	dir, err := filepath.Abs(dir)
	if err == nil {
		err = os.MkdirAll(dir, 0o750)
	}
	if err != nil {
		t.Fatalf("browser: output directory: %v", err)
	}
	return dir
}

// moduleRoot walks up from the working directory to the nearest go.mod.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod in %s or above it", wd)
		}
	}
}

// testPackage returns the package name of the running test binary: go test
// names it <package>.test.
func testPackage() string {
	name := filepath.Base(os.Args[0])
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".exe"), ".test")
	if name = fileName(name); name == "" || name == "." || name == ".." {
		return "test"
	}
	return name
}

// fileName makes s safe as one file name: characters other than ASCII
// letters, digits, '.', '-' and '_' become '_'.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}

// call makes an action of a protocol command without parameters or result.
func call(cmd cdp.Command[cdp.Empty, cdp.Empty]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cmd, cdp.Empty{})
		return err
	})
}

// fullPageScreenshot captures the page's whole scroll area as a PNG.
func fullPageScreenshot(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
	if err != nil {
		return nil, err
	}
	var w, h float64
	if v := m.CSSLayoutViewport; v != nil {
		w, h = float64(v.ClientWidth), float64(v.ClientHeight)
	}
	if c := m.CSSContentSize; c != nil {
		w, h = max(w, c.Width), max(h, c.Height)
	}
	w, h = max(1, math.Ceil(w)), min(maxScreenshotHeight, max(1, math.Ceil(h)))
	res, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		Clip:                  &page.Viewport{Width: w, Height: h, Scale: 1},
		CaptureBeyondViewport: new(true),
		FromSurface:           new(true),
	})
	if err != nil {
		return nil, err
	}
	return res.Data, nil
}

// elementBoxJS scrolls the element that a CSS selector (its argument)
// matches into view and returns its border box in viewport CSS pixels, or
// null when nothing matches.
const elementBoxJS = `((sel) => {
	const el = document.querySelector(sel);
	if (!el) return null;
	el.scrollIntoView({block: "nearest", inline: "nearest"});
	const r = el.getBoundingClientRect();
	return {x: r.left, y: r.top, width: r.width, height: r.height};
})(%s)`

type box struct{ X, Y, Width, Height float64 }

// drawAction is Draw's action.
func drawAction(sel string, points [][2]float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) (err error) {
		quoted, err := json.Marshal(sel)
		if err != nil {
			return err
		}
		raw, err := chromedp.Evaluate[[]byte](fmt.Sprintf(elementBoxJS, quoted))(ctx, t)
		if err != nil {
			return fmt.Errorf("draw on %q: %w", sel, err)
		}
		var b *box
		if err := json.Unmarshal(raw, &b); err != nil {
			return fmt.Errorf("draw on %q: the element's box %s: %w", sel, raw, err)
		}
		if b == nil {
			return fmt.Errorf("draw on %q: no element matches", sel)
		}
		mouse := func(typ input.DispatchMouseEventType, pt [2]float64, buttons int64) error {
			_, err := cdp.Call(ctx, t, input.DispatchMouseEvent, input.DispatchMouseEventParams{
				Type:       typ,
				X:          b.X + pt[0],
				Y:          b.Y + pt[1],
				Button:     input.MouseButtonLeft,
				Buttons:    buttons,
				ClickCount: 1,
			})
			return err
		}
		if err := mouse(input.DispatchMouseEventTypeMousePressed, points[0], 1); err != nil {
			return fmt.Errorf("draw on %q: press: %w", sel, err)
		}
		last := points[0]
		defer func() {
			// Release the button also after a failed move, so that the
			// page is not left mid-stroke.
			if rerr := mouse(input.DispatchMouseEventTypeMouseReleased, last, 0); err == nil && rerr != nil {
				err = fmt.Errorf("draw on %q: release: %w", sel, rerr)
			}
		}()
		for _, pt := range points[1:] {
			if err := mouse(input.DispatchMouseEventTypeMouseMoved, pt, 1); err != nil {
				return fmt.Errorf("draw on %q: move: %w", sel, err)
			}
			last = pt
		}
		return nil
	})
}

// onEvent records the tab's error events. It runs in the tab's reading loop:
// it must be quick and run no command.
func (p *Page) onEvent(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		msg = "console." + string(ev.Type) + ": " + argsText(ev.Args) + stackPlace(ev.StackTrace)
	case *runtime.EventExceptionThrown:
		msg = "uncaught exception: " + exceptionText(ev.ExceptionDetails)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e == nil || e.Level != cdplog.EntryLevelError {
			return
		}
		msg = "browser log [" + string(e.Source) + "]: " + e.Text + place(e.URL, e.LineNumber, e.LineNumber > 0)
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, msg)
}

// report lists the errors so far for a failure message.
func (p *Page) report() string {
	errs := p.Errors()
	if len(errs) == 0 {
		return "(the page reported no errors)"
	}
	return fmt.Sprintf("the page reported %d errors:\n  %s", len(errs), strings.Join(errs, "\n  "))
}

// exceptionText is the message of an uncaught exception and where it was
// thrown, such as "Uncaught Error: boom (http://127.0.0.1:1234/app.js:3)".
func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	text := d.Text
	if o := d.Exception; o != nil {
		// The description holds the stack after the first line; keep the
		// first line, the place comes after.
		desc, _, _ := strings.Cut(remoteText(o), "\n")
		if desc != "" && !strings.Contains(text, desc) {
			text = strings.TrimSpace(text + " " + desc)
		}
	}
	if d.URL != "" {
		return text + place(d.URL, d.LineNumber+1, true)
	}
	return text + stackPlace(d.StackTrace)
}

// argsText joins console arguments as the console shows them, roughly.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, remoteText(a))
	}
	return strings.Join(parts, " ")
}

// remoteText renders one value: a string as it is, a primitive as its
// value, an object as its description (an Error's message and stack).
func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Type == runtime.RemoteObjectTypeString {
		var s string
		if err := json.Unmarshal(o.Value, &s); err == nil {
			return s
		}
	}
	switch {
	case o.UnserializableValue != "":
		return string(o.UnserializableValue)
	case o.Description != "":
		return o.Description
	case len(o.Value) > 0:
		return string(o.Value)
	case o.Type == runtime.RemoteObjectTypeUndefined:
		return "undefined"
	}
	return string(o.Type)
}

// stackPlace is the place of the top frame of the stack, if any.
func stackPlace(s *runtime.StackTrace) string {
	if s == nil || len(s.CallFrames) == 0 {
		return ""
	}
	f := s.CallFrames[0]
	return place(f.URL, f.LineNumber+1, true)
}

// place formats " (url:line)", " (url)" or "".
func place(url string, line int64, withLine bool) string {
	switch {
	case url == "":
		return ""
	case withLine:
		return fmt.Sprintf(" (%s:%d)", url, line)
	}
	return " (" + url + ")"
}

// bounded runs f and waits at most d for it; it reports whether f returned.
func bounded(d time.Duration, f func()) bool {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// testLog passes chromedp's log lines to t.Logf until the test's cleanup,
// and drops them after: t.Logf panics once the test has ended.
type testLog struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.t.Logf("chromedp: "+format, args...)
	}
}

func (l *testLog) errorf(format string, args ...any) { l.printf("ERROR: "+format, args...) }

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
