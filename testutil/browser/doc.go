// Package browser drives a headless Chromium from Go tests, for the browser
// tests of the gateway's web dashboard. It wraps github.com/chromedp/chromedp.
//
// Start launches one browser for a test and stops it in t.Cleanup, also when
// the test fails. NewPage opens a tab with a given viewport (a phone with
// touch below 600 CSS pixels wide) and collects what the page reports as an
// error: console.error and console.assert calls, uncaught exceptions and
// failed loads such as a 404 for a script. Page.Run runs chromedp actions with
// a bounded timeout and fails the test with those errors, Page.Screenshot
// writes a full-page PNG under OutputDir, and Page.Draw drags the mouse
// through points on an element.
//
//	b := browser.Start(t)
//	p := b.NewPage(t, 1280, 800)
//	p.Run(t, chromedp.Navigate(srv.URL))
//	if errs := p.Errors(); len(errs) > 0 {
//		t.Fatalf("the page reported errors:\n%s", strings.Join(errs, "\n"))
//	}
//	t.Log(p.Screenshot(t, "dashboard"))
//
// It needs Debian's chromium package (/usr/bin/chromium), which
// scripts/ci-deps.sh installs (make deps); $TENSORCOSM_CHROMIUM names another
// binary. Without a browser Start fails the test: it never skips, so a machine
// that cannot run the browser tests is noticed.
//
// chromedp v0.23 has the generic action API: an action is a
// chromedp.Action[T], and the actions that Page.Run takes return no value
// (chromedp.Action[chromedp.Void], such as chromedp.Navigate or
// chromedp.Click). To read a value, run chromedp.Run on a context derived
// from Page.Ctx with a timeout.
package browser
