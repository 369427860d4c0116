package e2e

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// shiftClock is the real time moved forward by what the test asks for.
type shiftClock struct {
	mu    sync.Mutex
	shift time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.shift)
}

func (c *shiftClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shift += d
}

// acceptLink accepts the invitation behind link as a person would: page, tick, POST.
func (s *system) acceptLink(link string) string {
	s.t.Helper()
	b := newBrowser(s.t)
	resp, page := b.do("GET", link, nil)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d\n%s", link, resp.StatusCode, page)
	}
	form := formFields(s.t, page)
	form.Set("agree", "yes")
	resp, body := b.do("POST", link+"/accept", form)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("accept: %d\n%s", resp.StatusCode, body)
	}
	return body
}

// TestResendOpenInvitation: resending an open invitation sends a second email
// for the same invitation; its link works and accepts it.
func TestResendOpenInvitation(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "advisor", "en")
	_, first := s.waitForLink(adminEmail, 1)
	s.waitStatus(id, partnerships.StatusSent)

	s.clock.Advance(time.Hour)
	code, body := s.api("POST", "/api/v1/invitations/"+id+"/resend", s.apiKey, nil)
	if code != http.StatusOK || body["id"] != id || body["sends"] != 2.0 {
		t.Fatalf("resend: %d %v", code, body)
	}
	msg, second := s.waitForLink(adminEmail, 2)
	if second == first {
		t.Errorf("the second email has the first one's link (its expiry did not move)")
	}
	if want := "<invitation2." + id + "@partnerlink.test>"; msg.MessageID != want {
		t.Errorf("second Message-ID = %q, want %q", msg.MessageID, want)
	}
	s.waitStatus(id, partnerships.StatusSent)
	mustContain(t, "partner list", s.acceptLink(second), "Partner relationships")
	if code, got := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil); code != http.StatusOK || got["status"] != "accepted" {
		t.Errorf("after accepting: %d %v", code, got)
	}
	if n := len(s.sink.Messages()); n != 2 {
		t.Errorf("%d emails, want 2", n)
	}
}

// TestResendAfterExpiry: resending an expired invitation sends a new one; the old
// link's page says a newer invitation was sent, the new link accepts.
func TestResendAfterExpiry(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "mpsa", "de")
	_, old := s.waitForLink(adminEmail, 1)
	s.waitStatus(id, partnerships.StatusSent)

	s.clock.Advance(15 * 24 * time.Hour)
	b := newBrowser(t)
	if resp, page := b.do("GET", old, nil); resp.StatusCode != http.StatusGone || !strings.Contains(page, "abgelaufen") {
		t.Errorf("expired link before the resend: %d\n%s", resp.StatusCode, page)
	}
	code, body := s.api("POST", "/api/v1/invitations/"+id+"/resend", s.apiKey, nil)
	newID, _ := body["id"].(string)
	if code != http.StatusCreated || newID == id || body["replaces"] != id || body["locale"] != "de" {
		t.Fatalf("resend after expiry: %d %v", code, body)
	}
	_, fresh := s.waitForLink(adminEmail, 2)
	s.waitStatus(newID, partnerships.StatusSent)

	resp, page := b.do("GET", old, nil)
	if resp.StatusCode != http.StatusGone {
		t.Errorf("old link: %d, want 410", resp.StatusCode)
	}
	mustContain(t, "old link page", page, "Eine neuere Einladung wurde gesendet", "neuesten E-Mail")
	s.acceptLink(fresh)
	if _, got := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil); got["status"] != "expired" || got["replaced_by"] != newID {
		t.Errorf("old invitation: %v", got)
	}
	if _, got := s.api("GET", "/api/v1/relationships/"+s.customer.ID, s.apiKey, nil); got["status"] != "active" {
		t.Errorf("relationship: %v", got)
	}
}
