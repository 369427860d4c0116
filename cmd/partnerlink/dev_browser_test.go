package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/partnerlink/partnerlink/internal/testbrowser"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestDevInBrowser does what the README tells a newcomer: open the mail page of
// `partnerlink dev`, open the demo invitation, click its link, tick the box, accept.
func TestDevInBrowser(t *testing.T) {
	d, base := startDevSystem(t)
	ctx := testbrowser.Start(t)

	// The demo invitation is sent at start; the mail page lists it once it arrives.
	deadline := time.Now().Add(10 * time.Second)
	for len(d.sink.Messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the demo invitation did not arrive")
		}
		time.Sleep(20 * time.Millisecond)
	}
	testbrowser.Do(t, ctx, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`a[href="1"]`)))
	testbrowser.Screenshot(t, ctx, "1-mail-list")
	testbrowser.Do(t, ctx, chromedp.Click(chromedp.CSS(`a[href="1"]`)), chromedp.WaitVisible(chromedp.CSS(`pre a[href*="/invite/"]`)))
	testbrowser.Screenshot(t, ctx, "2-invitation-email")
	testbrowser.Do(t, ctx, chromedp.Click(chromedp.CSS(`pre a[href*="/invite/"]`)), chromedp.WaitVisible(chromedp.ID("accept")))
	if h := testbrowser.Text(t, ctx, "h1"); h != "Accept & authorize partner" {
		t.Fatalf("after clicking the link: heading %q", h)
	}
	testbrowser.Screenshot(t, ctx, "3-review")
	testbrowser.Do(t, ctx, chromedp.Click(chromedp.ID("agree")), chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("success")))
	testbrowser.Screenshot(t, ctx, "4-partner-list")
	if table := testbrowser.Text(t, ctx, "#partners"); !strings.Contains(table, "Contoso Partners Ltd") || !strings.Contains(table, "Signed") {
		t.Fatalf("partner list: %q", table)
	}
	inv, err := partnerships.NewStore(d.rdb, partnerships.WithoutScriptFlags()).Invitation(context.Background(), d.demoInv.ID)
	if err != nil || inv.Status != partnerships.StatusAccepted {
		t.Fatalf("demo invitation: %s, %v; want accepted", inv.Status, err)
	}
}
