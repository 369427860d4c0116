package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/web"
)

// TestRedisDownAnswers503 (issue 6 item 2): while redis-server is dead the
// invitation page and the partner API answer 503 saying the database cannot be
// reached; once it is back on the same port (AOF on, so nothing is lost) pages,
// API and the worker resume by themselves, with no restart of partnerlink.
func TestRedisDownAnswers503(t *testing.T) {
	srv := testredis.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	s := startOn(t, web.Config{InviteTTL: 14 * 24 * time.Hour}, srv)
	id := s.invite(adminEmail, "delegated_admin", "en")
	_, link := s.waitForLink(adminEmail, 1)

	get := func(url string, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	checks := []struct {
		name, url, key string
	}{
		{"invitation page", link, ""},
		{"API get invitation", s.http.URL + "/api/v1/invitations/" + id, s.apiKey},
		{"API list invitations", s.http.URL + "/api/v1/invitations", s.apiKey},
	}
	for _, c := range checks {
		if code, body := get(c.url, c.key); code != http.StatusOK {
			t.Fatalf("%s before the crash: %d %.300s", c.name, code, body)
		}
	}

	srv.Kill()
	for _, c := range checks {
		code, body := get(c.url, c.key)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "cannot reach its database") {
			t.Errorf("%s with Redis down: %d %.300s; want 503 saying the database cannot be reached", c.name, code, body)
		}
	}
	code, body := s.api("POST", "/api/v1/invitations", s.apiKey, map[string]any{
		"customer_email": billingEmail, "relationship_type": "delegated_admin", "locale": "en"})
	if code != http.StatusServiceUnavailable {
		t.Errorf("create invitation with Redis down: %d %v; want 503", code, body)
	}

	down := time.Now()
	srv.Restart()
	for _, c := range checks {
		for {
			code, body := get(c.url, c.key)
			if code == http.StatusOK {
				break
			}
			if time.Since(down) > 15*time.Second {
				t.Fatalf("%s still answers %d %.300s 15s after Redis came back", c.name, code, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("pages and API answer again %s after the restart began", time.Since(down).Round(time.Millisecond))
	// The worker resumes too: a new invitation is sent.
	id2 := s.invite(billingEmail, "delegated_admin", "en")
	s.waitForLink(billingEmail, 2)
	s.waitStatus(id2, partnerships.StatusSent)
}
