package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// acceptEnv is the server as `serve` runs it (a link rate limit on), on a real
// redis-server, with the Redis round trips of the store and the rate limiter
// (trips) and of asynq's enqueues (queueTrips) counted apart. Requests go
// straight to the handler, as a benchmark of serve's own work wants.
type acceptEnv struct {
	tb         testing.TB
	ctx        context.Context
	store      *partnerships.Store
	ring       *tokens.Ring
	lib        *agreements.Library
	srv        *Server
	insp       *asynq.Inspector
	trips      *testredis.RoundTrips
	queueTrips *testredis.RoundTrips
	partner    partnerships.Partner
	n          atomic.Int64
}

func newAcceptEnv(tb testing.TB) *acceptEnv {
	tb.Helper()
	rs := testredis.Start(tb)
	rdb, queueRDB := rs.Client(), rs.Client()
	e := &acceptEnv{tb: tb, ctx: context.Background(), lib: agreements.Sample(),
		trips: testredis.CountRoundTrips(rdb), queueTrips: testredis.CountRoundTrips(queueRDB)}
	e.store = partnerships.NewStore(rdb)
	var lb *links.Builder
	var tpl *templates.Set
	e.ring, lb, tpl = testKit(tb, "http://partnerlink.example")
	var err error
	client := asynq.NewClientFromRedisClient(queueRDB)
	e.insp = asynq.NewInspectorFromRedisClient(queueRDB)
	e.srv, err = New(Config{InviteTTL: 14 * 24 * time.Hour, LinkLimit: ratelimit.Limit{Rate: 1_000_000, Per: time.Minute, Burst: 1_000_000}}, Deps{
		Store: e.store, Tokens: e.ring, Agreements: e.lib, Templates: tpl, Links: lb,
		Enqueuer: jobs.NewEnqueuer(client), Logger: slog.New(slog.DiscardHandler), RDB: rdb,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if e.partner, _, err = e.store.CreatePartner(e.ctx, "Contoso <b>Partners</b>", "partners@contoso.example"); err != nil {
		tb.Fatal(err)
	}
	return e
}

// customer creates a customer whose global admin's email it returns.
func (e *acceptEnv) customer() (partnerships.Customer, string) {
	e.tb.Helper()
	i := e.n.Add(1)
	email := fmt.Sprintf("admin@c%d.example", i)
	c, err := e.store.CreateCustomer(e.ctx, fmt.Sprintf("Customer %d & Co", i), fmt.Sprintf("c%d.example", i),
		partnerships.CustomerUser{Email: email, Name: "Admin", Role: partnerships.GlobalAdmin})
	if err != nil {
		e.tb.Fatal(err)
	}
	return c, email
}

// invite creates a sent invitation of partnerID to email and returns its link's token.
func (e *acceptEnv) invite(partnerID, email string) string {
	e.tb.Helper()
	inv, err := e.store.CreateInvitation(e.ctx, partnerships.NewInvitation{PartnerID: partnerID, Email: email,
		Type: partnerships.DelegatedAdmin, Locale: "en", TTL: 24 * time.Hour})
	if err != nil {
		e.tb.Fatal(err)
	}
	if inv, err = e.store.MarkSent(e.ctx, inv.ID, "<invitation."+inv.ID+"@partnerlink.example>"); err != nil {
		e.tb.Fatal(err)
	}
	tok, _, err := e.ring.Issue(tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID,
		Recipient: inv.Email, IssuedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
	if err != nil {
		e.tb.Fatal(err)
	}
	return tok
}

// serve sends a request straight to the handler (a form POST carries the CSRF
// cookie and field) and returns the recorded answer.
func (e *acceptEnv) serve(method, path string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		form.Set("csrf", csrfValue)
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrfValue})
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) accept-test/1.0")
	req.Header.Set("Accept-Language", "en-US,en;q=0.9")
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

// acceptForm is the form the review page posts.
func (e *acceptEnv) acceptForm() url.Values {
	doc := e.lib.Latest("en")
	return url.Values{"agree": {"yes"}, "agreement_version": {doc.Version}, "agreement_locale": {doc.Locale},
		"agreement_sha256": {doc.SHA256}}
}

// accept POSTs the accept form of token and checks it was accepted.
func (e *acceptEnv) accept(token string) *httptest.ResponseRecorder {
	e.tb.Helper()
	rec := e.serve("POST", "/invite/"+token+"/accept", e.acceptForm())
	if rec.Code != http.StatusOK {
		e.tb.Fatalf("accept: %d %s", rec.Code, rec.Body)
	}
	return rec
}

// Budgets of Redis round trips, besides asynq's own (acceptQueueTrips: the one
// notification, invitation.accepted, which also tells of the agreement signed;
// counted apart and sent at the same time as the session and list).
//
// A successful accept POST was 15 (+2): rate limit; invitation, partner, customer;
// the accept's partner read, index entry, script; the session's two user reads and
// script; customer check, partner list, relationships; per relationship its
// partner and acceptance. Now: rate limit; invitation and customer; index entry,
// script and index entry again (in order on one server); session, partners and
// other relationships — and their acceptances when there are other relationships.
const (
	acceptTrips         = 4 // a customer's first partner (bench item 2)
	acceptTripsOthers   = 5 // a customer that has other partners already
	acceptQueueTrips    = 1 // was 2: accepted and agreement signed, one task each
	reviewTrips         = 3 // GET /invite/{token}: rate limit; invitation and customer; partner and user (was 6)
	portalPartnersTrips = 6 // GET /portal: session, its user (2); customer and partner ids; relationships and partners; acceptances (was 6 + 2 per partner)
)

// TestAcceptRoundTrips counts the Redis round trips of a successful accept POST,
// for a customer's first partner (as in bench item 2) and for a customer with
// another partner already.
func TestAcceptRoundTrips(t *testing.T) {
	e := newAcceptEnv(t)
	_, warm := e.customer()
	e.accept(e.invite(e.partner.ID, warm)) // loads the scripts and asynq's queue entry

	for _, tc := range []struct {
		name   string
		others int // the customer's relationships with other partners before the accept
		budget int64
	}{{"first partner", 0, acceptTrips}, {"third partner", 2, acceptTripsOthers}} {
		t.Run(tc.name, func(t *testing.T) {
			c, admin := e.customer()
			for i := range tc.others {
				p, _, err := e.store.CreatePartner(e.ctx, fmt.Sprintf("Other %d", i), fmt.Sprintf("o%d@other.example", i))
				if err != nil {
					t.Fatal(err)
				}
				e.accept(e.invite(p.ID, admin))
			}
			token := e.invite(e.partner.ID, admin)
			e.trips.Reset()
			e.queueTrips.Reset()
			rec := e.accept(token)
			got, queued := e.trips.N(), e.queueTrips.N()
			t.Logf("accept POST: %d round trips, besides asynq's %d", got, queued)
			if !strings.Contains(rec.Body.String(), "Contoso &lt;b&gt;Partners&lt;/b&gt;") || !strings.Contains(rec.Body.String(), c.Name[:10]) {
				t.Errorf("the partner list lacks the partner or the customer:\n%s", rec.Body)
			}
			if rows := strings.Count(rec.Body.String(), "/portal/partners/pa_"); rows < tc.others+1 {
				t.Errorf("the partner list links %d partners, want %d:\n%s", rows, tc.others+1, rec.Body)
			}
			if got > tc.budget {
				t.Errorf("accept POST: %d round trips, budget %d", got, tc.budget)
			}
			if queued != acceptQueueTrips {
				t.Errorf("asynq: %d round trips, want %d", queued, acceptQueueTrips)
			}
			var sess *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == sessionCookie {
					sess = c
				}
			}
			if sess == nil {
				t.Fatalf("no session cookie: %v", rec.Header())
			}

			// The portal's partner list, as the accepting admin now sees it.
			req := httptest.NewRequest("GET", "/portal", nil)
			req.AddCookie(sess)
			e.trips.Reset()
			portal := httptest.NewRecorder()
			e.srv.ServeHTTP(portal, req)
			if portal.Code != http.StatusOK || strings.Count(portal.Body.String(), "/portal/partners/pa_") < tc.others+1 {
				t.Fatalf("GET /portal: %d\n%s", portal.Code, portal.Body)
			}
			if got := e.trips.N(); got > portalPartnersTrips {
				t.Errorf("GET /portal: %d round trips, budget %d", got, portalPartnersTrips)
			}
		})
	}
}

