package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/partnerlink/partnerlink/partnerships"
)

// chromium starts a headless Chromium for t, or fails with what to install.
func chromium(t *testing.T) context.Context {
	t.Helper()
	var bin string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatal("no chromium on PATH: run ./scripts/test.sh, which installs it, or install chromium")
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

func screenshot(t *testing.T, ctx context.Context, name string) {
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

// text reads the text of the element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// do runs browser steps or fails the test.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.Location())
		t.Fatalf("%v (page %s)", err, loc)
	}
}

// TestBrowserAcceptsInvitation: a person in Chromium opens the emailed link, reads the
// agreement, tries to accept without the box, ticks it, accepts and sees the partner list.
func TestBrowserAcceptsInvitation(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)
	ctx := chromium(t)

	do(t, ctx, chromedp.Navigate(link), chromedp.Click(chromedp.CSS("details summary")))
	heading, agreement := text(t, ctx, "h1"), text(t, ctx, "details .agreement-text")
	if heading != "Accept & authorize partner" || !strings.Contains(agreement, "Customer Agreement") {
		t.Fatalf("review page: heading %q, agreement %.40q", heading, agreement)
	}
	screenshot(t, ctx, "1-review")

	do(t, ctx, chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("notice")))
	if notice := text(t, ctx, "#notice"); !strings.Contains(notice, "Tick the box") {
		t.Fatalf("notice after accepting without the box: %q", notice)
	}
	if inv, _ := s.store.Invitation(context.Background(), id); inv.Status != partnerships.StatusSent {
		t.Fatalf("status after refused accept = %s", inv.Status)
	}
	screenshot(t, ctx, "2-box-not-ticked")

	do(t, ctx, chromedp.Click(chromedp.ID("agree")), chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("success")))
	success, table := text(t, ctx, "#success"), text(t, ctx, "#partners")
	screenshot(t, ctx, "3-partner-list")
	if !strings.Contains(success, "You accepted") || !strings.Contains(table, "Contoso <Partners> Ltd") || !strings.Contains(table, "Global administrator") {
		t.Fatalf("partner list: success %q, table %q", success, table)
	}
	inv, err := s.store.Invitation(context.Background(), id)
	if err != nil || inv.Status != partnerships.StatusAccepted {
		t.Fatalf("status after accept = %s, %v", inv.Status, err)
	}
	accs, _ := s.store.Acceptances(context.Background(), s.customer.ID)
	if len(accs) != 1 || !strings.Contains(accs[0].UserAgent, "Chrome") {
		t.Fatalf("acceptances = %+v", accs)
	}
}

// TestBrowserDeclinesInvitation: a person cancels the invitation, confirms, and the
// invitation is declined.
func TestBrowserDeclinesInvitation(t *testing.T) {
	s := start(t)
	id := s.invite(billingEmail, "advisor", "de")
	_, link := s.waitForLink(billingEmail, 1)
	ctx := chromium(t)

	do(t, ctx, chromedp.Navigate(link), chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("decline-yes")))
	if h := text(t, ctx, "h1"); h != "Einladung ablehnen?" {
		t.Fatalf("confirmation heading %q", h)
	}
	screenshot(t, ctx, "1-confirm-decline")
	if inv, _ := s.store.Invitation(context.Background(), id); inv.Status == partnerships.StatusDeclined {
		t.Fatal("opening the confirmation declined the invitation")
	}
	do(t, ctx, chromedp.Click(chromedp.ID("decline-yes")), chromedp.WaitVisible(chromedp.CSS("p.lead")))
	if h := text(t, ctx, "h1"); h != "Einladung abgelehnt" {
		t.Fatalf("after declining: heading %q", h)
	}
	screenshot(t, ctx, "2-declined")
	if inv, err := s.store.Invitation(context.Background(), id); err != nil || inv.Status != partnerships.StatusDeclined {
		t.Fatalf("status = %s, %v; want declined", inv.Status, err)
	}
}
