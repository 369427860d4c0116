package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/partnerlink/partnerlink/internal/testbrowser"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestBrowserAcceptsInvitation: a person in Chromium opens the emailed link, reads the
// agreement, tries to accept without the box, ticks it, accepts and sees the partner list.
func TestBrowserAcceptsInvitation(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)
	ctx := testbrowser.Start(t)

	testbrowser.Do(t, ctx, chromedp.Navigate(link), chromedp.Click(chromedp.CSS("details summary")))
	heading, agreement := testbrowser.Text(t, ctx, "h1"), testbrowser.Text(t, ctx, "details .agreement-text")
	if heading != "Accept & authorize partner" || !strings.Contains(agreement, "Customer Agreement") {
		t.Fatalf("review page: heading %q, agreement %.40q", heading, agreement)
	}
	testbrowser.Screenshot(t, ctx, "1-review")

	testbrowser.Do(t, ctx, chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("notice")))
	if notice := testbrowser.Text(t, ctx, "#notice"); !strings.Contains(notice, "Tick the box") {
		t.Fatalf("notice after accepting without the box: %q", notice)
	}
	if inv, _ := s.store.Invitation(context.Background(), id); inv.Status != partnerships.StatusSent {
		t.Fatalf("status after refused accept = %s", inv.Status)
	}
	testbrowser.Screenshot(t, ctx, "2-box-not-ticked")

	testbrowser.Do(t, ctx, chromedp.Click(chromedp.ID("agree")), chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("success")))
	success, table := testbrowser.Text(t, ctx, "#success"), testbrowser.Text(t, ctx, "#partners")
	testbrowser.Screenshot(t, ctx, "3-partner-list")
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
	ctx := testbrowser.Start(t)

	testbrowser.Do(t, ctx, chromedp.Navigate(link), chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("decline-yes")))
	if h := testbrowser.Text(t, ctx, "h1"); h != "Einladung ablehnen?" {
		t.Fatalf("confirmation heading %q", h)
	}
	testbrowser.Screenshot(t, ctx, "1-confirm-decline")
	if inv, _ := s.store.Invitation(context.Background(), id); inv.Status == partnerships.StatusDeclined {
		t.Fatal("opening the confirmation declined the invitation")
	}
	testbrowser.Do(t, ctx, chromedp.Click(chromedp.ID("decline-yes")))
	testbrowser.WaitText(t, ctx, "h1", "Einladung abgelehnt")
	testbrowser.Screenshot(t, ctx, "2-declined")
	if inv, err := s.store.Invitation(context.Background(), id); err != nil || inv.Status != partnerships.StatusDeclined {
		t.Fatalf("status = %s, %v; want declined", inv.Status, err)
	}
}
