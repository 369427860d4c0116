package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestCreateInvitationRefusals(t *testing.T) {
	s := start(t)
	tests := []struct {
		name       string
		key        string
		body       any
		wantCode   int
		wantFields []string // fields named in the error
	}{
		{"no key", "", map[string]any{"customer_email": adminEmail, "relationship_type": "reseller"}, http.StatusUnauthorized, nil},
		{"unknown key", "pl_nope", map[string]any{"customer_email": adminEmail, "relationship_type": "reseller"}, http.StatusUnauthorized, nil},
		{"empty object", s.apiKey, map[string]any{}, http.StatusBadRequest, []string{"customer_email", "relationship_type"}},
		{"bad email and type", s.apiKey, map[string]any{"customer_email": "not an email", "relationship_type": "friend"}, http.StatusBadRequest, []string{"customer_email", "relationship_type"}},
		{"bad locale", s.apiKey, map[string]any{"customer_email": adminEmail, "relationship_type": "reseller", "locale": "fr"}, http.StatusBadRequest, []string{"locale"}},
		{"role the type does not grant", s.apiKey, map[string]any{"customer_email": adminEmail, "relationship_type": "advisor", "roles": []string{"global_admin"}}, http.StatusBadRequest, []string{"roles"}},
		{"wrong type", s.apiKey, map[string]any{"customer_email": 42, "relationship_type": "reseller"}, http.StatusBadRequest, []string{"customer_email"}},
		{"unknown field", s.apiKey, map[string]any{"customer_email": adminEmail, "relationship_type": "reseller", "colour": "red"}, http.StatusBadRequest, []string{"colour"}},
		{"header injection", s.apiKey, map[string]any{"customer_email": "ada@fabrikam.example\r\nBcc: x@evil.example", "relationship_type": "reseller"}, http.StatusBadRequest, []string{"customer_email"}},
		{"unknown recipient", s.apiKey, map[string]any{"customer_email": "nobody@nowhere.example", "relationship_type": "reseller"}, http.StatusUnprocessableEntity, []string{"customer_email"}},
	}
	before := s.snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := s.api("POST", "/api/v1/invitations", tt.key, tt.body)
			if code != tt.wantCode {
				t.Fatalf("status %d, want %d: %v", code, tt.wantCode, body)
			}
			if body["error"] == "" || body["error"] == nil {
				t.Errorf("no error message: %v", body)
			}
			fields, _ := body["fields"].(map[string]any)
			for _, f := range tt.wantFields {
				if fields[f] == nil {
					t.Errorf("error does not name field %q: %v", f, body)
				}
			}
		})
	}
	after := s.snapshot()
	if len(after) != len(before) {
		t.Errorf("refused requests wrote to Redis: %d keys before, %d after", len(before), len(after))
	}
}

func TestRawBodyRefusals(t *testing.T) {
	s := start(t)
	for name, body := range map[string]string{
		"not json":    "customer_email=x",
		"two objects": `{"customer_email":"ada@fabrikam.example","relationship_type":"reseller"}{}`,
		"empty":       "",
		"too large":   `{"message":"` + strings.Repeat("x", 70<<10) + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.http.URL+"/api/v1/invitations", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+s.apiKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want := http.StatusBadRequest
			if name == "too large" {
				want = http.StatusRequestEntityTooLarge
			}
			if resp.StatusCode != want {
				t.Errorf("status %d, want %d", resp.StatusCode, want)
			}
		})
	}
}

func TestInvitationVisibleOnlyToItsPartner(t *testing.T) {
	s := start(t)
	id := s.invite(adminEmail, "advisor", "en")
	_, otherKey, err := s.store.CreatePartner(context.Background(), "Northwind Traders", "hello@northwind.example")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := s.api("GET", "/api/v1/invitations/"+id, otherKey, nil); code != http.StatusNotFound {
		t.Errorf("other partner: %d %v, want 404", code, body)
	}
	if code, _ := s.api("GET", "/api/v1/invitations/in_nonsense", s.apiKey, nil); code != http.StatusNotFound {
		t.Errorf("malformed id: %d, want 404", code)
	}
	code, body := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil)
	if code != http.StatusOK || body["id"] != id || body["relationship_type"] != "advisor" {
		t.Errorf("own invitation: %d %v", code, body)
	}
}
