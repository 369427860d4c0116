package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
	"github.com/partnerlink/partnerlink/tokens"
)

func TestPortalNeedsSession(t *testing.T) {
	e := newPortalEnv(t)
	pid := e.partner.ID
	for _, tc := range []struct {
		method, path string
		cookie       *http.Cookie
	}{
		{"GET", "/portal", nil},
		{"GET", "/portal", &http.Cookie{Name: sessionCookie, Value: strings.Repeat("x", 43)}},
		{"GET", "/portal/invitations", nil},
		{"GET", "/portal/partners/" + pid, nil},
		{"GET", "/portal/partners/" + pid + "/remove-roles", nil},
		{"POST", "/portal/partners/" + pid + "/remove-roles", nil},
		{"POST", "/portal/partners/" + pid + "/agreement", nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			before := e.snapshot()
			var form url.Values
			if tc.method == "POST" {
				form = url.Values{}
			}
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			resp, _ := e.do(tc.method, tc.path, form, cookies...)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/signin" {
				t.Errorf("status %d, Location %q; want 303 to /portal/signin", resp.StatusCode, resp.Header.Get("Location"))
			}
			e.unchanged(tc.method+" without a session", before)
		})
	}
}

func TestSignIn(t *testing.T) {
	e := newPortalEnv(t)
	resp, page := e.do("GET", "/portal/signin", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /portal/signin: %d", resp.StatusCode)
	}
	mustContain(t, "sign-in page", page, `name="email"`, `name="csrf"`)

	// Without the CSRF token: refused, no email queued.
	if resp, _ := e.do("POST", "/portal/signin", url.Values{"email": {envAdmin}, "csrf": {""}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d, want 403", resp.StatusCode)
	}
	// Every address gets the same answer; only admins get a link.
	for _, email := range []string{envHelpdesk, "nobody@fabrikam.example", "Ada@Fabrikam.example"} {
		resp, page := e.do("POST", "/portal/signin", url.Values{"email": {email}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "if this address belongs to an administrator, a link is on its way") &&
			!strings.Contains(page, "If this address belongs to an administrator, a link is on its way") {
			t.Errorf("POST %s: %d\n%s", email, resp.StatusCode, page)
		}
	}
	if resp, _ := e.do("POST", "/portal/signin", url.Values{"email": {"no-at-sign"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("POST with a malformed address: %d, want 422", resp.StatusCode)
	}
	queued := e.tasks(jobs.TypeSignInLink)
	if len(queued) != 1 {
		t.Fatalf("%d sign-in links queued, want 1 (the admin's)", len(queued))
	}
	var p jobs.SignInLinkPayload
	if err := json.Unmarshal(queued[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.Email != envAdmin || p.CustomerID != e.customer.ID || p.Token.ExpiresAt.Sub(p.Token.IssuedAt) != SignInTTL {
		t.Errorf("payload = %+v", p)
	}
	token, _, err := e.ring.Issue(tokens.Claims{ID: p.Token.ID, Purpose: tokens.PurposeSignIn, Subject: p.Email, Recipient: p.Email,
		IssuedAt: p.Token.IssuedAt, ExpiresAt: p.Token.ExpiresAt})
	if err != nil {
		t.Fatal(err)
	}

	// GET shows a button and changes nothing.
	before := e.snapshot()
	resp, page = e.do("GET", "/signin/"+token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET link: %d", resp.StatusCode)
	}
	mustContain(t, "confirm page", page, envAdmin, `id="signin"`)
	if resp, _ := e.do("POST", "/signin/"+token, url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST link without CSRF: %d, want 403", resp.StatusCode)
	}
	e.unchanged("GET and a forged POST of the link", before)

	resp, _ = e.do("POST", "/signin/"+token, url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal" {
		t.Fatalf("POST link: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || cookie.Path != "/" {
		t.Fatalf("session cookie = %+v; want HttpOnly, SameSite=Lax, not Secure on http", cookie)
	}
	if resp, page := e.do("GET", "/portal", nil, cookie); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Contoso &lt;b&gt;Partners&lt;/b&gt;") {
		t.Errorf("GET /portal with the session: %d\n%s", resp.StatusCode, page)
	}

	// The link works once.
	before = e.snapshot()
	if resp, page := e.do("POST", "/signin/"+token, url.Values{}); resp.StatusCode != http.StatusGone || !strings.Contains(page, "already used") {
		t.Errorf("second POST of the link: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := e.do("GET", "/signin/"+token, nil); resp.StatusCode != http.StatusGone {
		t.Errorf("GET of a used link: %d, want 410", resp.StatusCode)
	}
	e.unchanged("a used link", before)

	// Other tokens: refused.
	invTok, _, _ := e.ring.Issue(tokens.Claims{Purpose: tokens.PurposeInvite, Subject: envAdmin, Recipient: envAdmin, ExpiresAt: time.Now().Add(time.Hour)})
	oldTok, _, _ := e.ring.Issue(tokens.Claims{Purpose: tokens.PurposeSignIn, Subject: envAdmin, Recipient: envAdmin,
		IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(-time.Minute)})
	for name, tc := range map[string]struct {
		token string
		want  int
	}{"invitation token": {invTok, http.StatusBadRequest}, "expired": {oldTok, http.StatusGone}, "garbage": {"x.y", http.StatusBadRequest}} {
		if resp, _ := e.do("POST", "/signin/"+tc.token, url.Values{}); resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, tc.want)
		}
	}

	// Signing out ends the session.
	if resp, _ := e.do("POST", "/portal/signout", url.Values{}, cookie); resp.StatusCode != http.StatusOK {
		t.Errorf("sign out: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "/portal", nil, cookie); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /portal after signing out: %d, want 303", resp.StatusCode)
	}
}

// The session cookie is Secure when partnerlink is served over https.
func TestSessionCookieSecureOnHTTPS(t *testing.T) {
	for _, tc := range []struct {
		base   string
		secure bool
		path   string
	}{{"https://partnerlink.example/pl", true, "/pl"}, {"http://127.0.0.1:8080", false, "/"}} {
		lb, err := links.New(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Deps: Deps{Links: lb}}
		rec := httptest.NewRecorder()
		s.setSession(rec, partnerships.Session{ID: strings.Repeat("a", 43)})
		c := rec.Result().Cookies()[0]
		if c.Name != "pl_session" || c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != tc.path || c.MaxAge != 8*3600 {
			t.Errorf("%s: cookie %+v", tc.base, c)
		}
	}
}

func TestPortalPages(t *testing.T) {
	e := newPortalEnv(t)
	cookie := e.session(envBilling)
	pid := e.partner.ID
	if _, err := e.store.CreateInvitation(e.ctx, partnerships.NewInvitation{PartnerID: pid, Email: envBilling, Type: partnerships.Advisor, Locale: "de", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	for _, tc := range []struct {
		path string
		want int
		has  []string
	}{
		{"/portal", http.StatusOK, []string{"Partner relationships", `href="/portal/partners/` + pid + `"`, "Contoso &lt;b&gt;Partners&lt;/b&gt;",
			"Fabrikam &amp; Co", "Signed (version 2025-01)", `href="/portal/partners/` + pid + `/agreement"`, "Global administrator", `id="signout"`}},
		{"/portal/partners/" + pid, http.StatusOK, []string{"partners@contoso.example", "Delegated administrator", "Helpdesk administrator",
			envAdmin, "Invitation accepted", "Customer agreement signed", "Invitation created</td><td>Contoso &lt;b&gt;Partners&lt;/b&gt;", `href="/portal/partners/` + pid + `/remove-roles"`, "Roles granted",
			// The history's details are labelled, not the store's key=value text.
			`<span class="hint">Type:</span> Delegated administrator`, `<span class="hint">Agreement version:</span> 2025-01`}},
		{"/portal/partners/pa_aaaaaaaaaaaaaaaa", http.StatusNotFound, []string{"No such partner"}},
		{"/portal/partners/" + pid + "/remove-roles", http.StatusOK, []string{"Remove roles?", `id="remove-yes"`, `id="remove-no"`, "Global administrator"}},
		{"/portal/partners/" + pid + "/agreement", http.StatusOK, []string{"Accept the customer agreement", `name="agree"`, `name="agreement_sha256"`}},
		{"/portal/invitations", http.StatusOK, []string{"Open invitations", envBilling, "/decline\"", "Advisor"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, page := e.do("GET", tc.path, nil, cookie)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.want, page)
			}
			mustContain(t, tc.path, page, tc.has...)
			if strings.Contains(page, "<script") || strings.Contains(page, "style=") || strings.Contains(page, "<b>Partners") {
				t.Errorf("%s has inline script or style, or unescaped markup", tc.path)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP = %q", csp)
			}
		})
	}
	e.unchanged("portal GETs", before)

	// The cancel link of the open invitation leads to the existing confirmation.
	_, page := e.do("GET", "/portal/invitations", nil, cookie)
	i := strings.Index(page, `class="cancel-link"`)
	start := strings.LastIndex(page[:i], `href="`) + len(`href="`)
	cancel := page[start : start+strings.Index(page[start:], `"`)]
	if resp, page := e.do("GET", cancel, nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="decline-yes"`) {
		t.Errorf("cancel link %s: %d\n%s", cancel, resp.StatusCode, page)
	}
}

func TestRemoveRolesPage(t *testing.T) {
	e := newPortalEnv(t)
	pid := e.partner.ID
	path := "/portal/partners/" + pid + "/remove-roles"
	admin := e.session(envAdmin)
	billing := e.session(envBilling)

	before := e.snapshot()
	if resp, _ := e.do("POST", path, url.Values{"csrf": {""}}, admin); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.do("POST", "/portal/partners/pa_aaaaaaaaaaaaaaaa/remove-roles", url.Values{}, admin); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown partner: %d, want 404", resp.StatusCode)
	}
	// The billing admin is made a plain user after signing in: the POST re-reads the role.
	demoted, _ := json.Marshal(partnerships.CustomerUser{CustomerID: e.customer.ID, Email: envBilling, Role: partnerships.User})
	usersKey := "pl:{" + e.customer.ID + "}:users"
	if err := e.rdb.HSet(e.ctx, usersKey, envBilling, demoted).Err(); err != nil {
		t.Fatal(err)
	}
	before = e.snapshot()
	if resp, page := e.do("POST", path, url.Values{}, billing); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Only a global administrator or billing administrator") {
		t.Errorf("demoted admin: %d\n%s", resp.StatusCode, page)
	}
	delete(before, sessionKeyOf(t, e, billing)) // the refused session was ended: the one change
	e.unchanged("a demoted admin's POST", before)
	if rel, _ := e.store.Relationship(e.ctx, e.customer.ID, pid); len(rel.Roles) != 2 {
		t.Errorf("roles after refusals = %v", rel.Roles)
	}

	resp, _ := e.do("POST", path, url.Values{}, admin)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal/partners/"+pid+"?done=roles-removed" {
		t.Fatalf("remove roles: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	rel, err := e.store.Relationship(e.ctx, e.customer.ID, pid)
	if err != nil || len(rel.Roles) != 0 || len(rel.Types) != 1 {
		t.Errorf("relationship after = %+v, %v; want types kept, no roles", rel, err)
	}
	_, page := e.do("GET", resp.Header.Get("Location"), nil, admin)
	mustContain(t, "details after", page, "admin roles were removed", "Roles removed",
		`<span class="hint">Roles:</span> Global administrator, Helpdesk administrator`)
	notes := e.tasks(jobs.TypeNotify)
	if len(notes) != 1 {
		t.Fatalf("%d notifications queued, want 1", len(notes))
	}
	var ev jobs.Event
	_ = json.Unmarshal(notes[0], &ev)
	if ev.Kind != jobs.EventRolesRemoved || ev.PartnerID != pid || ev.CustomerID != e.customer.ID || ev.Actor != envAdmin || ev.Detail != "global_admin,helpdesk_admin" {
		t.Errorf("event = %+v", ev)
	}

	// Again: nothing to remove; nothing changes.
	before = e.snapshot()
	if resp, _ := e.do("POST", path, url.Values{}, admin); resp.StatusCode != http.StatusConflict {
		t.Errorf("second removal: %d, want 409", resp.StatusCode)
	}
	if resp, _ := e.do("GET", path, nil, admin); resp.StatusCode != http.StatusConflict {
		t.Errorf("confirmation without roles: %d, want 409", resp.StatusCode)
	}
	e.unchanged("a second removal", before)
}

// sessionKeyOf is the Redis key of a session cookie's session.
func sessionKeyOf(t *testing.T, e *portalEnv, c *http.Cookie) string {
	t.Helper()
	return "pl:{portal}:session:" + sha256Hex(c.Value)
}

// Sign-in requests take from the per-address link limit: past it, a 429 and no
// email. Within the limit an admin still gets one email a minute.
func TestSignInRateLimited(t *testing.T) {
	e := newPortalEnvWith(t, Config{LinkLimit: ratelimit.Limit{Rate: 2, Per: time.Hour, Burst: 2}})
	startMinute := time.Now().Unix() / 60
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		resp, _ := e.do("POST", "/portal/signin", url.Values{"email": {envAdmin}})
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	want := 1 + int(time.Now().Unix()/60-startMinute) // a second one if a minute began meanwhile
	if n := len(e.tasks(jobs.TypeSignInLink)); n != want {
		t.Errorf("%d sign-in emails queued, want %d", n, want)
	}
}
