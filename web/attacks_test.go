package web

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
	"github.com/partnerlink/partnerlink/tokens"
)

// Attacks (issue 6 items 5 and 6): tests that walk every token endpoint and every
// route registered on the mux, so a route added later is attacked too (or the
// test says it needs a recipe).

// logBuffer collects the server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// take returns what was logged since the last take.
func (l *logBuffer) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

// attackEnv is a portalEnv with the server's log captured and an open invitation
// (with a personal message) of its partner to the global admin.
type attackEnv struct {
	*portalEnv
	log *logBuffer
	inv partnerships.Invitation
}

func newAttackEnv(t *testing.T, cfg Config) *attackEnv {
	t.Helper()
	a := &attackEnv{portalEnv: newPortalEnvWith(t, cfg), log: &logBuffer{}}
	a.srv.Logger = slog.New(slog.NewTextHandler(a.log, nil))
	a.inv = a.openInvitation()
	return a
}

func (a *attackEnv) openInvitation() partnerships.Invitation {
	a.t.Helper()
	inv, err := a.store.CreateInvitation(a.ctx, partnerships.NewInvitation{PartnerID: a.partner.ID, Email: envAdmin,
		Type: partnerships.Reseller, Locale: "en", TTL: time.Hour, Message: "Hello from Contoso"})
	if err != nil {
		a.t.Fatal(err)
	}
	return inv
}

func (a *attackEnv) issue(c tokens.Claims) string {
	a.t.Helper()
	tok, _, err := a.ring.Issue(c)
	if err != nil {
		a.t.Fatal(err)
	}
	return tok
}

func inviteClaims(inv partnerships.Invitation) tokens.Claims {
	return tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID, Recipient: inv.Email,
		IssuedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
}

func signInClaims() tokens.Claims {
	now := time.Now().UTC().Truncate(time.Second)
	return tokens.Claims{ID: tokens.NewID(), Purpose: tokens.PurposeSignIn, Subject: envAdmin, Recipient: envAdmin,
		IssuedAt: now, ExpiresAt: now.Add(SignInTTL)}
}

