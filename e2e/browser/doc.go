// Package browser tests the ui backend's pages in a real headless
// Chromium (Debian's chromium package, driven by chromedp), against the
// two-service example run with TRACER_BACKEND=ui. It is a module of its
// own so that the library's go.mod does not carry a browser driver:
//
//	cd e2e/browser && go test -race ./...
//
// The tests fail, never skip, when Chromium is missing; set
// POLYTRACE_CHROMIUM to use another binary than /usr/bin/chromium, and
// POLYTRACE_SCREENSHOTS to a directory to keep the screenshots.
package browser
