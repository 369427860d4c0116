package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

const (
	devAdmin   = "admin@fabrikam.example"
	devBilling = "billing@fabrikam.example"
	devPartner = "partners@contoso.example"
)

// TestDevJourneyInBrowser walks the customer journey of issue 4 in Chromium
// against `partnerlink dev`, from the emails dev sent, in the order: open
// the emailed link, try to accept without the box, tick it, accept, see the
// partner list, open details, remove roles (No, then Yes). Then the partner's
// notifications are on the mail page; the admin signs out, signs in again by an
// emailed link and opens the details; and the second demo partner's request to
// sign the current agreement is accepted from its email.
func TestDevJourneyInBrowser(t *testing.T) {
	w := newWalker(t, nil)
	partnerID := w.d.demoInv.PartnerID
	details := `#partners a[href$="/portal/partners/` + partnerID + `"]`

	// The invitation email (its HTML part alone, as the mail page links it), its
	// link, the review page.
	inv := w.waitMail(devAdmin, "/invite/")
	w.do(chromedp.Navigate(fmt.Sprintf("%s%s%d", w.base, devMailPath, inv.ID)), chromedp.WaitVisible(chromedp.ID("html-part")),
		chromedp.Click(chromedp.ID("html-part")), chromedp.WaitVisible(chromedp.CSS(`a[href*="/invite/"]`)))
	w.contains("body", "Contoso Partners Ltd", "Hello Ada")
	w.shot("invitation-html-part")
	w.openMail(devAdmin, "/invite/", "invitation")
	w.do(chromedp.WaitVisible(chromedp.ID("accept")), chromedp.Click(chromedp.CSS("details summary")),
		chromedp.WaitVisible(chromedp.CSS("details .agreement-text")))
	w.heading("Accept & authorize partner")
	w.contains("main", "Contoso Partners Ltd", "Hello Ada — as discussed", "Customer Agreement")
	w.shot("review")

	// Accept without the box: told to tick it, nothing accepted.
	w.do(chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("notice")))
	w.contains("#notice", "Tick the box")
	w.shot("box-not-ticked")

	// Tick, accept: the partner list.
	w.do(chromedp.Click(chromedp.ID("agree")), chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("success")))
	w.heading("Partner relationships")
	w.contains("#success", "You accepted")
	w.contains("#partners", "Contoso Partners Ltd", "Global administrator", "Northwind Traders")
	w.shot("partner-list")

	// Details with the history.
	w.do(chromedp.Click(chromedp.CSS(details)), chromedp.WaitVisible(chromedp.ID("history")))
	w.heading("Contoso Partners Ltd")
	w.contains("#roles", "Global administrator")
	w.contains("#history", "accepted")
	w.shot("details")

	// Remove roles: No keeps them, Yes removes them.
	w.do(chromedp.Click(chromedp.ID("remove-roles")), chromedp.WaitVisible(chromedp.ID("remove-no")))
	w.heading("Remove roles?")
	w.contains("#roles-to-remove", "Global administrator")
	w.shot("remove-roles-confirm")
	w.do(chromedp.Click(chromedp.ID("remove-no")), chromedp.WaitVisible(chromedp.ID("remove-roles")))
	w.heading("Contoso Partners Ltd")
	w.do(chromedp.Click(chromedp.ID("remove-roles")), chromedp.WaitVisible(chromedp.ID("remove-yes")),
		chromedp.Click(chromedp.ID("remove-yes")), chromedp.WaitVisible(chromedp.ID("success")))
	w.heading("Contoso Partners Ltd")
	if roles := w.text("#roles"); strings.Contains(roles, "Global administrator") {
		t.Fatalf("roles after removing them: %q", roles)
	}
	w.contains("#history", "removed")
	w.shot("roles-removed")

	// The partner was told of the accept, in one email that says the agreement
	// was signed too, and of the removed roles.
	accepted := w.waitMail(devPartner, "accepted your invitation")
	if text := strings.Join(strings.Fields(accepted.Text), " "); !strings.Contains(text, "and signed the customer agreement") {
		t.Errorf("the accepted notice does not say the agreement was signed:\n%s", accepted.Text)
	}
	w.waitMail(devPartner, "removed")
	list := w.mailPage("mail-after-journey")
	if n := strings.Count(list, devPartner); n < 2 {
		t.Fatalf("the mail page lists %d messages to the partner, want 2 or more:\n%s", n, list)
	}

	// Sign out, sign in again by an emailed link, open the details.
	w.do(chromedp.Navigate(w.base+"/portal"), chromedp.WaitVisible(chromedp.ID("signout")), chromedp.Click(chromedp.ID("signout")))
	w.heading("Signed out")
	w.shot("signed-out")
	w.do(chromedp.Click(chromedp.ID("next")), chromedp.WaitVisible(chromedp.ID("email")))
	w.heading("Sign in to partnerlink")
	w.do(chromedp.SendKeys(chromedp.ID("email"), devAdmin), chromedp.Click(chromedp.ID("send-link")))
	w.heading("Check your email")
	w.shot("signin-sent")
	w.openMail(devAdmin, "/signin/", "signin")
	w.do(chromedp.WaitVisible(chromedp.ID("signin")))
	w.contains("main", devAdmin)
	w.shot("signin-confirm")
	w.do(chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("partners")))
	w.heading("Partner relationships")
	w.do(chromedp.Click(chromedp.CSS(details)), chromedp.WaitVisible(chromedp.ID("history")))
	w.contains("#history", "Roles removed")
	w.shot("details-after-signin")

	// The agreement alone: Northwind asks (partner API), the admin signs from the email.
	w.api("POST", "/api/v1/customers/"+w.d.old.customerID+"/agreement-requests", w.d.old.apiKey, "", 202)
	w.openMail(devAdmin, "/agreement/", "agreement-request")
	w.do(chromedp.WaitVisible(chromedp.ID("accept")))
	w.heading("Accept the customer agreement")
	w.contains("main", "Northwind Traders")
	w.do(chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("notice")))
	w.contains("#notice", "Tick the box")
	w.shot("agreement-box-not-ticked")
	w.do(chromedp.Click(chromedp.ID("agree")), chromedp.Click(chromedp.ID("accept")), chromedp.WaitVisible(chromedp.ID("success")))
	w.heading("Partner relationships")
	row := w.text(`#partners tbody tr:first-child`)
	if !strings.Contains(row, "Northwind Traders") || strings.Contains(row, devOldAgreement) || strings.Contains(row, "Sign now") {
		t.Fatalf("Northwind's row after signing: %q", row)
	}
	w.shot("agreement-signed")
	w.waitMail("partners@northwind.example", "agreement")
}
