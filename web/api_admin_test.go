package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/web"
)

// TestOperatorAPI walks the operator API: customers, their users, partners and
// their profiles; the API key it returns works on the partner API.
func TestOperatorAPI(t *testing.T) {
	e := newDirEnv(t, web.Config{OperatorKey: operatorKey})
	code, c := e.api("POST", "/api/v1/admin/customers", operatorKey, map[string]any{
		"name": "Fabrikam", "domain": "fabrikam.example", "admin_email": "ada@fabrikam.example", "admin_name": "Ada"})
	if code != http.StatusCreated || c["id"] == nil {
		t.Fatalf("create customer: %d %v", code, c)
	}
	cid := c["id"].(string)
	if code, got := e.api("GET", "/api/v1/admin/customers", operatorKey, nil); code != http.StatusOK || len(got["customers"].([]any)) != 1 {
		t.Errorf("list customers: %d %v", code, got)
	}
	if code, got := e.api("POST", "/api/v1/admin/customers/"+cid+"/users", operatorKey, map[string]any{
		"email": "Bill@Fabrikam.example", "name": "Bill", "role": "billing_admin"}); code != http.StatusCreated || got["email"] != "bill@fabrikam.example" {
		t.Errorf("add user: %d %v", code, got)
	}
	code, users := e.api("GET", "/api/v1/admin/customers/"+cid+"/users", operatorKey, nil)
	if code != http.StatusOK || len(users["users"].([]any)) != 2 {
		t.Errorf("list users: %d %v", code, users)
	}
	if code, _ := e.api("GET", "/api/v1/admin/customers/cu_aaaaaaaaaaaaaaaa/users", operatorKey, nil); code != http.StatusNotFound {
		t.Errorf("users of an unknown customer: %d", code)
	}

	code, p := e.api("POST", "/api/v1/admin/partners", operatorKey, map[string]any{"name": "Contoso", "contact_email": "sales@contoso.example"})
	if code != http.StatusCreated || p["api_key"] == nil {
		t.Fatalf("create partner: %d %v", code, p)
	}
	pid, partnerKey := p["id"].(string), p["api_key"].(string)
	code, prof := e.api("PATCH", "/api/v1/admin/partners/"+pid, operatorKey, map[string]any{
		"listed": true, "location": "Berlin", "sizes": []string{"1-10"}, "keywords": []string{"Azure"},
		"webhook_url": "https://hooks.contoso.example/", "generate_webhook_secret": true})
	if code != http.StatusOK || prof["listed"] != true || prof["webhook_secret"] == nil || prof["location"] != "Berlin" {
		t.Fatalf("patch partner: %d %v", code, prof)
	}
	stored, _ := e.store.PartnerProfile(context.Background(), pid)
	if stored.WebhookSecret != prof["webhook_secret"] {
		t.Errorf("stored secret differs from the one returned")
	}
	// The partner's key works on the partner API.
	if code, got := e.api("POST", "/api/v1/invitations", partnerKey, map[string]any{
		"customer_email": "ada@fabrikam.example", "relationship_type": "reseller"}); code != http.StatusCreated {
		t.Errorf("invite with the new partner key: %d %v", code, got)
	}
	// A later PATCH does not show the secret again.
	if code, got := e.api("PATCH", "/api/v1/admin/partners/"+pid, operatorKey, map[string]any{"listed": false}); code != http.StatusOK || got["webhook_secret"] != nil {
		t.Errorf("second patch: %d %v", code, got)
	}
}

