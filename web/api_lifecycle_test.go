package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/jobs"
)

func TestAPIInviteAlreadyRelated(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	first := e.invite("delegated_admin")
	e.accept(first)

	code, body, _ := e.call("POST", "/api/v1/invitations", e.key, `{"customer_email":"`+envAdmin+`","relationship_type":"delegated_admin"}`)
	rel, _ := body["relationship"].(map[string]any)
	if code != http.StatusConflict || rel["customer_id"] != e.customer.ID || rel["partner_id"] != e.partner.ID ||
		rel["since"] == nil || !strings.Contains(body["error"].(string), "already has a delegated_admin relationship") {
		t.Errorf("same type again: %d %v; want 409 naming the relationship", code, body)
	}
	if types, _ := rel["types"].([]any); len(types) != 1 || types[0] != "delegated_admin" {
		t.Errorf("relationship types = %v", rel["types"])
	}
	// A new type for the same partner is a plain invitation.
	if code, body, _ := e.call("POST", "/api/v1/invitations", e.key, `{"customer_email":"`+envAdmin+`","relationship_type":"mpsa"}`); code != http.StatusCreated {
		t.Errorf("new type: %d %v; want 201", code, body)
	}
	// Another partner is not related to the customer at all.
	if code, body, _ := e.call("POST", "/api/v1/invitations", e.otherKey, `{"customer_email":"`+envAdmin+`","relationship_type":"delegated_admin"}`); code != http.StatusCreated {
		t.Errorf("other partner: %d %v; want 201", code, body)
	}
}

func TestAPIInviteUnknownRecipient(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	code, body, _ := e.call("POST", "/api/v1/invitations", e.key, `{"customer_email":"nobody@nowhere.example","relationship_type":"reseller"}`)
	fields, _ := body["fields"].(map[string]any)
	msg, _ := fields["customer_email"].(string)
	if code != http.StatusUnprocessableEntity || !strings.Contains(msg, "registered by the partnerlink operator") {
		t.Errorf("unknown recipient: %d %v; want 422 naming customer_email and the operator", code, body)
	}
}

func TestAPIRevoke(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	id := e.invite("reseller")
	link := e.link(id)
	tests := []struct {
		name, key, body string
		want            int
		wantStatus      string
	}{
		{"unknown field", e.key, `{"reason":"x"}`, http.StatusBadRequest, ""},
		{"other partner", e.otherKey, "", http.StatusNotFound, ""},
		{"revoke", e.key, "", http.StatusOK, "revoked"},
		{"again", e.key, "{}", http.StatusConflict, ""},
	}
	for _, tt := range tests {
		code, body, _ := e.call("POST", "/api/v1/invitations/"+id+"/revoke", tt.key, tt.body)
		if code != tt.want || (tt.wantStatus != "" && body["status"] != tt.wantStatus) {
			t.Errorf("%s: %d %v; want %d", tt.name, code, body, tt.want)
		}
		if tt.name == "unknown field" {
			if f, _ := body["fields"].(map[string]any); f["reason"] != "unknown field" {
				t.Errorf("unknown field: fields = %v", body["fields"])
			}
		}
	}
	code, page := e.page(link)
	if code != http.StatusGone || !strings.Contains(page, "The partner withdrew this invitation") {
		t.Errorf("revoked link page: %d, want 410 saying the partner withdrew it:\n%s", code, page)
	}
	evs, _ := e.store.Audit(e.ctx, e.customer.ID, 1)
	if len(evs) != 1 || evs[0].Action != "invitation.revoked" || evs[0].IP != "127.0.0.1" || evs[0].UserAgent != "api-test/1" {
		t.Errorf("audit = %+v", evs)
	}
}