func (a *attackEnv) agreementClaims() tokens.Claims {
	now := time.Now().UTC().Truncate(time.Second)
	return tokens.Claims{ID: tokens.NewID(), Purpose: tokens.PurposeAgreement, Subject: jobs.AgreementSubject(a.customer.ID, a.partner.ID),
		Recipient: envAdmin, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
}

// tokenEndpoint is one request that carries a token in its path (%s).
type tokenEndpoint struct {
	method, path string
	form         func(a *attackEnv) url.Values // POST: the form a real page sends (csrf added by do)
}

// tokenPurpose is every endpoint of one token purpose, and how to make its tokens.
type tokenPurpose struct {
	name      string
	endpoints []tokenEndpoint
	valid     func(a *attackEnv) tokens.Claims // a good token's claims
	revoked   func(a *attackEnv) tokens.Claims // a good token of a revoked target; nil: nothing to revoke
	use       func(a *attackEnv, token string) // uses token once, successfully
	// replayIdempotent: a second use is answered like the first and changes
	// nothing (RFC 8058 one-click unsubscribe may be sent again by a mail client).
	replayIdempotent bool
	otherPurpose     tokens.Purpose
}

func noForm(*attackEnv) url.Values { return url.Values{} }

func acceptForm(a *attackEnv) url.Values { return agreementForm(a.portalEnv) }

func (a *attackEnv) mustPost(path string, form url.Values, want int) {
	a.t.Helper()
	resp, body := a.do("POST", path, form)
	if resp.StatusCode != want {
		a.t.Fatalf("POST %s: %d, want %d: %s", path, resp.StatusCode, want, body)
	}
}

func tokenPurposes() []tokenPurpose {
	return []tokenPurpose{
		{
			name: "invite",
			endpoints: []tokenEndpoint{
				{"GET", "/invite/%s", nil}, {"POST", "/invite/%s/accept", acceptForm},
				{"GET", "/invite/%s/decline", nil}, {"POST", "/invite/%s/decline", noForm},
			},
			valid: func(a *attackEnv) tokens.Claims { return inviteClaims(a.inv) },
			revoked: func(a *attackEnv) tokens.Claims {
				inv := a.openInvitation()
				if _, err := a.store.RevokeInvitation(a.ctx, a.partner.ID, inv.ID, partnerships.Origin{IP: "192.0.2.9"}); err != nil {
					a.t.Fatal(err)
				}
				return inviteClaims(inv)
			},
			use:          func(a *attackEnv, tok string) { a.mustPost("/invite/"+tok+"/accept", acceptForm(a), http.StatusOK) },
			otherPurpose: tokens.PurposeSignIn,
		},
		{
			name:         "signin",
			endpoints:    []tokenEndpoint{{"GET", "/signin/%s", nil}, {"POST", "/signin/%s", noForm}},
			valid:        func(*attackEnv) tokens.Claims { return signInClaims() },
			use:          func(a *attackEnv, tok string) { a.mustPost("/signin/"+tok, url.Values{}, http.StatusSeeOther) },
			otherPurpose: tokens.PurposeAgreement,
		},
		{
			name:         "agreement",
			endpoints:    []tokenEndpoint{{"GET", "/agreement/%s", nil}, {"POST", "/agreement/%s", acceptForm}},
			valid:        (*attackEnv).agreementClaims,
			use:          func(a *attackEnv, tok string) { a.mustPost("/agreement/"+tok, acceptForm(a), http.StatusSeeOther) },
			otherPurpose: tokens.PurposeInvite,
		},
		{
			name:      "stop-reminders",
			endpoints: []tokenEndpoint{{"GET", "/reminders/stop/%s", nil}, {"POST", "/reminders/stop/%s", noForm}},
			valid:     func(a *attackEnv) tokens.Claims { return jobs.StopRemindersClaims(a.inv) },
			revoked: func(a *attackEnv) tokens.Claims {
				inv := a.openInvitation()
				if _, err := a.store.RevokeInvitation(a.ctx, a.partner.ID, inv.ID, partnerships.Origin{IP: "192.0.2.9"}); err != nil {
					a.t.Fatal(err)
				}
				return jobs.StopRemindersClaims(inv)
			},
			use:              func(a *attackEnv, tok string) { a.mustPost("/reminders/stop/"+tok, url.Values{}, http.StatusOK) },
			replayIdempotent: true,
			otherPurpose:     tokens.PurposeInvite,
		},
	}
}

// tamper changes one character in the middle of the token's signed part.
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// TestAttackTokens (issue 6 item 5): for every token purpose and every endpoint
// taking it, a tampered, truncated, expired, revoked, replayed, wrong-purpose,
// retired-key or other-recipient token is refused with a page that says so (4xx,
// a heading, no form to go on with), the refusal is logged, and Redis is unchanged.
func TestAttackTokens(t *testing.T) {
	for _, p := range tokenPurposes() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			a := newAttackEnv(t, Config{})
			retired, err := tokens.GenerateKey("k0")
			if err != nil {
				t.Fatal(err)
			}
			oldRing, err := tokens.NewRing([]tokens.Key{retired})
			if err != nil {
				t.Fatal(err)
			}
			// Control: the valid token opens every GET page.
			good := a.issue(p.valid(a))
			for _, ep := range p.endpoints {
				if ep.method == "GET" {
					if resp, body := a.do("GET", fmt.Sprintf(ep.path, good), nil); resp.StatusCode != http.StatusOK {
						t.Fatalf("control: GET %s with a valid token: %d %s", ep.path, resp.StatusCode, body)
					}
				}
			}
			attacks := []struct {
				name  string
				token func() string
			}{
				{"tampered", func() string { return tamper(good) }},
				{"truncated", func() string { return good[:len(good)-6] }},
				{"expired", func() string {
					c := p.valid(a)
					c.IssuedAt, c.ExpiresAt = time.Now().Add(-3*time.Hour), time.Now().Add(-time.Hour)
					return a.issue(c)
				}},
				{"wrong purpose", func() string { c := p.valid(a); c.Purpose = p.otherPurpose; return a.issue(c) }},
				{"retired key", func() string {
					tok, _, err := oldRing.Issue(p.valid(a))
					if err != nil {
						t.Fatal(err)
					}
					return tok
				}},
				{"another recipient", func() string { c := p.valid(a); c.Recipient = "mallory@evil.example"; return a.issue(c) }},
			}
			if p.revoked != nil {
				attacks = append(attacks, struct {
					name  string
					token func() string
				}{"revoked", func() string { return a.issue(p.revoked(a)) }})
			}
			// Replayed last: its first use changes what the others would see.
			attacks = append(attacks, struct {
				name  string
				token func() string
			}{"replayed", func() string { p.use(a, good); return good }})
			for _, at := range attacks {
				tok := at.token()
				for _, ep := range p.endpoints {
					a.log.take()
					before := a.snapshot()
					var form url.Values
					if ep.form != nil {
						form = ep.form(a)
					}
					resp, body := a.do(ep.method, fmt.Sprintf(ep.path, tok), form)
					what := fmt.Sprintf("%s token: %s %s", at.name, ep.method, ep.path)
					a.unchanged(what, before)
					if at.name == "replayed" && p.replayIdempotent {
						continue // answered like the first use, nothing changed (checked above)
					}
					if resp.StatusCode < 400 || resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
						t.Errorf("%s: status %d, want a 4xx refusal", what, resp.StatusCode)
					}
					if !strings.Contains(body, "<h1") || strings.Contains(body, `name="csrf"`) {
						t.Errorf("%s: not a page that tells why (heading, no form):\n%s", what, body)
					}
					if logged := a.log.take(); !strings.Contains(logged, "refused") || !strings.Contains(logged, "level=WARN") {
						t.Errorf("%s: refusal not logged; log:\n%s", what, logged)
					}
				}
			}
		})
	}
}