// TestOperatorKeySeparation: partner keys do not open the operator API, the
// operator key does not open the partner API, and the operator API is off
// without a key.
func TestOperatorKeySeparation(t *testing.T) {
	e := newDirEnv(t, web.Config{OperatorKey: operatorKey})
	p, partnerKey, err := e.store.CreatePartner(context.Background(), "Contoso", "sales@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	before := e.snapshot()
	tests := []struct {
		name, method, path, key string
		want                    int
	}{
		{"partner key on admin list", "GET", "/api/v1/admin/customers", partnerKey, http.StatusUnauthorized},
		{"partner key on admin create", "POST", "/api/v1/admin/partners", partnerKey, http.StatusUnauthorized},
		{"partner key on admin patch", "PATCH", "/api/v1/admin/partners/" + p.ID, partnerKey, http.StatusUnauthorized},
		{"no key on admin", "GET", "/api/v1/admin/customers", "", http.StatusUnauthorized},
		{"wrong operator key", "GET", "/api/v1/admin/customers", operatorKey + "x", http.StatusUnauthorized},
		{"operator key on partner API", "POST", "/api/v1/invitations", operatorKey, http.StatusUnauthorized},
		{"operator key on partner get", "GET", "/api/v1/invitations/in_x", operatorKey, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got := e.api(tt.method, tt.path, tt.key, map[string]any{"name": "Evil", "contact_email": "e@evil.example", "listed": true})
			if code != tt.want {
				t.Errorf("%d %v, want %d", code, got, tt.want)
			}
		})
	}
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		t.Errorf("refused requests changed Redis:\n%s", diff)
	}
	off := newDirEnv(t, web.Config{})
	if code, _ := off.api("GET", "/api/v1/admin/customers", "", nil); code != http.StatusNotFound {
		t.Errorf("operator API without a key configured: %d, want 404", code)
	}
}

// TestOperatorAPIFieldErrors: bad JSON and bad values name the field and change nothing.
func TestOperatorAPIFieldErrors(t *testing.T) {
	e := newDirEnv(t, web.Config{OperatorKey: operatorKey})
	p, _, _ := e.store.CreatePartner(context.Background(), "Contoso", "sales@contoso.example")
	tests := []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"customer without admin", "POST", "/api/v1/admin/customers", map[string]any{"name": "F"}, "admin_email"},
		{"customer bad admin email", "POST", "/api/v1/admin/customers", map[string]any{"name": "F", "admin_email": "nope"}, "admin_email"},
		{"customer user as first admin", "POST", "/api/v1/admin/customers", map[string]any{"name": "F", "admin_email": "a@f.example", "admin_role": "user"}, "admin_role"},
		{"customer name wrong type", "POST", "/api/v1/admin/customers", `{"name": 5}`, "name"},
		{"customer unknown field", "POST", "/api/v1/admin/customers", `{"nmae": "F"}`, "nmae"},
		{"user bad role", "POST", "/api/v1/admin/customers/cu_aaaaaaaaaaaaaaaa/users", map[string]any{"email": "x@f.example", "role": "king"}, "role"},
		{"partner bad email", "POST", "/api/v1/admin/partners", map[string]any{"name": "C", "contact_email": "x"}, "contact_email"},
		{"partner no name", "POST", "/api/v1/admin/partners", map[string]any{"contact_email": "x@c.example"}, "name"},
		{"profile bad size", "PATCH", "/api/v1/admin/partners/" + p.ID, map[string]any{"sizes": []string{"huge"}}, "sizes"},
		{"profile sizes wrong type", "PATCH", "/api/v1/admin/partners/" + p.ID, `{"sizes": "1-10"}`, "sizes"},
		{"profile bad webhook", "PATCH", "/api/v1/admin/partners/" + p.ID, map[string]any{"webhook_url": "ftp://x"}, "webhook_url"},
		{"profile webhook without secret", "PATCH", "/api/v1/admin/partners/" + p.ID, map[string]any{"webhook_url": "https://x.example/"}, "webhook_secret"},
		{"profile two secrets", "PATCH", "/api/v1/admin/partners/" + p.ID, map[string]any{"webhook_secret": "0123456789abcdefg", "generate_webhook_secret": true}, "generate_webhook_secret"},
	}
	before := e.snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got := e.api(tt.method, tt.path, operatorKey, tt.body)
			fields, _ := got["fields"].(map[string]any)
			if code != http.StatusBadRequest || fields[tt.field] == nil {
				t.Errorf("%d %v, want 400 naming %s", code, got, tt.field)
			}
		})
	}
	if diff := cmp.Diff(before, e.snapshot()); diff != "" {
		t.Errorf("refused requests changed Redis:\n%s", diff)
	}
}
