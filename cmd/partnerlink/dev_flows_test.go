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
	w.do(chromedp.SendKeys(chromedp.ID("search-keywords"), "licensing"), chromedp.Click(chromedp.ID("search")),
		chromedp.WaitVisible(chromedp.ID("partners")))
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

// TestDevSchedulesInBrowser runs dev with a 20-second invitation life and a
// reminder 15 seconds before the end: the admin stops the reminders from the
// reminder email (confirm page, then the button), the invitation expires and its
// link says so, the partner sends it again, the old link says a newer one was
// sent and the new one opens the review page.
func TestDevSchedulesInBrowser(t *testing.T) {
	w := newWalker(t, func(c *config) { c.InviteTTL, c.Reminders = 20*time.Second, []time.Duration{15 * time.Second} })
	invitation := w.waitMail(devAdmin, "/invite/")

	w.openMail(devAdmin, "/reminders/stop/", "reminder")
	w.do(chromedp.WaitVisible(chromedp.ID("stop-yes")))
	w.heading("Stop reminders?")
	w.contains("main", "Contoso Partners Ltd")
	w.shot("stop-reminders-confirm")
	w.do(chromedp.Click(chromedp.ID("stop-yes")))
	w.heading("Reminders stopped")
	w.shot("reminders-stopped")

	store := partnerships.NewStore(w.d.rdb, partnerships.WithoutScriptFlags())
	deadline := time.Now().Add(30 * time.Second)
	for {
		inv, err := store.Invitation(context.Background(), w.d.demoInv.ID)
		if err == nil && inv.Status == partnerships.StatusExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo invitation is %s (%v) 30s on, want expired", inv.Status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.opened[invitation.ID] = true
	w.reopen(invitation, "/invite/", "expired-invitation")
	w.heading("This invitation has expired")
	w.shot("expired")

	w.api("POST", "/api/v1/invitations/"+w.d.demoInv.ID+"/resend", w.d.apiKey, "", 0)
	w.openMail(devAdmin, "/invite/", "new-invitation")
	w.do(chromedp.WaitVisible(chromedp.ID("accept")))
	w.heading("Accept & authorize partner")
	w.shot("new-invitation")
	w.reopen(invitation, "/invite/", "old-invitation")
	w.heading("A newer invitation was sent")
	w.shot("superseded")
	if strings.Contains(w.text("main"), "expired") {
		t.Errorf("the old link's page still speaks of expiry: %q", w.text("main"))
	}
}
