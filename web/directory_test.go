package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
	"github.com/partnerlink/partnerlink/web"
)

// TestDirectorySearch: GET /partners shows the listed partners that match the
// search, escaped, and changes nothing.
func TestDirectorySearch(t *testing.T) {
	e := newDirEnv(t, web.Config{})
	e.listed("Contoso <b>Cloud</b>", "a@contoso.example", "Berlin, Germany", []string{"1-10", "11-50"}, []string{"azure", "security"})
	e.listed("Northwind IT", "b@northwind.example", "Munich, Germany", []string{"251-1000"}, []string{"education", "azure"})
	e.listed("Tailspin", "c@tailspin.example", "London, UK", []string{"1000+"}, []string{"sap"})
	if _, _, err := e.store.CreatePartner(context.Background(), "Hidden Ltd", "d@hidden.example"); err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"Contoso &lt;b&gt;Cloud&lt;/b&gt;", "Northwind IT", "Tailspin"}},
		{"location=germany", []string{"Contoso &lt;b&gt;Cloud&lt;/b&gt;", "Northwind IT"}},
		{"size=251-1000", []string{"Northwind IT"}},
		{"q=azure+security", []string{"Contoso &lt;b&gt;Cloud&lt;/b&gt;"}},
		{"q=AZURE&location=munich", []string{"Northwind IT"}},
		{"q=<script>", nil},
	}
	all := []string{"Contoso", "Northwind IT", "Tailspin", "Hidden Ltd"}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			b := newBrowser(t)
			resp, page := b.get(e.http.URL + "/partners?" + tt.query)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("no CSP")
			}
			if strings.Contains(page, "<script>") || strings.Contains(page, "<b>Cloud") || strings.Contains(page, "style=") {
				t.Errorf("page has unescaped input or inline style")
			}
			for _, name := range all {
				shown := strings.Contains(page, name)
				want := slices.ContainsFunc(tt.want, func(w string) bool { return strings.HasPrefix(w, name) })
				if shown != want {
					t.Errorf("%q shown = %v, want %v", name, shown, want)
				}
			}
		})
	}
	b := newBrowser(t)
	b.c.Jar = nil
	req, _ := http.NewRequest("GET", e.http.URL+"/partners", nil)
	req.Header.Set("Accept-Language", "de-DE")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("German page: %v", err)
	}
	resp.Body.Close()
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		t.Errorf("searching changed Redis:\n%s", diff)
	}
}

var leadIDRE = regexp.MustCompile(`ld_[a-z2-7]{16}`)

// TestDirectoryContact: the customer ticks two partners and sends the form; each
// partner gets the lead by email with a ready command, and inviting with its
// lead_id records the lead in the audit trail.
func TestDirectoryContact(t *testing.T) {
	e := newDirEnv(t, web.Config{})
	ctx := context.Background()
	p1 := e.listed("Contoso", "sales@contoso.example", "Berlin", []string{"11-50"}, []string{"azure"})
	p2 := e.listed("Northwind", "sales@northwind.example", "Munich", []string{"11-50"}, []string{"azure"})
	p3 := e.listed("Tailspin", "sales@tailspin.example", "London", []string{"1000+"}, nil)
	cust, err := e.store.CreateCustomer(ctx, "Fabrikam", "fabrikam.example",
		partnerships.CustomerUser{Email: "ada@fabrikam.example", Role: partnerships.GlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	_, page := b.get(e.http.URL + "/partners?size=11-50")
	resp, body := b.post(e.http.URL+"/partners/contact", url.Values{
		"csrf": {csrfOf(t, page)}, "partner": {p1.ID, p2.ID}, "name": {"Ada <Admin>"}, "email": {"ada@fabrikam.example"},
		"organisation": {"Fabrikam"}, "message": {"We need a reseller\nfor 40 seats."},
	})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "sent to 2 partner") {
		t.Fatalf("contact: %d\n%s", resp.StatusCode, body)
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msgs, err := e.sink.Wait(ctx2, 2)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	leadID := ""
	for _, m := range msgs {
		to = append(to, m.To...)
		leadID = leadIDRE.FindString(m.Text)
		for _, want := range []string{"ada@fabrikam.example", "Ada <Admin>", "We need a reseller", `"lead_id":"` + leadID + `"`, e.http.URL + "/api/v1/invitations"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("lead email to %v lacks %q:\n%s", m.To, want, m.Text)
			}
		}
		if m.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("lead email not marked auto-generated")
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"sales@contoso.example", "sales@northwind.example"}) {
		t.Errorf("lead went to %v", to)
	}
	lead, err := e.store.Lead(ctx, leadID)
	if err != nil || lead.Email != "ada@fabrikam.example" {
		t.Fatalf("Lead(%s) = %+v, %v", leadID, lead, err)
	}

	// The partner invites from the lead; another partner cannot use it.
	key1, _ := e.store.AddAPIKey(ctx, p1.ID)
	key3, _ := e.store.AddAPIKey(ctx, p3.ID)
	inviteBody := map[string]any{"customer_email": "ada@fabrikam.example", "relationship_type": "reseller", "lead_id": leadID}
	if code, got := e.api("POST", "/api/v1/invitations", key3, inviteBody); code != http.StatusUnprocessableEntity || got["fields"] == nil {
		t.Errorf("a partner the lead was not sent to: %d %v", code, got)
	}
	if code, got := e.api("POST", "/api/v1/invitations", key1, map[string]any{"customer_email": "ada@fabrikam.example", "relationship_type": "reseller", "lead_id": "nope"}); code != http.StatusBadRequest {
		t.Errorf("malformed lead_id: %d %v", code, got)
	}
	code, got := e.api("POST", "/api/v1/invitations", key1, inviteBody)
	if code != http.StatusCreated {
		t.Fatalf("invite with lead_id: %d %v", code, got)
	}
	events, err := e.store.Audit(ctx, cust.ID, 10)
	if err != nil || len(events) == 0 || !strings.Contains(events[len(events)-1].Detail, "lead="+leadID) {
		t.Errorf("audit = %+v, %v; want the creation's detail to name the lead", events, err)
	}
}

