package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestInvitationEndToEnd walks the whole path: API call → email over SMTP → link →
// review page → accept → records in Redis, and checks that nothing else changes state.
func TestInvitationEndToEnd(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	id := s.invite(adminEmail, "delegated_admin", "en")

	msg, link := s.waitForLink(adminEmail, 1)
	mustContain(t, "email text", msg.Text, "Contoso <Partners> Ltd", link)
	mustContain(t, "email html", msg.HTML, "Contoso &lt;Partners&gt; Ltd")
	if want := "<invitation." + id + "@partnerlink.test>"; msg.MessageID != want {
		t.Errorf("Message-ID = %q, want %q", msg.MessageID, want)
	}
	s.waitStatus(id, partnerships.StatusSent)
	code, got := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil)
	if code != http.StatusOK || got["status"] != "sent" {
		t.Fatalf("GET invitation: %d %v", code, got)
	}

	// GET and HEAD show the page and change nothing.
	before := s.snapshot()
	b := newBrowser(t)
	resp, page := b.do("GET", link, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET link: %d\n%s", resp.StatusCode, page)
	}
	mustContain(t, "review page", page, "Contoso &lt;Partners&gt; Ltd", "Fabrikam, Inc.", "Delegated administrator",
		"Global administrator", "Helpdesk administrator", "I have read the customer agreement", "Accept &amp; Authorize", "/agreements/2026-01/en")
	for _, h := range []string{"Cache-Control", "Referrer-Policy", "Content-Security-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("review page has no %s header", h)
		}
	}
	if resp, _ := b.do("HEAD", link, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD link: %d", resp.StatusCode)
	}
	if resp, body := b.do("GET", s.http.URL+"/agreements/2026-01/en", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Customer Agreement") {
		t.Errorf("agreement page: %d", resp.StatusCode)
	}
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Fatalf("GET/HEAD changed Redis (-before +after):\n%s", diff)
	}

	form := formFields(t, page)
	// Without the box ticked: refused, nothing changed.
	if resp, body := b.do("POST", link+"/accept", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Tick the box") {
		t.Fatalf("accept without the box: %d\n%s", resp.StatusCode, body)
	}
	// Without the CSRF token: refused.
	noCSRF := cloneValues(form)
	noCSRF.Set("agree", "yes")
	noCSRF.Set("csrf", "forged")
	if resp, _ := b.do("POST", link+"/accept", noCSRF); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("accept with a forged CSRF token: %d", resp.StatusCode)
	}
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Fatalf("refused POSTs changed Redis:\n%s", diff)
	}

	form.Set("agree", "yes")
	resp, body := b.do("POST", link+"/accept", form)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("accept: %d\n%s", resp.StatusCode, body)
	}
	mustContain(t, "partner list", body, "Partner relationships", "Contoso &lt;Partners&gt; Ltd", "Signed (version 2026-01)")

	rel, err := s.store.Relationship(ctx, s.customer.ID, s.partner.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]partnerships.RelationshipType{partnerships.DelegatedAdmin}, rel.Types); diff != "" {
		t.Errorf("relationship types:\n%s", diff)
	}
	if diff := cmp.Diff([]partnerships.Role{partnerships.GlobalAdmin, partnerships.HelpdeskAdmin}, rel.Roles); diff != "" {
		t.Errorf("relationship roles:\n%s", diff)
	}
	accs, err := s.store.Acceptances(ctx, s.customer.ID)
	if err != nil || len(accs) != 1 {
		t.Fatalf("acceptances: %d, %v", len(accs), err)
	}
	doc := s.lib.Latest("en")
	a := accs[0]
	if a.AgreementVersion != doc.Version || a.AgreementSHA256 != doc.SHA256 || a.UserEmail != adminEmail ||
		a.UserRole != partnerships.GlobalAdmin || a.InvitationID != id || a.IP != "127.0.0.1" || a.UserAgent != "e2e-browser/1.0" {
		t.Errorf("acceptance record = %+v", a)
	}

	// A second accept changes nothing.
	after := s.snapshot()
	if resp, body := b.do("POST", link+"/accept", form); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "already accepted") {
		t.Fatalf("second accept: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.do("GET", link, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("GET after accept: %d, want 409", resp.StatusCode)
	}
	if diff := cmp.Diff(after, s.snapshot()); diff != "" {
		t.Fatalf("second accept changed Redis:\n%s", diff)
	}
}

// TestConcurrentAccepts: 50 browsers accept one link at once; exactly one acceptance is recorded.
func TestConcurrentAccepts(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "reseller", "de")
	_, link := s.waitForLink(adminEmail, 1)

	const n = 50
	type attempt struct {
		b    *browser
		form url.Values
	}
	attempts := make([]attempt, n)
	for i := range attempts {
		b := newBrowser(t)
		_, page := b.do("GET", link, nil)
		form := formFields(t, page)
		form.Set("agree", "yes")
		attempts[i] = attempt{b, form}
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i, a := range attempts {
		wg.Go(func() {
			resp, _ := a.b.do("POST", link+"/accept", a.form)
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("status codes = %v, want one 200 and %d 409", count, n-1)
	}
	accs, err := s.store.Acceptances(context.Background(), s.customer.ID)
	if err != nil || len(accs) != 1 || accs[0].InvitationID != id {
		t.Fatalf("acceptances = %+v, %v; want exactly one", accs, err)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
