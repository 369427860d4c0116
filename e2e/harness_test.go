package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
	"github.com/partnerlink/partnerlink/web"
)

// system is partnerlink wired for a test: real redis-server, real SMTP server in
// process, the asynq worker and the HTTP server.
type system struct {
	t        *testing.T
	rdb      *redis.Client
	store    *partnerships.Store
	sink     *mailsink.Sink
	ring     *tokens.Ring
	http     *httptest.Server
	lib      *agreements.Library
	apiKey   string
	partner  partnerships.Partner
	customer partnerships.Customer
	enq      *jobs.Enqueuer
	log      *slog.Logger
	clock    *shiftClock       // the store's and the tokens' clock (api helper: resend after expiry)
	redis    *testredis.Server // faults: killed and restarted by the fault tests
}

const (
	adminEmail   = "ada@fabrikam.example"
	billingEmail = "bill@fabrikam.example"
	userEmail    = "uma@fabrikam.example"
)

func start(t *testing.T) *system {
	t.Helper()
	return startWith(t, web.Config{})
}

// startWith is start with the web server configured by cfg (rate limits, say); a
// zero InviteTTL is start's 14 days.
func startWith(t *testing.T, cfg web.Config) *system {
	t.Helper()
	return startOn(t, cfg, testredis.Start(t))
}

// startOn is startWith on the given redis-server (faults: one with AOF, to kill
// and restart).
func startOn(t *testing.T, cfg web.Config, srv *testredis.Server) *system {
	t.Helper()
	if cfg.InviteTTL == 0 {
		cfg.InviteTTL = 14 * 24 * time.Hour
	}
	w := wire(t, srv, cfg)
	routes := []jobs.Route{
		{Type: jobs.TypeBounceNotice, Handler: jobs.NewBounceNotifier(w.store, w.tpl, w.mail, "partnerlink.test", w.log)},
		{Type: jobs.TypeRequestReply, Handler: jobs.NewRequestReplier(w.tpl, w.mail, "partnerlink.test", w.log)},
	}
	// Customer portal: sign-in links and agreement requests.
	w.startWorker(append(routes, jobs.NewPortalMailer(w.store, w.tpl, w.mail, w.ring, w.links, "partnerlink.test", w.log).Routes()...)...)
	return w.seed(
		partnerships.CustomerUser{Email: billingEmail, Role: partnerships.BillingAdmin},
		partnerships.CustomerUser{Email: userEmail, Role: partnerships.User},
	)
}

// wired is a system with its web app serving and the parts its worker needs.
type wired struct {
	*system
	tpl     *templates.Set
	mail    *mailer.Mailer
	links   *links.Builder
	connOpt asynq.RedisClientOpt
}