// TestDirectoryContactRefusals: refused forms change nothing and queue nothing.
func TestDirectoryContactRefusals(t *testing.T) {
	e := newDirEnv(t, web.Config{ContactLimit: ratelimit.Limit{Rate: 1, Per: time.Hour, Burst: 5}})
	p := e.listed("Contoso", "sales@contoso.example", "Berlin", nil, nil)
	q, _, _ := e.store.CreatePartner(context.Background(), "Unlisted", "u@unlisted.example")
	b := newBrowser(t)
	_, page := b.get(e.http.URL + "/partners")
	csrf := csrfOf(t, page)
	valid := url.Values{"csrf": {csrf}, "partner": {p.ID}, "name": {"Ada"}, "email": {"ada@fabrikam.example"},
		"organisation": {"Fabrikam"}, "message": {"Help"}}
	with := func(k string, v ...string) url.Values {
		f := url.Values{}
		for key, vals := range valid {
			f[key] = vals
		}
		if v == nil {
			f.Del(k)
		} else {
			f[k] = v
		}
		return f
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"no partner selected", with("partner"), http.StatusUnprocessableEntity, "Tick at least one partner"},
		{"bad email", with("email", "ada at fabrikam"), http.StatusUnprocessableEntity, "Enter one email address"},
		{"unlisted partner", with("partner", p.ID, q.ID), http.StatusUnprocessableEntity, "no longer in the directory"},
		{"forged csrf", with("csrf", "forged"), http.StatusForbidden, "Nothing was sent"},
		{"no message", with("message", " "), http.StatusUnprocessableEntity, "Describe what you need"},
	}
	before := e.snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := b.post(e.http.URL+"/partners/contact", tt.form)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("status %d, want %d with %q:\n%s", resp.StatusCode, tt.status, tt.want, body)
			}
			if tt.status == http.StatusUnprocessableEntity && !strings.Contains(body, `value="Fabrikam"`) {
				t.Errorf("the refused form does not keep what was typed")
			}
		})
	}
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		t.Errorf("refusals changed Redis:\n%s", diff)
	}
	// The burst of 5 per client address is spent by the 4 refusals that reached
	// the limiter and one more request; the next one is refused before anything.
	if resp, _ := b.post(e.http.URL+"/partners/contact", valid); resp.StatusCode != http.StatusOK {
		t.Fatalf("a valid request within the limit: %d", resp.StatusCode)
	}
	afterOne := e.snapshot()
	resp, body := b.post(e.http.URL+"/partners/contact", valid)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("over the limit: %d\n%s", resp.StatusCode, body)
	}
	if diff := cmp.Diff(afterOne, e.snapshot()); diff != "" {
		t.Errorf("a rate-limited request changed Redis:\n%s", diff)
	}
}

// TestDirectoryContactBurstOfOne: with a burst of 1 the second request of the same
// sender from the same address is refused (httptest clients share one address, so
// this does not tell the per-sender limit from the per-address one).
func TestDirectoryContactBurstOfOne(t *testing.T) {
	e := newDirEnv(t, web.Config{ContactLimit: ratelimit.Limit{Rate: 1, Per: time.Hour, Burst: 1}})
	p := e.listed("Contoso", "sales@contoso.example", "Berlin", nil, nil)
	b := newBrowser(t)
	_, page := b.get(e.http.URL + "/partners")
	form := url.Values{"csrf": {csrfOf(t, page)}, "partner": {p.ID}, "name": {"Ada"}, "email": {"ada@fabrikam.example"},
		"organisation": {"Fabrikam"}, "message": {"Help"}}
	if resp, body := b.post(e.http.URL+"/partners/contact", form); resp.StatusCode != http.StatusOK {
		t.Fatalf("first: %d\n%s", resp.StatusCode, body)
	}
	before := e.snapshot()
	if resp, _ := b.post(e.http.URL+"/partners/contact", form); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("second from the same sender and address: %d", resp.StatusCode)
	}
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		t.Errorf("a rate-limited request changed Redis:\n%s", diff)
	}
}