func TestAPIResend(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	id := e.invite("advisor")
	oldLink := e.link(id)

	// Open: the same invitation again, queued as send 2.
	e.clock.Advance(24 * time.Hour)
	code, body, _ := e.call("POST", "/api/v1/invitations/"+id+"/resend", e.key, "")
	if code != http.StatusOK || body["id"] != id || body["sends"] != 2.0 || body["status"] != "pending" {
		t.Fatalf("resend open: %d %v", code, body)
	}
	if want := e.clock.Now().Add(14 * 24 * time.Hour).Format(time.RFC3339); body["expires_at"] != want {
		t.Errorf("expires_at = %v, want %s", body["expires_at"], want)
	}
	if !e.queued("send:" + id + ":2") {
		t.Errorf("send:%s:2 not queued", id)
	}
	if code, _ := e.page(oldLink); code != http.StatusOK {
		t.Errorf("the first link after a resend: %d, want 200", code)
	}

	// Another partner cannot resend it.
	if code, body, _ := e.call("POST", "/api/v1/invitations/"+id+"/resend", e.otherKey, ""); code != http.StatusNotFound {
		t.Errorf("other partner: %d %v", code, body)
	}

	// Expired: a new invitation replaces it.
	e.clock.Advance(15 * 24 * time.Hour)
	code, body, hdr := e.call("POST", "/api/v1/invitations/"+id+"/resend", e.key, "")
	newID, _ := body["id"].(string)
	if code != http.StatusCreated || newID == id || body["replaces"] != id || hdr.Get("Location") != "/api/v1/invitations/"+newID {
		t.Fatalf("resend expired: %d %v %v", code, body, hdr)
	}
	if !e.queued("send:" + newID) {
		t.Errorf("send:%s not queued", newID)
	}
	if _, old, _ := e.call("GET", "/api/v1/invitations/"+id, e.key, ""); old["replaced_by"] != newID || old["status"] != "expired" {
		t.Errorf("old invitation = %v", old)
	}
	if code, page := e.page(oldLink); code != http.StatusGone || !strings.Contains(page, "A newer invitation was sent") {
		t.Errorf("old link page: %d, want 410 saying a newer invitation was sent:\n%s", code, page)
	}
	if code, _ := e.page(e.link(newID)); code != http.StatusOK {
		t.Errorf("new link page: %d, want 200", code)
	}
	// Resending the replaced one again points at the newer one.
	code, body, _ = e.call("POST", "/api/v1/invitations/"+id+"/resend", e.key, "")
	if msg, _ := body["error"].(string); code != http.StatusConflict || !strings.Contains(msg, newID) {
		t.Errorf("resend replaced: %d %v", code, body)
	}
	if code, body, _ := e.call("POST", "/api/v1/invitations/"+id+"/resend", e.key, `{"ttl":1}`); code != http.StatusBadRequest {
		t.Errorf("resend with a body: %d %v", code, body)
	}
}

func TestAPIListInvitations(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	var ids []string
	for _, typ := range []string{"reseller", "advisor", "mpsa"} {
		ids = append(ids, e.invite(typ))
		e.clock.Advance(time.Second)
	}
	if code, body, _ := e.call("POST", "/api/v1/invitations/"+ids[1]+"/revoke", e.key, ""); code != http.StatusOK {
		t.Fatalf("revoke: %d %v", code, body)
	}
	if code, body, _ := e.call("POST", "/api/v1/invitations", e.otherKey, `{"customer_email":"`+envAdmin+`","relationship_type":"reseller"}`); code != http.StatusCreated {
		t.Fatalf("other partner's invitation: %d %v", code, body)
	}
	listIDs := func(body map[string]any) []string {
		var out []string
		list, _ := body["invitations"].([]any)
		for _, x := range list {
			out = append(out, x.(map[string]any)["id"].(string))
		}
		return out
	}
	tests := []struct {
		name, query string
		want        int
		ids         []string
		fields      []string
	}{
		{"all", "", http.StatusOK, []string{ids[2], ids[1], ids[0]}, nil},
		{"revoked", "?status=revoked", http.StatusOK, []string{ids[1]}, nil},
		{"pending", "?status=pending&limit=1", http.StatusOK, []string{ids[2]}, nil},
		{"bad status", "?status=lost", http.StatusBadRequest, nil, []string{"status"}},
		{"bad limit", "?limit=abc", http.StatusBadRequest, nil, []string{"limit"}},
		{"limit too big", "?limit=201", http.StatusBadRequest, nil, []string{"limit"}},
		{"unknown parameter", "?sort=asc", http.StatusBadRequest, nil, []string{"sort"}},
		{"bad cursor", "?cursor=zzz", http.StatusBadRequest, nil, []string{"cursor"}},
	}
	for _, tt := range tests {
		code, body, _ := e.call("GET", "/api/v1/invitations"+tt.query, e.key, "")
		if code != tt.want || strings.Join(listIDs(body), ",") != strings.Join(tt.ids, ",") {
			t.Errorf("%s: %d %v; want %d %v", tt.name, code, body, tt.want, tt.ids)
		}
		fields, _ := body["fields"].(map[string]any)
		for _, f := range tt.fields {
			if fields[f] == nil {
				t.Errorf("%s: fields %v lack %s", tt.name, fields, f)
			}
		}
	}
	// Paging: two, then the rest.
	_, body, _ := e.call("GET", "/api/v1/invitations?limit=2", e.key, "")
	next, _ := body["next_cursor"].(string)
	_, body2, _ := e.call("GET", "/api/v1/invitations?limit=2&cursor="+next, e.key, "")
	if got := append(listIDs(body), listIDs(body2)...); strings.Join(got, ",") != strings.Join([]string{ids[2], ids[1], ids[0]}, ",") || body2["next_cursor"] != nil {
		t.Errorf("pages = %v then %v", body, body2)
	}
	// The other partner sees only its own.
	if _, body, _ := e.call("GET", "/api/v1/invitations", e.otherKey, ""); len(listIDs(body)) != 1 {
		t.Errorf("other partner's list = %v", body)
	}
}

