package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
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

const operatorKey = "op_0123456789abcdef0123456789abcdef"

// dirEnv is the web server on a real redis-server, with the real worker sending
// through an in-process SMTP sink.
type dirEnv struct {
	t     *testing.T
	rdb   *redis.Client
	store *partnerships.Store
	sink  *mailsink.Sink
	http  *httptest.Server
}

func newDirEnv(t *testing.T, cfg web.Config) *dirEnv {
	t.Helper()
	if cfg.InviteTTL == 0 {
		cfg.InviteTTL = 24 * time.Hour
	}
	log := slog.New(slog.DiscardHandler)
	srv := testredis.Start(t)
	e := &dirEnv{t: t, rdb: srv.Client()}
	e.store = partnerships.NewStore(e.rdb)
	var err error
	if e.sink, err = mailsink.Start(mailsink.Options{Addr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sink.Close() })
	key, _ := tokens.GenerateKey("k1")
	ring, err := tokens.NewRing([]tokens.Key{key})
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.http.Close)
	lb, err := links.New(e.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(e.sink.Addr())
	portN, _ := strconv.Atoi(port)
	m, err := mailer.New(mailer.Config{Host: host, Port: portN, TLS: mailer.TLSNone, From: "noreply@partnerlink.test", Timeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	connOpt := asynq.RedisClientOpt{Addr: srv.Addr}
	client := asynq.NewClient(connOpt)
	t.Cleanup(func() { client.Close() })
	app, err := web.New(cfg, web.Deps{Store: e.store, Tokens: ring, Agreements: agreements.Sample(), Templates: tpl,
		Links: lb, Enqueuer: jobs.NewEnqueuer(client), Logger: log, RDB: e.rdb})
	if err != nil {
		t.Fatal(err)
	}
	handler = app
	worker := jobs.NewServer(connOpt, jobs.ServerConfig{Concurrency: 2, ShutdownTimeout: 2 * time.Second}, log)
	if err := worker.Start(jobs.NewMux(jobs.NewSender(e.store, tpl, m, ring, lb, "partnerlink.test", log),
		jobs.Route{Type: jobs.TypeSendLead, Handler: jobs.NewLeadSender(e.store, tpl, m, lb, "partnerlink.test", log)})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(worker.Shutdown)
	return e
}

// listed creates a partner in the directory with a profile.
func (e *dirEnv) listed(name, email, location string, sizes, keywords []string) partnerships.Partner {
	e.t.Helper()
	ctx := context.Background()
	p, _, err := e.store.CreatePartner(ctx, name, email)
	if err != nil {
		e.t.Fatal(err)
	}
	yes := true
	if _, err := e.store.UpdatePartnerProfile(ctx, p.ID, partnerships.ProfileUpdate{Listed: &yes, Location: &location,
		Sizes: &sizes, Keywords: &keywords}); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// snapshot is every partnerlink key but the rate limiters' counters, dumped.
func (e *dirEnv) snapshot() map[string]string {
	e.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := e.rdb.Scan(ctx, 0, "pl:*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		if strings.HasPrefix(k, "pl:{rl:") {
			continue
		}
		v, err := e.rdb.Dump(ctx, k).Result()
		if err != nil {
			e.t.Fatal(err)
		}
		out[k] = v
	}
	// Queued tasks count too: a refusal queues nothing.
	n, _ := e.rdb.Keys(ctx, "asynq:{mail}:t:*").Result()
	out["asynq tasks"] = strconv.Itoa(len(n))
	return out
}

// browser keeps cookies, as a person's browser does.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in:\n%s", page)
	}
	return m[1]
}

// api sends a JSON request with a bearer key and decodes the JSON answer.
func (e *dirEnv) api(method, path, key string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.http.URL+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
