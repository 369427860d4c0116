package e2e

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
)

// waitForMail waits until there are n messages and returns the newest to rcpt with
// a link matching re in its text part.
func (s *system) waitForMail(rcpt string, n int, re *regexp.Regexp) (mailsink.Message, string) {
	s.t.Helper()
	msgs := s.waitMessages(n)
	for _, m := range slices.Backward(msgs) {
		if slices.Contains(m.To, rcpt) {
			if link := re.FindString(m.Text); link != "" {
				return m, link
			}
		}
	}
	s.t.Fatalf("no message to %s with a link like %s among %d", rcpt, re, len(msgs))
	return mailsink.Message{}, ""
}

var (
	signInRE    = regexp.MustCompile(`https?://[^\s"<>]+/signin/[A-Za-z0-9_-]+`)
	agreementRE = regexp.MustCompile(`https?://[^\s"<>]+/agreement/[A-Za-z0-9_-]+`)
	detailsRE   = regexp.MustCompile(`href="(/portal/partners/pa_[a-z0-9]+)"`)
)

// TestPortalEndToEnd: accept an invitation, whose partner list links to the
// partner's details at once; then, in another browser, sign in by emailed link →
// portal → details → Remove roles → Yes: the roles are gone and the history shows it.
func TestPortalEndToEnd(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)

	b := newBrowser(t)
	_, page := b.do("GET", link, nil)
	form := formFields(t, page)
	form.Set("agree", "yes")
	resp, page := b.do("POST", link+"/accept", form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("accept: %d\n%s", resp.StatusCode, page)
	}
	m := detailsRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the partner list after accepting has no details link:\n%s", page)
	}
	details := s.http.URL + m[1]
	if resp, page := b.do("GET", details, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "partners@contoso.example") {
		t.Fatalf("details right after accepting: %d\n%s", resp.StatusCode, page)
	}

	// Another browser signs in by emailed link.
	b2 := newBrowser(t)
	if resp, _ := b2.do("GET", s.http.URL+"/portal", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal without a session: %d, want 303", resp.StatusCode)
	}
	_, page = b2.do("GET", s.http.URL+"/portal/signin", nil)
	form = formFields(t, page)
	form.Set("email", adminEmail)
	resp, page = b2.do("POST", s.http.URL+"/portal/signin", form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "a link is on its way") {
		t.Fatalf("sign-in request: %d\n%s", resp.StatusCode, page)
	}
	msg, signIn := s.waitForMail(adminEmail, 2, signInRE)
	mustContain(t, "sign-in email", msg.Subject, "sign-in link")
	_, page = b2.do("GET", signIn, nil)
	resp, _ = b2.do("POST", signIn, formFields(t, page))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal" {
		t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page = b2.do("GET", s.http.URL+"/portal", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("portal: %d", resp.StatusCode)
	}
	mustContain(t, "portal", page, "Contoso &lt;Partners&gt; Ltd", "Global administrator", m[1])

	_, page = b2.do("GET", details, nil)
	mustContain(t, "details", page, "Remove roles", "Invitation accepted", "Customer agreement signed")
	_, page = b2.do("GET", details+"/remove-roles", nil)
	mustContain(t, "confirmation", page, "Remove roles?", `id="remove-yes"`)
	resp, _ = b2.do("POST", details+"/remove-roles", formFields(t, page))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("Yes: %d", resp.StatusCode)
	}
	_, page = b2.do("GET", s.http.URL+resp.Header.Get("Location"), nil)
	mustContain(t, "details after removing", page, "admin roles were removed", "Roles removed",
		`<span class="hint">Roles:</span> Global administrator, Helpdesk administrator`)
	rel, err := s.store.Relationship(ctx, s.customer.ID, s.partner.ID)
	if err != nil || len(rel.Roles) != 0 || len(rel.Types) != 1 {
		t.Errorf("relationship after = %+v, %v; want the type kept and no roles", rel, err)
	}
	hist, _ := s.store.PartnerHistory(ctx, s.customer.ID, s.partner.ID, 100)
	if hist[0].Action != partnerships.ActionRolesRemoved || hist[0].Actor != adminEmail || hist[0].IP != "127.0.0.1" || hist[0].UserAgent != "e2e-browser/1.0" {
		t.Errorf("newest history event = %+v", hist[0])
	}
}

// TestAgreementRequestEndToEnd: a partner whose relationship has no signature of
// the current agreement asks through the API; the admin gets the email, opens the
// link, ticks the box, presses Accept and lands on the partner list.
func TestAgreementRequestEndToEnd(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	inv, err := s.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: s.partner.ID, Email: adminEmail,
		Type: partnerships.Reseller, Locale: "en", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// Signed under an older agreement: the current one is not signed.
	if _, _, err := s.store.Accept(ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: adminEmail,
		Agreement: partnerships.AgreementRef{Version: "2025-01", Locale: "en", SHA256: strings.Repeat("0", 64)}, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	code, body := s.api("POST", "/api/v1/customers/"+s.customer.ID+"/agreement-requests", s.apiKey, nil)
	if code != http.StatusAccepted || body["recipients"] != float64(2) {
		t.Fatalf("agreement request: %d %v", code, body)
	}
	msg, link := s.waitForMail(billingEmail, 2, agreementRE)
	mustContain(t, "request email", msg.Text, "Contoso <Partners> Ltd", "Reseller")

	b := newBrowser(t)
	resp, page := b.do("GET", link, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET link: %d\n%s", resp.StatusCode, page)
	}
	mustContain(t, "agreement page", page, "I have read the customer agreement", `id="accept"`)
	form := formFields(t, page)
	before := s.snapshot()
	if resp, _ := b.do("POST", link, form); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("without the box: %d", resp.StatusCode)
	}
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Fatalf("refused accept changed Redis:\n%s", diff)
	}
	form.Set("agree", "yes")
	resp, _ = b.do("POST", link, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", resp.StatusCode)
	}
	resp, page = b.do("GET", s.http.URL+resp.Header.Get("Location"), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("partner list: %d", resp.StatusCode)
	}
	mustContain(t, "partner list", page, "Partner relationships", "You accepted the customer agreement",
		"Signed (version "+s.lib.Latest("en").Version+") by "+billingEmail)
	if code, _ := s.api("POST", "/api/v1/customers/"+s.customer.ID+"/agreement-requests", s.apiKey, nil); code != http.StatusConflict {
		t.Errorf("second request: %d, want 409", code)
	}
}
