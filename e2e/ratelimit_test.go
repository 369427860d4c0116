package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
	"github.com/partnerlink/partnerlink/web"
)

// threePerHour lets three requests through at once, then one every 20 minutes.
var threePerHour = ratelimit.Limit{Rate: 3, Per: time.Hour, Burst: 3}

// The API limit counts per partner: past its burst a partner gets 429 with
// Retry-After and its refused request changes nothing; another partner carries on.
func TestAPIRateLimit(t *testing.T) {
	s := startWith(t, web.Config{APILimit: threePerHour})
	ctx := context.Background()
	_, otherKey, err := s.store.CreatePartner(ctx, "Northwind Partners", "partners@northwind.example")
	if err != nil {
		t.Fatal(err)
	}

	id := s.invite(adminEmail, "reseller", "en") // 1
	s.waitStatus(id, partnerships.StatusSent)
	for range 2 { // 2, 3
		if code, body := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil); code != http.StatusOK {
			t.Fatalf("GET within the burst: %d %v", code, body)
		}
	}
	// A request without a valid key is refused before the limit: it spends nothing.
	if code, _ := s.api("GET", "/api/v1/invitations/"+id, "pl_wrong", nil); code != http.StatusUnauthorized {
		t.Errorf("unknown key: %d, want 401", code)
	}

	before := s.snapshot()
	resp, body := apiRaw(t, s, "POST", "/api/v1/invitations", s.apiKey,
		`{"customer_email":"`+billingEmail+`","relationship_type":"advisor","locale":"en"}`)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("POST past the burst: %d %s", resp.StatusCode, body)
	}
	wait := retryAfter(t, resp)
	mustContain(t, "429 body", body, `"error": "rate limit exceeded:`, "try again in "+wait+" s")
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Errorf("the refused POST changed Redis (-before +after):\n%s", diff)
	}
	if code, _ := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil); code != http.StatusTooManyRequests {
		t.Errorf("GET past the burst: %d, want 429", code)
	}

	// Another partner is not affected.
	code, got := s.api("POST", "/api/v1/invitations", otherKey, map[string]any{
		"customer_email": billingEmail, "relationship_type": "advisor", "locale": "en",
	})
	if code != http.StatusCreated {
		t.Errorf("other partner's POST: %d %v", code, got)
	}
}

// The link limit counts per client address, before the token is even looked at: past
// the burst every link page and form of that address gets a 429 page with
// Retry-After, a refused accept changes nothing, and another address carries on.
func TestLinkRateLimit(t *testing.T) {
	s := startWith(t, web.Config{LinkLimit: threePerHour})
	id := s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)
	s.waitStatus(id, partnerships.StatusSent)

	b := newBrowser(t)                   // from 127.0.0.1
	resp, page := b.do("GET", link, nil) // 1
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET link: %d", resp.StatusCode)
	}
	if resp, _ := b.do("HEAD", link, nil); resp.StatusCode != http.StatusOK { // 2
		t.Fatalf("HEAD link: %d", resp.StatusCode)
	}
	if resp, _ := b.do("GET", link+"/decline", nil); resp.StatusCode != http.StatusOK { // 3
		t.Fatalf("GET decline: %d", resp.StatusCode)
	}

	before := s.snapshot()
	form := formFields(t, page)
	form.Set("agree", "yes")
	resp, body := b.do("POST", link+"/accept", form)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("accept past the burst: %d\n%s", resp.StatusCode, body)
	}
	wait := retryAfter(t, resp)
	mustContain(t, "429 page", body, "Too many requests", "Nothing was changed", wait+" seconds")
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("429 page headers: %v", resp.Header)
	}
	if diff := cmp.Diff(before, s.snapshot()); diff != "" {
		t.Errorf("the refused accept changed Redis (-before +after):\n%s", diff)
	}
	inv, err := s.store.Invitation(context.Background(), id)
	if err != nil || inv.Status != partnerships.StatusSent {
		t.Errorf("invitation after the refused accept: %q, %v", inv.Status, err)
	}

	// Limited before the token is read: a made-up link gets 429, not 400, and the
	// page speaks the browser's language (the invitation's is not known yet).
	req, _ := http.NewRequest("GET", s.http.URL+"/invite/not-a-token", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	resp, body = b.doReq(req)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("made-up link past the burst: %d, want 429", resp.StatusCode)
	}
	mustContain(t, "German 429 page", body, "Zu viele Anfragen", retryAfter(t, resp)+" Sekunden")
	if resp, _ := b.do("POST", link+"/decline", form); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("decline past the burst: %d, want 429", resp.StatusCode)
	}

	// Another address is not affected, and the same accept goes through from it.
	o := newBrowserFrom(t, "127.0.0.2")
	resp, page = o.do("GET", link, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET link from another address: %d", resp.StatusCode)
	}
	form = formFields(t, page)
	form.Set("agree", "yes")
	if resp, body := o.do("POST", link+"/accept", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("accept from another address: %d\n%s", resp.StatusCode, body)
	}
	s.waitStatus(id, partnerships.StatusAccepted)
}

// apiRaw calls the API and returns the response (its body already read) and body.
func apiRaw(t *testing.T, s *system, method, path, key, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.http.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	return newBrowser(t).doReq(req)
}

// newBrowserFrom is a browser whose connections come from local address ip (any
// 127.0.0.0/8 address is loopback on Linux). The test is skipped where it is not.
func newBrowserFrom(t *testing.T, ip string) *browser {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", "127.0.0.1:1")
	if err != nil && strings.Contains(err.Error(), "bind") {
		t.Skipf("cannot connect from %s: %v", ip, err)
	}
	if c != nil {
		c.Close()
	}
	b := newBrowser(t)
	jar, _ := cookiejar.New(nil)
	b.client.Jar = jar
	b.client.Transport = &http.Transport{DialContext: d.DialContext}
	t.Cleanup(b.client.CloseIdleConnections)
	return b
}

// doReq sends req as the browser and returns the response and its body.
func (b *browser) doReq(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// retryAfter returns the Retry-After header of a 429 after a burst of three with
// threePerHour: the 20 minutes until the next request, less the seconds the test took.
func retryAfter(t *testing.T, resp *http.Response) string {
	t.Helper()
	v := resp.Header.Get("Retry-After")
	if n, err := strconv.Atoi(v); err != nil || n < 1140 || n > 1200 {
		t.Errorf("Retry-After = %q, want about 1200 (seconds until the next of 3 per hour)", v)
	}
	return v
}
