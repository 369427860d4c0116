package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestDecline: the customer cancels the invitation instead of accepting it, behind a
// confirmation; the GETs change nothing and the invitation is decided once.
func TestDecline(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)
	s.waitStatus(id, partnerships.StatusSent)

	before := s.snapshot()
	b := newBrowser(t)
	_, review := b.do("GET", link, nil)
	mustContain(t, "review page", review, `href="`+mustURL(t, link).Path+`/decline"`, "Cancel invitation")
	resp, confirm := b.do("GET", link+"/decline", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET decline: %d", resp.StatusCode)
	}
	mustContain(t, "confirmation", confirm, "Cancel invitation?", "Yes, cancel the invitation", "No, go back")
	if resp, _ := b.do("HEAD", link+"/decline", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD decline: %d", resp.StatusCode)
	}
	csrf := formFields(t, confirm).Get("csrf")
	if resp, _ := b.do("POST", link+"/decline", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("decline with a forged CSRF token: %d", resp.StatusCode)
	}
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Fatalf("GET/HEAD/refused POST changed Redis:\n%s", diff)
	}

	resp, body := b.do("POST", link+"/decline", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Invitation cancelled") {
		t.Fatalf("decline: %d\n%s", resp.StatusCode, body)
	}
	inv, err := s.store.Invitation(context.Background(), id)
	if err != nil || inv.Status != partnerships.StatusDeclined || inv.DecidedBy != adminEmail {
		t.Fatalf("after decline: %+v, %v", inv, err)
	}
	if rels, _ := s.store.Relationships(context.Background(), s.customer.ID); len(rels) != 0 {
		t.Errorf("a decline created relationships: %+v", rels)
	}
	after := s.snapshot()
	if resp, body := b.do("GET", link, nil); resp.StatusCode != http.StatusGone || !strings.Contains(body, "declined") {
		t.Errorf("GET after decline: %d\n%s", resp.StatusCode, body)
	}
	form := formFields(t, review)
	form.Set("agree", "yes")
	if resp, _ := b.do("POST", link+"/accept", form); resp.StatusCode != http.StatusGone {
		t.Errorf("accept after decline: %d, want 410", resp.StatusCode)
	}
	if resp, _ := b.do("POST", link+"/decline", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusGone {
		t.Errorf("second decline: %d, want 410", resp.StatusCode)
	}
	if diff := cmp.Diff(after, s.snapshot()); diff != "" {
		t.Fatalf("requests after the decline changed Redis:\n%s", diff)
	}
	code, got := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil)
	if code != http.StatusOK || got["status"] != "declined" {
		t.Errorf("partner sees %d %v", code, got)
	}
}

// TestForeignOriginRefused: a POST whose browser says it comes from another site is
// refused even with the right token and cookie.
func TestForeignOriginRefused(t *testing.T) {
	s := start(t)
	s.invite(adminEmail, "reseller", "en")
	_, link := s.waitForLink(adminEmail, 1)
	b := newBrowser(t)
	_, page := b.do("GET", link, nil)
	form := formFields(t, page)
	form.Set("agree", "yes")
	req, _ := http.NewRequest("POST", link+"/accept", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST from a foreign origin: %d, want 403", resp.StatusCode)
	}
}