// TestReviewRoundTrips counts the round trips of the review page.
func TestReviewRoundTrips(t *testing.T) {
	e := newAcceptEnv(t)
	_, admin := e.customer()
	token := e.invite(e.partner.ID, admin)
	e.serve("GET", "/invite/"+token, nil) // loads the rate limit script
	e.trips.Reset()
	rec := e.serve("GET", "/invite/"+token, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Contoso &lt;b&gt;Partners&lt;/b&gt;") ||
		!strings.Contains(rec.Body.String(), `name="agreement_sha256"`) {
		t.Fatalf("review: %d\n%s", rec.Code, rec.Body)
	}
	if got := e.trips.N(); got > reviewTrips {
		t.Errorf("review page: %d round trips, budget %d", got, reviewTrips)
	}
}

// BenchmarkAcceptPOST is one accept POST through the handler (no HTTP
// connection), a new customer each time as in bench item 2.
func BenchmarkAcceptPOST(b *testing.B) {
	e := newAcceptEnv(b)
	tokens := make([]string, 0, 1024)
	next := 0
	var trips int64
	b.ReportAllocs()
	for b.Loop() {
		if next == len(tokens) {
			b.StopTimer()
			tokens, next = tokens[:0], 0
			for range cap(tokens) {
				_, admin := e.customer()
				tokens = append(tokens, e.invite(e.partner.ID, admin))
			}
			b.StartTimer()
		}
		e.trips.Reset()
		e.accept(tokens[next])
		trips += e.trips.N()
		next++
	}
	b.ReportMetric(float64(trips)/float64(b.N), "trips/op")
}

// BenchmarkRenderPartners renders the partner list page after an accept (one
// partner, a notice, the portal navigation): serve's own CPU of the page.
func BenchmarkRenderPartners(b *testing.B) {
	p, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{pages: p, Deps: Deps{Logger: slog.New(slog.DiscardHandler)}}
	lb, err := links.New("http://partnerlink.example")
	if err != nil {
		b.Fatal(err)
	}
	s.Links = lb
	at := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	data := partnersPage{
		page: s.page(T("en", "partners.title"), "en"), CustomerName: "Customer 1 & Co",
		Notice: Tf("en", "partners.accepted", "Contoso <b>Partners</b>"),
		Rows: []partnerRow{{PartnerName: "Contoso <b>Partners</b>", Types: []string{"Delegated admin"},
			Roles: []string{"Global admin", "Helpdesk admin"}, AgreementVersion: "2026-01", SignedBy: "admin@c1.example",
			SignedAt: at, Since: at, DetailsURL: "/portal/partners/pa_aaaaaaaaaaaaaaaa"}},
		Nav: &portalNav{PartnersURL: "/portal", InvitationsURL: "/portal/invitations", SignOutAction: "/portal/signout", CSRF: csrfValue},
	}
	b.ReportAllocs()
	for b.Loop() {
		s.render(httptest.NewRecorder(), http.StatusOK, "partners", data)
	}
}