// wire starts what every system has on srv: the store and the token ring on
// s.clock (storeOpts added), the SMTP sink, and the web app configured by cfg
// behind an httptest server, enqueueing through an asynq client.
func wire(t *testing.T, srv *testredis.Server, cfg web.Config, storeOpts ...partnerships.Option) *wired {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := &system{t: t, rdb: srv.Client(), lib: agreements.Sample(), log: log, clock: &shiftClock{}, redis: srv}
	s.store = partnerships.NewStore(s.rdb, append([]partnerships.Option{partnerships.WithClock(s.clock.Now)}, storeOpts...)...)
	w := &wired{system: s, connOpt: asynq.RedisClientOpt{Addr: srv.Addr}}

	var err error
	if s.sink, err = mailsink.Start(mailsink.Options{Addr: "127.0.0.1:0", Logger: log}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.sink.Close() })
	key, err := tokens.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	if s.ring, err = tokens.NewRing([]tokens.Key{key}, tokens.WithClock(s.clock.Now)); err != nil {
		t.Fatal(err)
	}

	var handler http.Handler
	s.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(s.http.Close)
	if w.links, err = links.New(s.http.URL); err != nil {
		t.Fatal(err)
	}
	if w.tpl, err = templates.New(); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(s.sink.Addr())
	portN, _ := strconv.Atoi(port)
	w.mail, err = mailer.New(mailer.Config{Host: host, Port: portN, TLS: mailer.TLSNone, From: "noreply@partnerlink.test", FromName: "partnerlink", Timeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.mail.Close() })

	client := asynq.NewClient(w.connOpt)
	t.Cleanup(func() { client.Close() })
	s.enq = jobs.NewEnqueuer(client)
	app, err := web.New(cfg, web.Deps{
		Store: s.store, Tokens: s.ring, Agreements: s.lib, Templates: w.tpl, Links: w.links,
		Enqueuer: s.enq, Logger: log, RDB: s.rdb,
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = app
	return w
}

// startWorker runs the asynq worker with the invitation sender and routes.
func (w *wired) startWorker(routes ...jobs.Route) {
	w.t.Helper()
	worker := jobs.NewServer(w.connOpt, jobs.ServerConfig{Concurrency: 4, ShutdownTimeout: 2 * time.Second}, w.log)
	if err := worker.Start(jobs.NewMux(jobs.NewSender(w.store, w.tpl, w.mail, w.ring, w.links, "partnerlink.test", w.log), routes...)); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(worker.Shutdown)
}

// seed creates the partner Contoso and the customer Fabrikam with its global
// admin Ada and users, and returns the system.
func (w *wired) seed(users ...partnerships.CustomerUser) *system {
	w.t.Helper()
	ctx := context.Background()
	s := w.system
	var err error
	if s.partner, s.apiKey, err = s.store.CreatePartner(ctx, "Contoso <Partners> Ltd", "partners@contoso.example"); err != nil {
		s.t.Fatal(err)
	}
	if s.customer, err = s.store.CreateCustomer(ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: adminEmail, Name: "Ada", Role: partnerships.GlobalAdmin}); err != nil {
		s.t.Fatal(err)
	}
	for _, u := range users {
		u.CustomerID = s.customer.ID
		if err := s.store.AddCustomerUser(ctx, u); err != nil {
			s.t.Fatal(err)
		}
	}
	return s
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// api calls the partner API with the given key and decodes the JSON answer.
func (s *system) api(method, path, key string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.http.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("%s %s: status %d, body not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// invite creates an invitation through the API and returns its id.
func (s *system) invite(email, typ, locale string) string {
	s.t.Helper()
	code, body := s.api("POST", "/api/v1/invitations", s.apiKey, map[string]any{
		"customer_email": email, "relationship_type": typ, "locale": locale,
	})
	if code != http.StatusCreated {
		s.t.Fatalf("create invitation: status %d: %v", code, body)
	}
	return body["id"].(string)
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+/invite/[A-Za-z0-9_-]+`)

// waitForLink waits for the invitation email to rcpt and returns the link in its text part.
func (s *system) waitForLink(rcpt string, n int) (mailsink.Message, string) {
	s.t.Helper()
	msgs := s.waitMessages(n)
	for _, m := range slices.Backward(msgs) {
		if slices.Contains(m.To, rcpt) {
			link := linkRE.FindString(m.Text)
			if link == "" {
				s.t.Fatalf("no invite link in the text part:\n%s", m.Text)
			}
			return m, link
		}
	}
	s.t.Fatalf("no message to %s among %d", rcpt, len(msgs))
	return mailsink.Message{}, ""
}

// waitMessages waits up to 15 seconds until the sink has n messages and returns them.
func (s *system) waitMessages(n int) []mailsink.Message {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	msgs, err := s.sink.Wait(ctx, n)
	if err != nil {
		s.t.Fatalf("waiting for %d messages: %v (have %d)", n, err, len(s.sink.Messages()))
	}
	return msgs
}

// snapshot is every partnerlink key in Redis with its serialized value.
func (s *system) snapshot() map[string]string {
	s.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := s.rdb.Scan(ctx, 0, "pl:*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		v, err := s.rdb.Dump(ctx, k).Result()
		if err != nil {
			s.t.Fatalf("dump %s: %v", k, err)
		}
		out[k] = v
	}
	if err := iter.Err(); err != nil {
		s.t.Fatal(err)
	}
	return out
}

// browser is a person's browser: it keeps cookies.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "e2e-browser/1.0")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([a-z0-9_]+)" value="([^"]*)">`)

// formFields returns the hidden fields of the accept form on a review page.
func formFields(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	if v.Get("csrf") == "" {
		t.Fatalf("no csrf field on the page:\n%s", page)
	}
	return v
}

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not contain %q", what, p)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// waitStatus waits until invitation id has status want: the worker records a send
// just after the SMTP server took the message.
func (s *system) waitStatus(id string, want partnerships.Status) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		inv, err := s.store.Invitation(context.Background(), id)
		if err == nil && inv.Status == want {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("invitation %s: status %q (err %v), want %q", id, inv.Status, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
