package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// apiEnv is the server on a real redis-server with a real asynq client (tasks are
// queued, no worker runs them), a clock the test moves, two partners and a
// customer with a global admin.
type apiEnv struct {
	t        testing.TB
	ctx      context.Context
	rdb      *redis.Client // the store's client (asynq has its own)
	srv      *Server
	http     *httptest.Server
	store    *partnerships.Store
	ring     *tokens.Ring
	insp     *asynq.Inspector
	clock    *testClock
	partner  partnerships.Partner
	key      string // partner's API key
	other    partnerships.Partner
	otherKey string
	customer partnerships.Customer
}

const envAdmin = "ada@fabrikam.example"

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newAPIEnv(t testing.TB) *apiEnv {
	t.Helper()
	rs := testredis.Start(t)
	rdb := rs.Client()
	e := &apiEnv{t: t, ctx: context.Background(), rdb: rdb, clock: &testClock{now: time.Now().UTC().Truncate(time.Second)}}
	e.store = partnerships.NewStore(rdb, partnerships.WithClock(e.clock.Now))
	var handler http.Handler
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.http.Close)
	var lb *links.Builder
	var tpl *templates.Set
	e.ring, lb, tpl = testKit(t, e.http.URL, tokens.WithClock(e.clock.Now))
	var err error
	conn := asynq.RedisClientOpt{Addr: rs.Addr}
	client := asynq.NewClient(conn)
	t.Cleanup(func() { client.Close() })
	e.insp = asynq.NewInspector(conn)
	t.Cleanup(func() { e.insp.Close() })
	e.srv, err = New(Config{InviteTTL: 14 * 24 * time.Hour}, Deps{
		Store: e.store, Tokens: e.ring, Agreements: agreements.Sample(), Templates: tpl, Links: lb,
		Enqueuer: jobs.NewEnqueuer(client), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RDB: rdb,
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = e.srv
	if e.partner, e.key, err = e.store.CreatePartner(e.ctx, "Contoso Ltd", "partners@contoso.example"); err != nil {
		t.Fatal(err)
	}
	if e.other, e.otherKey, err = e.store.CreatePartner(e.ctx, "Rival Ltd", "partners@rival.example"); err != nil {
		t.Fatal(err)
	}
	if e.customer, err = e.store.CreateCustomer(e.ctx, "Fabrikam, Inc.", "fabrikam.example",
		partnerships.CustomerUser{Email: envAdmin, Name: "Ada", Role: partnerships.GlobalAdmin}); err != nil {
		t.Fatal(err)
	}
	return e
}

// call sends a partner API request with key (raw body, "" for none) and decodes
// the JSON answer into a map.
func (e *apiEnv) call(method, path, key, body string) (int, map[string]any, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, _ := http.NewRequest(method, e.http.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "api-test/1")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("%s %s: status %d, body not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, resp.Header
}

// invite creates an invitation of the partner through the API.
func (e *apiEnv) invite(typ string) string {
	e.t.Helper()
	code, body, _ := e.call("POST", "/api/v1/invitations", e.key,
		`{"customer_email":"`+envAdmin+`","relationship_type":"`+typ+`"}`)
	if code != http.StatusCreated {
		e.t.Fatalf("create invitation: %d %v", code, body)
	}
	return body["id"].(string)
}

// accept has the customer's admin accept invitation id in the store.
func (e *apiEnv) accept(id string) {
	e.t.Helper()
	inv, err := e.store.Invitation(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	doc := agreements.Sample().Latest("en")
	if _, _, err := e.store.Accept(e.ctx, partnerships.AcceptInput{
		InvitationID: id, TokenID: inv.TokenID, UserEmail: envAdmin, IP: "203.0.113.5", UserAgent: "browser",
		Agreement: partnerships.AgreementRef{Version: doc.Version, Locale: doc.Locale, SHA256: doc.SHA256},
	}); err != nil {
		e.t.Fatal(err)
	}
}

// queued reports whether a task with id waits in the mail queue.
func (e *apiEnv) queued(id string) bool {
	_, err := e.insp.GetTaskInfo(jobs.QueueMail, id)
	return err == nil
}

// link returns the invitation link of id as the send job would write it.
func (e *apiEnv) link(id string) string {
	e.t.Helper()
	inv, err := e.store.Invitation(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	tok, _, err := e.ring.Issue(tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID,
		Recipient: inv.Email, IssuedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.http.URL + "/invite/" + tok
}

// page GETs url and returns the status and body.
func (e *apiEnv) page(url string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Language", "en")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}
