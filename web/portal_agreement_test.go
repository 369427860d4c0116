package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

func agreementForm(e *portalEnv) url.Values {
	doc := e.lib.Latest("en")
	return url.Values{"agreement_version": {doc.Version}, "agreement_locale": {doc.Locale}, "agreement_sha256": {doc.SHA256}, "agree": {"yes"}}
}

func TestAgreementRequestAPI(t *testing.T) {
	e := newPortalEnv(t)
	_, otherKey, err := e.store.CreatePartner(e.ctx, "Northwind", "nw@northwind.example")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/customers/" + e.customer.ID + "/agreement-requests"
	before := e.snapshot()
	for _, tc := range []struct {
		name, path, key, body string
		want                  int
	}{
		{"no key", path, "", "", http.StatusUnauthorized},
		{"partner without a relationship", path, otherKey, "", http.StatusNotFound},
		{"unknown customer", "/api/v1/customers/cu_aaaaaaaaaaaaaaaa/agreement-requests", e.apiKey, "", http.StatusNotFound},
		{"bad locale", path, e.apiKey, `{"locale":"fr"}`, http.StatusBadRequest},
		{"unknown field", path, e.apiKey, `{"lang":"de"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := e.api("POST", tc.path, tc.key, tc.body); code != tc.want {
				t.Errorf("status %d, want %d: %v", code, tc.want, body)
			}
		})
	}
	e.unchanged("refused agreement requests", before)

	code, body := e.api("POST", path, e.apiKey, `{"locale":"de"}`)
	if code != http.StatusAccepted || body["recipients"] != float64(2) || body["agreement_version"] != e.lib.Latest("de").Version {
		t.Fatalf("request: %d %v", code, body)
	}
	queued := e.tasks(jobs.TypeAgreementRequest)
	var to []string
	for _, raw := range queued {
		var p jobs.AgreementRequestPayload
		_ = json.Unmarshal(raw, &p)
		if p.PartnerID != e.partner.ID || p.CustomerID != e.customer.ID || p.Locale != "de" {
			t.Errorf("payload %+v", p)
		}
		to = append(to, p.Email)
	}
	if strings.Join(to, " ") != envAdmin+" "+envBilling && strings.Join(to, " ") != envBilling+" "+envAdmin {
		t.Errorf("emailed %v, want the global and the billing admin", to)
	}
	events, _ := e.store.PartnerHistory(e.ctx, e.customer.ID, e.partner.ID, 10)
	if events[0].Action != partnerships.ActionAgreementRequested {
		t.Errorf("newest event %+v", events[0])
	}
}

// agreementLink is the emailed link's path for recipient.
func (e *portalEnv) agreementLink(recipient, partnerID string) string {
	e.t.Helper()
	tok, _, err := e.ring.Issue(tokens.Claims{Purpose: tokens.PurposeAgreement, Subject: jobs.AgreementSubject(e.customer.ID, partnerID),
		Recipient: recipient, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	return "/agreement/" + tok
}

func TestAgreementByLink(t *testing.T) {
	e := newPortalEnv(t)
	link := e.agreementLink(envBilling, e.partner.ID)

	before := e.snapshot()
	resp, page := e.do("GET", link, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d\n%s", resp.StatusCode, page)
	}
	mustContain(t, "agreement page", page, "Accept the customer agreement", `id="agreement-text"`, `name="agree"`, `id="accept"`, "Delegated administrator")

	noBox := agreementForm(e)
	noBox.Del("agree")
	stale := agreementForm(e)
	stale.Set("agreement_sha256", strings.Repeat("1", 64))
	forged := agreementForm(e)
	forged.Set("csrf", "forged")
	for _, tc := range []struct {
		name string
		link string
		form url.Values
		want int
		says string
	}{
		{"box not ticked", link, noBox, http.StatusUnprocessableEntity, "Tick the box"},
		{"stale agreement", link, stale, http.StatusConflict, "has changed"},
		{"no CSRF", link, forged, http.StatusForbidden, "Nothing was changed"},
		{"helpdesk admin", e.agreementLink(envHelpdesk, e.partner.ID), agreementForm(e), http.StatusForbidden, "Only a global administrator"},
		{"no relationship", e.agreementLink(envAdmin, "pa_aaaaaaaaaaaaaaaa"), agreementForm(e), http.StatusNotFound, "no relationship"},
		{"bad token", "/agreement/x.y", agreementForm(e), http.StatusBadRequest, "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, page := e.do("POST", tc.link, tc.form)
			if resp.StatusCode != tc.want || !strings.Contains(page, tc.says) {
				t.Errorf("status %d, want %d saying %q\n%s", resp.StatusCode, tc.want, tc.says, page)
			}
		})
	}
	e.unchanged("GET and refused POSTs", before)

	resp, _ = e.do("POST", link, agreementForm(e))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal?done=agreement-signed" {
		t.Fatalf("accept: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.HttpOnly && c.SameSite == http.SameSiteLaxMode {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session started after accepting")
	}
	resp, page = e.do("GET", "/portal?done=agreement-signed", nil, cookie)
	mustContain(t, "partner list", page, "You accepted the customer agreement", "Signed (version "+e.lib.Latest("en").Version+") by "+envBilling)

	rel, _ := e.store.Relationship(e.ctx, e.customer.ID, e.partner.ID)
	acc, err := e.store.Acceptance(e.ctx, e.customer.ID, rel.AcceptanceID)
	doc := e.lib.Latest("en")
	if err != nil || acc.AgreementVersion != doc.Version || acc.AgreementSHA256 != doc.SHA256 || acc.UserEmail != envBilling ||
		acc.UserRole != partnerships.BillingAdmin || acc.IP != "127.0.0.1" || acc.UserAgent != "portal-test/1.0" || acc.InvitationID != "" {
		t.Errorf("acceptance = %+v, %v", acc, err)
	}
	var ev jobs.Event
	notes := e.tasks(jobs.TypeNotify)
	if len(notes) != 1 {
		t.Fatalf("%d notifications, want 1", len(notes))
	}
	_ = json.Unmarshal(notes[0], &ev)
	if ev.Kind != jobs.EventAgreementSigned || ev.AcceptanceID != acc.ID || ev.PartnerID != e.partner.ID {
		t.Errorf("event = %+v", ev)
	}

	// Signed now: the page says so, a second POST and the API refuse, nothing changes.
	before = e.snapshot()
	if resp, page := e.do("GET", link, nil); resp.StatusCode != http.StatusConflict || !strings.Contains(page, "already signed") {
		t.Errorf("GET after signing: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := e.do("POST", link, agreementForm(e)); resp.StatusCode != http.StatusConflict {
		t.Errorf("second POST: %d, want 409", resp.StatusCode)
	}
	if code, body := e.api("POST", "/api/v1/customers/"+e.customer.ID+"/agreement-requests", e.apiKey, ""); code != http.StatusConflict {
		t.Errorf("API after signing: %d %v", code, body)
	}
	e.unchanged("refusals after signing", before)
}

func TestAgreementInPortal(t *testing.T) {
	e := newPortalEnv(t)
	path := "/portal/partners/" + e.partner.ID + "/agreement"
	admin := e.session(envAdmin)
	before := e.snapshot()
	if resp, _ := e.do("POST", path, url.Values{"csrf": {""}, "agree": {"yes"}}, admin); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: %d, want 403", resp.StatusCode)
	}
	noBox := agreementForm(e)
	noBox.Del("agree")
	if resp, _ := e.do("POST", path, noBox, admin); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("box not ticked: %d, want 422", resp.StatusCode)
	}
	e.unchanged("refused portal POSTs", before)
	resp, _ := e.do("POST", path, agreementForm(e), admin)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/portal?done=agreement-signed" {
		t.Fatalf("accept: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := e.do("GET", "/portal/partners/"+e.partner.ID, nil, admin)
	mustContain(t, "details", page, "Signed (version "+e.lib.Latest("en").Version+") by "+envAdmin)
	if strings.Contains(page, `id="sign-agreement"`) {
		t.Error("details still offer to sign the current agreement")
	}
}
