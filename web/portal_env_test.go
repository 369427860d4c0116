package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

// portalEnv is the web server on a real redis-server, with a customer (global
// admin, billing admin, helpdesk admin), a partner whose delegated admin invitation
// the global admin accepted under an older agreement version, and an API key.
type portalEnv struct {
	t        *testing.T
	ctx      context.Context
	rdb      *redis.Client
	store    *partnerships.Store
	ring     *tokens.Ring
	lib      *agreements.Library
	srv      *Server
	http     *httptest.Server
	insp     *asynq.Inspector
	partner  partnerships.Partner
	apiKey   string
	customer partnerships.Customer
}

const (
	envBilling  = "bill@fabrikam.example"
	envHelpdesk = "hal@fabrikam.example"
	csrfValue   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ" // 43 characters, as csrfToken makes them
)

func newPortalEnv(t *testing.T) *portalEnv {
	t.Helper()
	return newPortalEnvWith(t, Config{})
}

// newPortalEnvWith is newPortalEnv with the server configured by cfg (its
// InviteTTL is 14 days).
func newPortalEnvWith(t *testing.T, cfg Config) *portalEnv {
	t.Helper()
	cfg.InviteTTL = 14 * 24 * time.Hour
	redisSrv := testredis.Start(t)
	e := &portalEnv{t: t, ctx: context.Background(), rdb: redisSrv.Client(), lib: agreements.Sample()}
	e.store = partnerships.NewStore(e.rdb)
	var handler http.Handler
	e.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(e.http.Close)
	var lb *links.Builder
	var tpl *templates.Set
	e.ring, lb, tpl = testKit(t, e.http.URL)
	var err error
	conn := asynq.RedisClientOpt{Addr: redisSrv.Addr}
	client := asynq.NewClient(conn)
	t.Cleanup(func() { client.Close() })
	e.insp = asynq.NewInspector(conn)
	t.Cleanup(func() { e.insp.Close() })
	e.srv, err = New(cfg, Deps{
		Store: e.store, Tokens: e.ring, Agreements: e.lib, Templates: tpl, Links: lb,
		Enqueuer: jobs.NewEnqueuer(client), Logger: slog.New(slog.DiscardHandler), RDB: e.rdb,
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = e.srv

	if e.partner, e.apiKey, err = e.store.CreatePartner(e.ctx, "Contoso <b>Partners</b>", "partners@contoso.example"); err != nil {
		t.Fatal(err)
	}
	if e.customer, err = e.store.CreateCustomer(e.ctx, "Fabrikam & Co", "fabrikam.example",
		partnerships.CustomerUser{Email: envAdmin, Role: partnerships.GlobalAdmin}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []partnerships.CustomerUser{
		{CustomerID: e.customer.ID, Email: envBilling, Role: partnerships.BillingAdmin},
		{CustomerID: e.customer.ID, Email: envHelpdesk, Role: partnerships.HelpdeskAdmin},
	} {
		if err := e.store.AddCustomerUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	e.relate(e.partner.ID, partnerships.DelegatedAdmin, "2025-01")
	return e
}

// relate makes an accepted relationship of type typ with partner, signed for
// agreement version (an old one leaves the current agreement unsigned).
func (e *portalEnv) relate(partnerID string, typ partnerships.RelationshipType, version string) {
	e.t.Helper()
	inv, err := e.store.CreateInvitation(e.ctx, partnerships.NewInvitation{PartnerID: partnerID, Email: envAdmin, Type: typ, Locale: "en", TTL: time.Hour})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.store.Accept(e.ctx, partnerships.AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: envAdmin,
		Agreement: partnerships.AgreementRef{Version: version, Locale: "en", SHA256: strings.Repeat("0", 64)}, IP: "192.0.2.1"}); err != nil {
		e.t.Fatal(err)
	}
}

// session starts a session of email and returns its cookie.
func (e *portalEnv) session(email string) *http.Cookie {
	e.t.Helper()
	sess, err := e.store.StartSession(e.ctx, partnerships.StartSessionInput{Email: email})
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: sess.ID}
}

// do sends a request with cookies; a form gets the CSRF cookie, and its csrf field
// unless the form sets one (an empty value: none).
func (e *portalEnv) do(method, path string, form url.Values, cookies ...*http.Cookie) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		if _, ok := form["csrf"]; !ok {
			form.Set("csrf", csrfValue)
		}
		body = strings.NewReader(form.Encode())
		cookies = append(cookies, &http.Cookie{Name: csrfCookie, Value: csrfValue})
	}
	req, _ := http.NewRequest(method, e.http.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "portal-test/1.0")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// api calls the partner API.
func (e *portalEnv) api(method, path, key, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// tasks returns the payloads of the queued mail tasks of type typ.
func (e *portalEnv) tasks(typ string) [][]byte {
	e.t.Helper()
	list, err := e.insp.ListPendingTasks(jobs.QueueMail)
	if err != nil && !strings.Contains(err.Error(), "not found") {
		e.t.Fatal(err)
	}
	var out [][]byte
	for _, ti := range list {
		if ti.Type == typ {
			out = append(out, ti.Payload)
		}
	}
	return out
}

// snapshot is every partnerlink key with its value (not the queue's).
func (e *portalEnv) snapshot() map[string]string {
	e.t.Helper()
	keys, err := e.rdb.Keys(e.ctx, "pl:*").Result()
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Strings(keys)
	out := map[string]string{}
	for _, k := range keys {
		out[k] = e.rdb.Dump(e.ctx, k).Val()
	}
	return out
}

func (e *portalEnv) unchanged(what string, before map[string]string) {
	e.t.Helper()
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		e.t.Errorf("%s changed Redis (-before +after):\n%s", what, diff)
	}
}

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not contain %q", what, p)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