// TestAttackTokenEndpointsRateLimited (issue 6 item 5): every token endpoint takes
// from its client address's limit; the request after the burst is 429 with
// Retry-After, and another address is unaffected.
func TestAttackTokenEndpointsRateLimited(t *testing.T) {
	const burst = 3
	for _, p := range tokenPurposes() {
		for _, ep := range p.endpoints {
			t.Run(p.name+" "+ep.method+" "+ep.path, func(t *testing.T) {
				t.Parallel()
				a := newAttackEnv(t, Config{LinkLimit: ratelimit.Limit{Rate: 1, Per: time.Hour, Burst: burst}})
				path := fmt.Sprintf(ep.path, "not-a-token")
				for i := 1; i <= burst+1; i++ {
					var form url.Values
					if ep.method == "POST" {
						form = url.Values{}
					}
					resp, _ := a.do(ep.method, path, form)
					switch {
					case i <= burst && resp.StatusCode == http.StatusTooManyRequests:
						t.Fatalf("attempt %d of %d limited already", i, burst)
					case i == burst+1 && resp.StatusCode != http.StatusTooManyRequests:
						t.Fatalf("attempt %d: %d, want 429", i, resp.StatusCode)
					case i == burst+1 && resp.Header.Get("Retry-After") == "":
						t.Fatalf("429 without Retry-After")
					}
				}
				if !strings.Contains(a.log.take(), "rate limit exceeded") {
					t.Error("the 429 was not logged")
				}
				// The limit is the client address's: another address still gets through.
				used, err := a.srv.linkLimiter.Allow(a.ctx, "198.51.100.7")
				if err != nil || !used.Allowed {
					t.Errorf("another client address is limited too: %+v %v", used, err)
				}
			})
		}
	}
}

// csrfExceptions are the state-changing POSTs that take no CSRF token, and why.
var csrfExceptions = map[string]string{
	// RFC 8058 one-click unsubscribe: the mail client POSTs "List-Unsubscribe=One-Click"
	// without any page of ours, so it cannot carry a CSRF token. The signed,
	// single-purpose token in the path authorises it, and it only stops reminders
	// (idempotent); TestAttackTokens attacks that token.
	"POST /reminders/stop/{token}": "RFC 8058 one-click; the path's token authorises it",
}

