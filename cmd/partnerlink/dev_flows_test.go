package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestDevFlowsInBrowser walks, in Chromium against `partnerlink dev`, the flows
// around the journey: a billing admin cancels an invitation (with the
// confirmation) and the partner is told; the partner withdraws the demo
// invitation and its link says so; a visitor finds a partner in the directory and
// contacts it, and the partner's lead email is on the mail page.
func TestDevFlowsInBrowser(t *testing.T) {
	w := newWalker(t, nil)
	key := w.d.apiKey

	// Decline with confirmation.
	w.api("POST", "/api/v1/invitations", key, `{"customer_email":"`+devBilling+`","relationship_type":"reseller","locale":"en"}`, 201)
	w.openMail(devBilling, "/invite/", "decline-invitation")
	w.do(chromedp.WaitVisible(chromedp.ID("cancel")), chromedp.Click(chromedp.ID("cancel")), chromedp.WaitVisible(chromedp.ID("decline-yes")))
	w.heading("Cancel invitation?")
	w.contains("main", "Contoso Partners Ltd")
	w.shot("decline-confirm")
	w.do(chromedp.Click(chromedp.ID("decline-yes")))
	w.heading("Invitation cancelled")
	w.shot("declined")
	w.waitMail(devPartner, "declined")

	// Revoke: the demo invitation's link says the partner withdrew it.
	w.waitMail(devAdmin, "/invite/")
	w.api("POST", "/api/v1/invitations/"+w.d.demoInv.ID+"/revoke", key, "", 200)
	w.openMail(devAdmin, "/invite/", "revoked-invitation")
	w.heading("The partner withdrew this invitation")
	w.shot("revoked")

	// Find a partner, contact it; the partner gets the lead.
	w.do(chromedp.Navigate(w.base+"/partners"), chromedp.WaitVisible(chromedp.ID("search-keywords")))
	w.heading("Find a partner")
	w.do(chromedp.SendKeys(chromedp.ID("search-keywords"), "licensing"), chromedp.Click(chromedp.ID("search")))
	w.waitURL("q=licensing")
	w.do(chromedp.WaitVisible(chromedp.ID("partners")))
	w.contains("#partners", "Contoso Partners Ltd", "Berlin, Germany")
	w.shot("directory-search")
	w.do(chromedp.Click(chromedp.CSS(`#partners input[value="`+w.d.demoInv.PartnerID+`"]`)),
		chromedp.SendKeys(chromedp.ID("contact-name"), "Nina Novak"),
		chromedp.SendKeys(chromedp.ID("contact-email"), "nina@tailspin.example"),
		chromedp.SendKeys(chromedp.ID("contact-organisation"), "Tailspin Toys <GmbH>"),
		chromedp.SendKeys(chromedp.ID("contact-message"), "We need help with licences & a tenant move."))
	w.shot("directory-contact")
	w.do(chromedp.Click(chromedp.ID("contact-send")))
	w.heading("Request sent")
	w.shot("directory-sent")
	lead := w.waitMail(devPartner, "nina@tailspin.example")
	w.opened[lead.ID] = true
	w.do(chromedp.Navigate(fmt.Sprintf("%s%s%d", w.base, devMailPath, lead.ID)), chromedp.WaitVisible(chromedp.CSS("pre")))
	w.contains("pre", "Nina Novak", "Tailspin Toys <GmbH>", "licences & a tenant move", "/api/v1/invitations")
	w.shot("lead-email")
}

// TestDevSchedulesInBrowser runs two dev systems. In one, the invitation lives 10
// minutes and is reminded 3 seconds in: the admin stops the reminders from the
// reminder email (confirm page, then the button). In the other, it lives 30
// seconds: it expires and its link says so, the partner sends it again, and the
// old link says a newer invitation was sent.
func TestDevSchedulesInBrowser(t *testing.T) {
	expiring, expiringBase := startDevWith(t, func(c *config) { c.InviteTTL = 30 * time.Second })
	w := newWalker(t, func(c *config) {
		c.InviteTTL, c.Reminders = 10*time.Minute, []time.Duration{10*time.Minute - 3*time.Second}
	})

	w.openMail(devAdmin, "/reminders/stop/", "reminder")
	w.do(chromedp.WaitVisible(chromedp.ID("stop-yes")))
	w.heading("Stop reminders?")
	w.contains("main", "Contoso Partners Ltd")
	w.shot("stop-reminders-confirm")
	w.do(chromedp.Click(chromedp.ID("stop-yes")))
	w.heading("Reminders stopped")
	w.shot("reminders-stopped")

	// The same browser on the other system.
	w = &walker{t: t, d: expiring, base: expiringBase, ctx: w.ctx, shots: w.shots, opened: map[int]bool{}}
	invitation := w.waitMail(devAdmin, "/invite/")
	store := partnerships.NewStore(w.d.rdb, partnerships.WithoutScriptFlags())
	deadline := time.Now().Add(90 * time.Second)
	for {
		inv, err := store.Invitation(context.Background(), w.d.demoInv.ID)
		if err == nil && inv.Status == partnerships.StatusExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo invitation is %s (%v) 90s on, want expired", inv.Status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.opened[invitation.ID] = true
	w.reopen(invitation, "/invite/", "expired-invitation")
	w.heading("This invitation has expired")
	w.shot("expired")

	w.api("POST", "/api/v1/invitations/"+w.d.demoInv.ID+"/resend", w.d.apiKey, "", 0)
	resent := w.waitMail(devAdmin, "/invite/")
	w.opened[resent.ID] = true
	w.do(chromedp.Navigate(fmt.Sprintf("%s%s", w.base, devMailPath)), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[href="%d"]`, resent.ID))))
	w.shot("resent-on-mail-page")
	w.reopen(invitation, "/invite/", "old-invitation")
	w.heading("A newer invitation was sent")
	w.shot("superseded")
	if strings.Contains(w.text("main"), "expired") {
		t.Errorf("the old link's page still speaks of expiry: %q", w.text("main"))
	}
}
