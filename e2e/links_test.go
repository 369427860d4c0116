package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// TestBadLinksChangeNothing: tampered, expired, wrong-purpose and foreign links get a
// clear page, and neither GET nor POST changes anything.
func TestBadLinksChangeNothing(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)
	s.waitStatus(id, partnerships.StatusSent)
	inv, err := s.store.Invitation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	base, token, _ := strings.Cut(link, "/invite/")
	sign := func(c tokens.Claims) string {
		tok, _, err := s.ring.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		return base + "/invite/" + tok
	}
	claims := tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: id, Recipient: adminEmail, IssuedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
	expired, wrongPurpose, otherRecipient, otherID := claims, claims, claims, claims
	expired.IssuedAt, expired.ExpiresAt = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	wrongPurpose.Purpose = tokens.PurposeSignIn
	otherRecipient.Recipient = billingEmail
	otherID.ID = tokens.NewID()

	flipped := []byte(token)
	flipped[len(flipped)/2] ^= 0x01
	if flipped[len(flipped)/2] == '-' || flipped[len(flipped)/2] == '_' {
		flipped[len(flipped)/2] = 'A'
	}
	cases := []struct {
		name, link, want string
		code             int
	}{
		{"tampered", base + "/invite/" + string(flipped), "not valid", http.StatusBadRequest},
		{"truncated", link[:len(link)-5], "not valid", http.StatusBadRequest},
		{"garbage", base + "/invite/%3Cscript%3E", "not valid", http.StatusBadRequest},
		{"expired", sign(expired), "expired", http.StatusGone},
		{"wrong purpose", sign(wrongPurpose), "not an invitation link", http.StatusBadRequest},
		{"other recipient", sign(otherRecipient), "not valid", http.StatusForbidden},
		{"superseded", sign(otherID), "newer invitation", http.StatusGone},
	}
	before := s.snapshot()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBrowser(t)
			resp, body := b.do("GET", c.link, nil)
			if resp.StatusCode != c.code || !strings.Contains(body, c.want) {
				t.Errorf("GET: %d, want %d with %q\n%s", resp.StatusCode, c.code, c.want, body)
			}
			// A POST with a valid-looking form is refused the same way.
			_, good := newBrowser(t).do("GET", link, nil)
			form := formFields(t, good)
			form.Set("agree", "yes")
			if resp, _ := b.do("POST", c.link+"/accept", form); resp.StatusCode != c.code {
				t.Errorf("POST: %d, want %d", resp.StatusCode, c.code)
			}
		})
	}
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Fatalf("bad links changed Redis:\n%s", diff)
	}
	if inv, _ := s.store.Invitation(context.Background(), id); inv.Status != partnerships.StatusSent {
		t.Errorf("status after bad links = %s, want sent", inv.Status)
	}
}

// TestOnlyAdminsMayAccept: a user without an admin role sees who can accept, and a
// POST is refused without changing anything; a billing admin may accept.
func TestOnlyAdminsMayAccept(t *testing.T) {
	s := start(t)
	id := s.invite(userEmail, "reseller", "en")
	_, link := s.waitForLink(userEmail, 1)
	s.waitStatus(id, partnerships.StatusSent)
	b := newBrowser(t)
	resp, page := b.do("GET", link, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Only a global administrator or billing administrator") {
		t.Fatalf("review page for a user: %d\n%s", resp.StatusCode, page)
	}
	if strings.Contains(page, `id="accept-form"`) {
		t.Error("a non-admin is shown the accept form")
	}
	before := s.snapshot()
	// Forge the form a non-admin does not get.
	form := url.Values{"agree": {"yes"}, "agreement_version": {"2026-01"}, "agreement_locale": {"en"},
		"agreement_sha256": {s.lib.Latest("en").SHA256}}
	csrf := ""
	for _, c := range b.client.Jar.Cookies(mustURL(t, link)) {
		if c.Name == "pl_csrf" {
			csrf = c.Value
		}
	}
	form["csrf"] = []string{csrf}
	if resp, body := b.do("POST", link+"/accept", form); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "administrator") {
		t.Fatalf("accept by a user: %d\n%s", resp.StatusCode, body)
	}
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Fatalf("refused accept changed Redis:\n%s", diff)
	}

	s.invite(billingEmail, "reseller", "en")
	_, link = s.waitForLink(billingEmail, 2)
	b = newBrowser(t)
	_, page = b.do("GET", link, nil)
	form = formFields(t, page)
	form.Set("agree", "yes")
	if resp, body := b.do("POST", link+"/accept", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("accept by billing admin: %d\n%s", resp.StatusCode, body)
	}
}