// request is a concrete request for a route pattern: its path, cookies, and for a
// POST the form a real page sends.
type request struct {
	path      string
	cookies   []*http.Cookie
	form      url.Values
	tokenPage bool
}

// concrete builds a request for a web (non-API) pattern, with valid tokens and a
// signed-in global admin, so that only what a test takes away is missing.
func (a *attackEnv) concrete(pattern string) (request, bool) {
	method, path, _ := strings.Cut(pattern, " ")
	var rq request
	switch {
	case strings.HasPrefix(path, "/invite/{token}"):
		rq.tokenPage = true
		path = strings.Replace(path, "{token}", a.issue(inviteClaims(a.inv)), 1)
	case strings.HasPrefix(path, "/signin/{token}"):
		rq.tokenPage = true
		path = strings.Replace(path, "{token}", a.issue(signInClaims()), 1)
	case strings.HasPrefix(path, "/agreement/{token}"):
		rq.tokenPage = true
		path = strings.Replace(path, "{token}", a.issue(a.agreementClaims()), 1)
	case strings.HasPrefix(path, "/reminders/stop/{token}"):
		rq.tokenPage = true
		path = strings.Replace(path, "{token}", a.issue(jobs.StopRemindersClaims(a.inv)), 1)
	case strings.Contains(path, "{partner_id}"):
		path = strings.Replace(path, "{partner_id}", a.partner.ID, 1)
	case strings.Contains(path, "{version}"):
		doc := a.lib.Latest("en")
		path = strings.NewReplacer("{version}", doc.Version, "{locale}", doc.Locale).Replace(path)
	case path == "/static/":
		path = "/static/style.css"
	}
	if strings.Contains(path, "{") {
		return rq, false
	}
	rq.path = path
	if strings.HasPrefix(path, "/portal") {
		rq.cookies = []*http.Cookie{a.session(envAdmin)}
	}
	if method == "POST" {
		switch {
		case strings.HasSuffix(path, "/accept"), strings.HasPrefix(path, "/agreement/"), strings.HasSuffix(path, "/agreement"):
			rq.form = acceptForm(a)
		case path == "/portal/signin":
			rq.form = url.Values{"email": {envAdmin}}
		case path == "/partners/contact":
			rq.form = url.Values{"name": {"Lee"}, "email": {"lee@buyer.example"}, "organisation": {"Buyer"},
				"message": {"We need help"}, "location": {""}, "size": {""}, "q": {""}}
		default:
			rq.form = url.Values{}
		}
	}
	return rq, true
}