func TestAPIRelationships(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	e.accept(e.invite("delegated_admin"))
	path := "/api/v1/relationships/" + e.customer.ID

	code, body, _ := e.call("GET", "/api/v1/relationships", e.key, "")
	if rels, _ := body["relationships"].([]any); code != http.StatusOK || len(rels) != 1 || rels[0].(map[string]any)["customer_id"] != e.customer.ID {
		t.Errorf("list: %d %v", code, body)
	}
	if _, body, _ := e.call("GET", "/api/v1/relationships", e.otherKey, ""); len(body["relationships"].([]any)) != 0 {
		t.Errorf("other partner's list: %v", body)
	}
	code, body, _ = e.call("GET", path, e.key, "")
	if hist, _ := body["history"].([]any); code != http.StatusOK || body["status"] != "active" || len(hist) != 3 {
		t.Errorf("get: %d %v; want active with 3 events", code, body)
	}

	// Another partner can neither read nor end it.
	for _, m := range []string{"GET", "DELETE"} {
		if code, body, _ := e.call(m, path, e.otherKey, ""); code != http.StatusNotFound {
			t.Errorf("other partner %s: %d %v", m, code, body)
		}
	}
	if code, body, _ := e.call("DELETE", path, e.key, `{"why":"x"}`); code != http.StatusBadRequest {
		t.Errorf("end with a body: %d %v", code, body)
	}

	code, body, _ = e.call("DELETE", path, e.key, "")
	if code != http.StatusOK || body["status"] != "ended" || body["ended_by"] != e.partner.ID || body["ended_at"] == nil {
		t.Fatalf("end: %d %v", code, body)
	}
	tasks, err := e.insp.ListPendingTasks(jobs.QueueMail)
	if err != nil {
		t.Fatal(err)
	}
	var events []jobs.Event
	for _, task := range tasks {
		if task.Type == jobs.TypeNotify {
			var ev jobs.Event
			if err := json.Unmarshal(task.Payload, &ev); err != nil {
				t.Fatal(err)
			}
			events = append(events, ev)
		}
	}
	endedAt, _ := time.Parse(time.RFC3339Nano, body["ended_at"].(string))
	want := []jobs.Event{{Kind: jobs.EventRelationshipEnded, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
		Actor: e.partner.ID, At: endedAt, Detail: "types=delegated_admin roles=global_admin,helpdesk_admin"}}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("notifications queued (-want +got):\n%s", diff)
	}
	code, body, _ = e.call("GET", path, e.key, "")
	hist, _ := body["history"].([]any)
	if code != http.StatusOK || body["status"] != "ended" || len(hist) != 4 || hist[0].(map[string]any)["action"] != "relationship.ended" {
		t.Errorf("get after end: %d %v", code, body)
	}
	if code, body, _ := e.call("DELETE", path, e.key, ""); code != http.StatusNotFound {
		t.Errorf("end again: %d %v", code, body)
	}
	if _, body, _ := e.call("GET", "/api/v1/relationships", e.key, ""); len(body["relationships"].([]any)) != 0 {
		t.Errorf("list after end: %v", body)
	}
	if code, body, _ := e.call("GET", "/api/v1/relationships?limit=0", e.key, ""); code != http.StatusBadRequest || body["fields"] == nil {
		t.Errorf("bad limit: %d %v", code, body)
	}
}

// TestAPIOtherPartnerSeesNothing: every route on one partner's records answers
// another partner 404, and changes nothing.
func TestAPIOtherPartnerSeesNothing(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	id := e.invite("advisor")
	rel := e.invite("reseller")
	e.accept(rel)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/invitations/" + id},
		{"POST", "/api/v1/invitations/" + id + "/revoke"},
		{"POST", "/api/v1/invitations/" + id + "/resend"},
		{"GET", "/api/v1/relationships/" + e.customer.ID},
		{"DELETE", "/api/v1/relationships/" + e.customer.ID},
	} {
		if code, body, _ := e.call(r.method, r.path, e.otherKey, ""); code != http.StatusNotFound {
			t.Errorf("%s %s by another partner: %d %v; want 404", r.method, r.path, code, body)
		}
	}
	if inv, err := e.store.Invitation(e.ctx, id); err != nil || inv.Status != "pending" || inv.Sends != 1 {
		t.Errorf("invitation after the other partner's calls = %+v, %v", inv, err)
	}
	if _, err := e.store.Relationship(e.ctx, e.customer.ID, e.partner.ID); err != nil {
		t.Errorf("relationship after the other partner's calls: %v", err)
	}
}
