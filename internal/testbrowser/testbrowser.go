// Package testbrowser starts a headless Chromium for a test, drives it with
// chromedp, and saves screenshots where `go test -artifacts` keeps them.
package testbrowser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start returns a chromedp context on a new headless Chromium that lives until the
// test ends, or fails the test saying what to install.
func Start(t *testing.T) context.Context {
	t.Helper()
	return StartFor(t, 60*time.Second)
}

// StartFor is Start for a browser that lives at most timeout: a long walk through
// many pages on a busy machine needs more than Start's minute.
func StartFor(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatal("testbrowser: no chromium on PATH: run ./scripts/test.sh, which installs it, or install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1100, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// Screenshot saves the whole page as name.png in the test's artifact directory.
func Screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// Text reads the text of the first element the CSS selector sel matches.
func Text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Do runs browser steps or fails the test, naming the page it was on.
func Do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Location())
		t.Fatalf("%v (page %s)", err, loc)
	}
}

// WaitText waits until the first element sel matches has text want: after a click
// that navigates, the old page may still be there for a moment.
func WaitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		step, cancel := context.WithTimeout(ctx, time.Second)
		s, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil && s == want {
			return
		}
		got = s
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("text of %s is %q, want %q", sel, got, want)
}