// webPatterns are the mux's patterns for method outside the APIs.
func (a *attackEnv) webPatterns(method string) []string {
	var out []string
	for _, p := range a.srv.mux.patterns {
		m, path, _ := strings.Cut(p, " ")
		if m == method && !strings.HasPrefix(path, "/api/") {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		a.t.Fatalf("no %s routes found on the mux", method)
	}
	return out
}

// TestAttackCSRFEveryPost (issue 6 item 6): every state-changing POST of the web
// pages, as registered on the mux, refuses a form without the CSRF token, or with
// it but from another origin: 403, logged, nothing changed in Redis. The one
// exception (csrfExceptions) is documented.
func TestAttackCSRFEveryPost(t *testing.T) {
	t.Parallel()
	a := newAttackEnv(t, Config{})
	for _, pattern := range a.webPatterns("POST") {
		if why, ok := csrfExceptions[pattern]; ok {
			t.Logf("%s: no CSRF token by design (%s)", pattern, why)
			continue
		}
		rq, ok := a.concrete(pattern)
		if !ok {
			t.Errorf("%s: no recipe to attack it; add one to concrete", pattern)
			continue
		}
		for _, variant := range []string{"no token", "wrong token", "foreign origin"} {
			a.log.take()
			before := a.snapshot()
			form := url.Values{}
			for k, v := range rq.form {
				form[k] = v
			}
			origin := ""
			switch variant {
			case "no token":
				form.Set("csrf", "")
			case "wrong token":
				form.Set("csrf", strings.Repeat("x", 43))
			case "foreign origin":
				origin = "https://evil.example"
			}
			resp, body := a.doWith(rq.path, form, origin, "", rq.cookies...)
			a.unchanged(pattern+" "+variant, before)
			if resp.StatusCode != http.StatusForbidden || !(strings.Contains(body, "Nothing was changed") || strings.Contains(body, "Nothing was sent")) {
				t.Errorf("%s (%s): %d, want 403 saying nothing was changed or sent", pattern, variant, resp.StatusCode)
			}
			if !strings.Contains(a.log.take(), "CSRF check failed") {
				t.Errorf("%s (%s): CSRF refusal not logged", pattern, variant)
			}
		}
	}
}

// doWith POSTs form (csrf field as given; the cookie is csrfValue) with an Origin
// and a Host header when not empty.
func (a *attackEnv) doWith(path string, form url.Values, origin, host string, cookies ...*http.Cookie) (*http.Response, string) {
	a.t.Helper()
	method, body := "GET", io.Reader(nil)
	if form != nil {
		method, body = "POST", strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, a.http.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrfValue})
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if host != "" {
		req.Host = host
		req.Header.Set("X-Forwarded-Host", host)
		req.Header.Set("Forwarded", "host="+host+";proto=https")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// TestAttackPageHeaders (issue 6 item 6): every GET route answers with the
// Content-Security-Policy; every HTML page, and every page carrying a token in its
// URL above all, with Referrer-Policy: no-referrer and Cache-Control: no-store.
func TestAttackPageHeaders(t *testing.T) {
	t.Parallel()
	a := newAttackEnv(t, Config{})
	for _, pattern := range a.webPatterns("GET") {
		rq, ok := a.concrete(pattern)
		if !ok {
			t.Errorf("%s: no recipe; add one to concrete", pattern)
			continue
		}
		resp, body := a.do("GET", rq.path, nil, rq.cookies...)
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", pattern, csp)
		}
		html := strings.HasPrefix(h.Get("Content-Type"), "text/html")
		if rq.tokenPage && (resp.StatusCode != http.StatusOK || !html) {
			t.Errorf("%s: token page answered %d %s: %s", pattern, resp.StatusCode, h.Get("Content-Type"), body)
		}
		if (html || rq.tokenPage) && (h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store") {
			t.Errorf("%s: Referrer-Policy %q, Cache-Control %q; want no-referrer, no-store", pattern,
				h.Get("Referrer-Policy"), h.Get("Cache-Control"))
		}
	}
}

// TestAttackHostHeader (issue 6 item 6): a request whose Host (and
// X-Forwarded-Host, Forwarded) names evil.example gets no page, redirect or queued
// email linking there: links come from the configured base URL only.
func TestAttackHostHeader(t *testing.T) {
	t.Parallel()
	a := newAttackEnv(t, Config{})
	const evil = "evil.example"
	check := func(what string, resp *http.Response, body string) {
		t.Helper()
		if strings.Contains(body, evil) {
			t.Errorf("%s: page mentions %s", what, evil)
		}
		for name, vs := range resp.Header {
			for _, v := range vs {
				if strings.Contains(v, evil) {
					t.Errorf("%s: header %s: %q", what, name, v)
				}
			}
		}
	}
	for _, method := range []string{"GET", "POST"} {
		for _, pattern := range a.webPatterns(method) {
			rq, ok := a.concrete(pattern)
			if !ok {
				t.Errorf("%s: no recipe; add one to concrete", pattern)
				continue
			}
			var form url.Values
			if method == "POST" {
				form = url.Values{"csrf": {csrfValue}}
				for k, v := range rq.form {
					form[k] = v
				}
			}
			resp, body := a.doWith(rq.path, form, "", evil, rq.cookies...)
			check(pattern, resp, body)
		}
	}
	for _, typ := range []string{jobs.TypeSignInLink, jobs.TypeAgreementRequest} {
		for _, p := range a.tasks(typ) {
			if bytes.Contains(p, []byte(evil)) {
				t.Errorf("queued %s task mentions %s: %s", typ, evil, p)
			}
		}
	}
}

// script is what an attacker names things: it must reach every page escaped.
const script = `<script>alert("x")</script>`

// TestAttackEscaping (issue 6 item 6): a partner name, customer name, user name,
// invitation message and lead message holding a <script> element are shown
// escaped on every page that shows them.
func TestAttackEscaping(t *testing.T) {
	t.Parallel()
	a := newAttackEnv(t, Config{})
	ctx := a.ctx
	evilPartner, _, err := a.store.CreatePartner(ctx, "Partner "+script, "evil@partner.example")
	if err != nil {
		t.Fatal(err)
	}
	customer, err := a.store.CreateCustomer(ctx, "Customer "+script, "evilcustomer.example",
		partnerships.CustomerUser{Email: "root@evilcustomer.example", Name: "User " + script, Role: partnerships.GlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := a.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: evilPartner.ID, Email: "root@evilcustomer.example",
		Type: partnerships.DelegatedAdmin, Locale: "en", TTL: time.Hour, Message: "Message " + script})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := a.store.CreateInvitation(ctx, partnerships.NewInvitation{PartnerID: evilPartner.ID, Email: "root@evilcustomer.example",
		Type: partnerships.Reseller, Locale: "en", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.store.Accept(ctx, partnerships.AcceptInput{InvitationID: rel.ID, TokenID: rel.TokenID, UserEmail: "root@evilcustomer.example",
		Agreement: partnerships.AgreementRef{Version: "2025-01", Locale: "en", SHA256: strings.Repeat("0", 64)}, IP: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	sess := a.sessionOf("root@evilcustomer.example")
	now := time.Now().UTC().Truncate(time.Second)
	pages := []struct {
		name, path string
		form       url.Values
	}{
		{"invitation", "/invite/" + a.issue(inviteClaims(inv)), nil},
		{"decline", "/invite/" + a.issue(inviteClaims(inv)) + "/decline", nil},
		{"stop reminders", "/reminders/stop/" + a.issue(jobs.StopRemindersClaims(inv)), nil},
		{"agreement link", "/agreement/" + a.issue(tokens.Claims{Purpose: tokens.PurposeAgreement,
			Subject: jobs.AgreementSubject(customer.ID, evilPartner.ID), Recipient: "root@evilcustomer.example", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}), nil},
		{"portal", "/portal", nil},
		{"portal invitations", "/portal/invitations", nil},
		{"partner details", "/portal/partners/" + evilPartner.ID, nil},
		{"remove roles", "/portal/partners/" + evilPartner.ID + "/remove-roles", nil},
		{"portal agreement", "/portal/partners/" + evilPartner.ID + "/agreement", nil},
		{"contact form again (lead message, name)", "/partners/contact", url.Values{"name": {"Name " + script},
			"email": {"not an address"}, "organisation": {"Org " + script}, "message": {"Lead " + script}}},
	}
	escaped := 0
	for _, p := range pages {
		resp, body := a.do(map[bool]string{true: "POST", false: "GET"}[p.form != nil], p.path, p.form, sess)
		if resp.StatusCode >= 500 {
			t.Errorf("%s: %d", p.name, resp.StatusCode)
		}
		if strings.Contains(body, "<script") {
			t.Errorf("%s: a <script> element reached the page:\n%s", p.name, body)
		}
		escaped += strings.Count(body, "&lt;script&gt;")
	}
	if escaped < len(pages) {
		t.Errorf("only %d escaped names over %d pages: the pages do not show the names, the test proves little", escaped, len(pages))
	}
}

// sessionOf starts a portal session of email.
func (a *attackEnv) sessionOf(email string) *http.Cookie {
	a.t.Helper()
	return a.session(email)
}
