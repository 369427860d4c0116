package main

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/mailsink"
)

// started is a long-running command (serve, worker) started through run.
type started struct {
	stdout, stderr syncBuffer
	done           chan int
}

func startCmd(t *testing.T, ctx context.Context, args ...string) *started {
	t.Helper()
	s := &started{done: make(chan int, 1)}
	go func() { s.done <- run(ctx, args, &s.stdout, &s.stderr) }()
	return s
}

// waitLog waits until the command has logged a line matching re and returns its
// submatches.
func (s *started) waitLog(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(s.stderr.String()); m != nil {
			return m
		}
		select {
		case code := <-s.done:
			t.Fatalf("exited %d:\n%s", code, s.stderr.String())
		case <-deadline:
			t.Fatalf("no log line matching %s within 10s:\n%s", re, s.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// startStack starts a redis-server and an SMTP sink and points the environment
// at them, with base as the base URL, test token keys and JSON logs.
func startStack(t *testing.T, base string) (*testredis.Server, *mailsink.Sink) {
	t.Helper()
	clearEnv(t)
	srv := testredis.Start(t)
	sink, err := mailsink.Start(mailsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	t.Setenv("PARTNERLINK_REDIS_URL", srv.URL)
	t.Setenv("PARTNERLINK_SMTP_URL", "smtp://"+sink.Addr()+"?tls=none")
	t.Setenv("PARTNERLINK_BASE_URL", base)
	t.Setenv("PARTNERLINK_TOKEN_KEYS", testKeys(t))
	t.Setenv("PARTNERLINK_LOG_FORMAT", "json")
	return srv, sink
}

// addPartnerAndCustomer adds the partner Contoso and the customer Fabrikam with
// the operator commands and returns the partner's API key.
func addPartnerAndCustomer(t *testing.T) string {
	t.Helper()
	r := runCmd(t, "partners", "add", "--name", "Contoso Partners Ltd", "--email", "partners@contoso.example")
	m := partnerCreated.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("partners add: %v", r)
	}
	if r := runCmd(t, "customers", "add", "--name", "Fabrikam, Inc.", "--domain", "fabrikam.example",
		"--admin-email", "admin@fabrikam.example", "--admin-role", "global_admin"); r.code != 0 {
		t.Fatalf("customers add: %v", r)
	}
	return m[2]
}

// stopCmds cancels the commands' context and checks that each exits 0 within
// 25 seconds.
func stopCmds(t *testing.T, cancel context.CancelFunc, cmds map[string]*started) {
	t.Helper()
	cancel()
	for name, s := range cmds {
		select {
		case code := <-s.done:
			if code != 0 {
				t.Errorf("%s exited %d:\n%s", name, code, s.stderr.String())
			}
		case <-time.After(25 * time.Second):
			t.Errorf("%s did not stop within 25s of SIGTERM", name)
		}
	}
}

// TestServeAndWorker runs the production commands as the README's "Running it
// for real" does: operator commands, then serve and worker against a real
// redis-server and an SMTP server; an invitation posted to serve is mailed by
// worker with links on the configured base URL.
func TestServeAndWorker(t *testing.T) {
	_, sink := startStack(t, "https://partners.example.com/pl/")
	apiKey := addPartnerAndCustomer(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serve := startCmd(t, ctx, "serve", "--http-addr", "127.0.0.1:0")
	worker := startCmd(t, ctx, "worker", "--concurrency", "2")
	addr := serve.waitLog(t, regexp.MustCompile(`"msg":"serving","addr":"(127\.0\.0\.1:\d+)"`))[1]
	worker.waitLog(t, regexp.MustCompile(`"msg":"worker started","smtp":"`+regexp.QuoteMeta(sink.Addr())+`","concurrency":2`))
	defer func() {
		cmds := map[string]*started{"serve": serve, "worker": worker}
		stopCmds(t, cancel, cmds)
		for name, s := range cmds {
			if strings.Contains(s.stderr.String(), `"level":"ERROR"`) {
				t.Errorf("%s logged errors:\n%s", name, s.stderr.String())
			}
		}
	}()

	// The base URL's path is the prefix of every route.
	base := "http://" + addr + "/pl"
	c := newClient()
	if resp, body := c.get(t, base+"/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /pl/healthz: %s %q", resp.Status, body)
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/invitations",
		strings.NewReader(`{"customer_email":"admin@fabrikam.example","relationship_type":"advisor","locale":"de"}`))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, body := c.do(t, req)
	var inv struct{ ID string }
	if err := json.Unmarshal([]byte(body), &inv); resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("POST invitation: %s %v\n%s", resp.Status, err, body)
	}

	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	msgs, err := sink.Wait(wctx, 1)
	if err != nil {
		t.Fatalf("no mail: %v\n--- worker ---\n%s", err, worker.stderr.String())
	}
	msg := msgs[0]
	if !regexp.MustCompile(`^bounces\+in_[a-z2-7_]+@partners\.example\.com$`).MatchString(msg.From) || len(msg.To) != 1 || msg.To[0] != "admin@fabrikam.example" {
		t.Errorf("envelope from %q to %v; want the VERP address bounces+<invitation id>@ the sender's domain, to admin@fabrikam.example", msg.From, msg.To)
	}
	if from := msg.Header.Get("From"); !strings.Contains(from, "noreply@partners.example.com") {
		t.Errorf("From header %q; want noreply@ the base URL's host", from)
	}
	if !strings.HasSuffix(msg.MessageID, "@partners.example.com>") {
		t.Errorf("Message-ID %q is not on the sender's domain", msg.MessageID)
	}
	link := regexp.MustCompile(`https://partners\.example\.com/pl/invite/[A-Za-z0-9_-]+`).FindString(msg.Text)
	if link == "" {
		t.Fatalf("no link on the base URL in the text part:\n%s", msg.Text)
	}
	// The link opens the review page on serve (reached here by its address).
	resp, page := c.get(t, strings.Replace(link, "https://partners.example.com", "http://"+addr, 1))
	if resp.StatusCode != 200 || !strings.Contains(page, "Contoso Partners Ltd") {
		t.Errorf("GET the link: %s\n%s", resp.Status, page)
	}
}
