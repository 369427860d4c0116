package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// welcome is what `partnerlink dev` prints once it runs.
type welcome struct {
	base, mailURL, apiKey string
	curlURL, curlBody     string
}

var (
	welcomeMail = regexp.MustCompile(`(?m)^  Sent mail:\s+(http://127\.0\.0\.1:\d+)(/dev/mail/)\s`)
	welcomeKey  = regexp.MustCompile(`(?m)^  API key:\s+(pl_[a-z0-9]+)\s`)
	welcomeCurl = regexp.MustCompile(`curl -sS -X POST (\S+) \\\n\s+-H 'Authorization: Bearer (pl_[a-z0-9]+)' -H 'Content-Type: application/json' \\\n\s+-d '([^']+)'`)
	inviteLink  = regexp.MustCompile(`http://127\.0\.0\.1:\d+/invite/[A-Za-z0-9_-]+`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z0-9_]+)" value="([^"]*)">`)
)

// TestDev runs `partnerlink dev` on free ports and goes through what its welcome
// text tells a person to do: read the demo invitation on the mail page, open its
// link, accept, and invite again with curl.
func TestDev(t *testing.T) {
	clearEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"dev", "--http-addr", "127.0.0.1:0", "--smtp-addr", "127.0.0.1:0", "--log-level", "debug"}, &stdout, &stderr)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("dev exited %d after the context ended:\n%s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("dev did not stop within 10s of the context ending")
		}
		if strings.Contains(stderr.String(), "level=ERROR") {
			t.Errorf("dev logged errors:\n%s", stderr.String())
		}
	}()

	w := waitWelcome(t, &stdout, &stderr, done)
	c := newClient()

	// GET / sends a person to the mail page.
	resp, _ := c.get(t, w.base+"/")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/dev/mail/" {
		t.Errorf("GET /: %s, Location %q; want 302 to /dev/mail/", resp.Status, resp.Header.Get("Location"))
	}
	if resp, body := c.get(t, w.base+"/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /healthz: %s %q", resp.Status, body)
	}

	// The mail page lists the demo invitation within a few seconds.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, body := c.get(t, w.mailURL)
		if resp.StatusCode == 200 && strings.Contains(body, "admin@fabrikam.example") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail page does not list the demo invitation after 5s: %s\n%s\n--- log ---\n%s", resp.Status, body, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Its link, from the text part.
	msgs := listMail(t, c, w)
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "admin@fabrikam.example" {
		t.Fatalf("messages: %+v, want the demo invitation to admin@fabrikam.example", msgs)
	}
	var msg struct {
		Subject, Text, HTML string
	}
	resp, body := c.get(t, fmt.Sprintf("%s/api/messages/%d", strings.TrimSuffix(w.mailURL, "/"), msgs[0].ID))
	if err := json.Unmarshal([]byte(body), &msg); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET message: %s %v\n%s", resp.Status, err, body)
	}
	if !strings.Contains(msg.Subject, "Contoso Partners Ltd") {
		t.Errorf("subject %q does not name the demo partner", msg.Subject)
	}
	link := inviteLink.FindString(msg.Text)
	if !strings.HasPrefix(link, w.base+"/invite/") {
		t.Fatalf("no invite link under %s in the text part:\n%s", w.base, msg.Text)
	}
	if !strings.Contains(msg.HTML, `href="`+link+`"`) {
		t.Errorf("the HTML part does not link to %s", link)
	}
	if resp, page := c.get(t, fmt.Sprintf("%s%d", w.mailURL, msgs[0].ID)); resp.StatusCode != 200 || !strings.Contains(page, link) {
		t.Errorf("the message page (%s) does not show the link", resp.Status)
	}

	// Open it, tick the box, accept.
	resp, page := c.get(t, link)
	if resp.StatusCode != 200 || !strings.Contains(page, "Accept") {
		t.Fatalf("GET %s: %s\n%s", link, resp.Status, page)
	}
	form := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, f := range []string{"csrf", "agreement_version", "agreement_locale", "agreement_sha256"} {
		if form.Get(f) == "" {
			t.Fatalf("the review page has no %s field:\n%s", f, page)
		}
	}
	form.Set("agree", "yes")
	resp, page = c.post(t, link+"/accept", form)
	if resp.StatusCode != 200 || !strings.Contains(page, "Partner relationships") || !strings.Contains(page, "Contoso Partners Ltd") {
		t.Fatalf("POST accept: %s\n%s", resp.Status, page)
	}

	// Invite again: the curl command the welcome text prints, then the README's.
	for i, call := range []struct{ url, key, body, to string }{
		{w.curlURL, w.apiKey, w.curlBody, "billing@fabrikam.example"},
		{w.base + "/api/v1/invitations", w.apiKey, `{"customer_email":"admin@fabrikam.example","relationship_type":"advisor","locale":"en"}`, "admin@fabrikam.example"},
	} {
		req, _ := http.NewRequest("POST", call.url, strings.NewReader(call.body))
		req.Header.Set("Authorization", "Bearer "+call.key)
		req.Header.Set("Content-Type", "application/json")
		resp, body := c.do(t, req)
		var inv struct{ ID, Status string }
		if err := json.Unmarshal([]byte(body), &inv); resp.StatusCode != http.StatusCreated || err != nil || inv.Status != "pending" {
			t.Fatalf("POST %s %s: %s %v\n%s", call.url, call.body, resp.Status, err, body)
		}
		if loc := resp.Header.Get("Location"); loc != "/api/v1/invitations/"+inv.ID {
			t.Errorf("Location %q", loc)
		}
		want := i + 2
		deadline := time.Now().Add(5 * time.Second)
		// The partner's notification of the accept (accepted, agreement signed) is
		// not an invitation: leave it out.
		invitations := func() []mailSummary {
			return slices.DeleteFunc(listMail(t, c, w), func(m mailSummary) bool { return m.To[0] == "partners@contoso.example" })
		}
		for msgs = invitations(); len(msgs) < want && time.Now().Before(deadline); msgs = invitations() {
			time.Sleep(50 * time.Millisecond)
		}
		if len(msgs) != want || msgs[want-1].To[0] != call.to {
			t.Fatalf("after invitation %d: messages %+v, want %d, the last to %s", i+1, msgs, want, call.to)
		}
	}
	if !strings.Contains(msgs[1].Subject, "Partnerbeziehung") {
		t.Errorf("the invitation with locale de has subject %q", msgs[1].Subject)
	}
}

// waitWelcome waits for dev's welcome text and reads the URLs and the key from it.
func waitWelcome(t *testing.T, stdout, stderr *syncBuffer, done <-chan int) welcome {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(stdout.String(), "Press Ctrl-C to stop.") {
		select {
		case code := <-done:
			t.Fatalf("dev exited %d before it was ready:\n%s\n%s", code, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("dev printed no welcome within 10s:\n%s\n%s", stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	out := stdout.String()
	var w welcome
	if m := welcomeMail.FindStringSubmatch(out); m != nil {
		w.base, w.mailURL = m[1], m[1]+m[2]
	}
	if m := welcomeKey.FindStringSubmatch(out); m != nil {
		w.apiKey = m[1]
	}
	m := welcomeCurl.FindStringSubmatch(out)
	if w.base == "" || w.apiKey == "" || m == nil {
		t.Fatalf("the welcome text does not name the mail URL, the API key and a curl command:\n%s", out)
	}
	w.curlURL, w.curlBody = m[1], m[3]
	if m[2] != w.apiKey || w.curlURL != w.base+"/api/v1/invitations" {
		t.Errorf("the curl command posts to %s with key %s; want %s/api/v1/invitations with %s", m[1], m[2], w.base, w.apiKey)
	}
	if !strings.Contains(out, "Partner API:   "+w.base+"/api/v1/invitations") {
		t.Errorf("the welcome text does not name the partner API:\n%s", out)
	}
	return w
}

type mailSummary struct {
	ID      int
	To      []string
	Subject string
}

func listMail(t *testing.T, c *client, w welcome) []mailSummary {
	t.Helper()
	resp, body := c.get(t, w.mailURL+"api/messages")
	var msgs []mailSummary
	if err := json.Unmarshal([]byte(body), &msgs); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET %sapi/messages: %s %v\n%s", w.mailURL, resp.Status, err, body)
	}
	return msgs
}

// client is a browser: it keeps cookies and does not follow redirects.
type client struct{ hc *http.Client }

func newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{hc: &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.do(t, req)
}

func (c *client) post(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(t, req)
}

func (c *client) do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}
