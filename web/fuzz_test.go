package web

import (
	"net/http/httptest"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"
)

// apiBodies are the request bodies the APIs decode with decodeJSON, by name.
var apiBodies = []func() any{
	func() any { return new(createInvitationRequest) },
	func() any { return new(agreementRequestBody) },
	func() any { return new(adminCustomerRequest) },
	func() any { return new(adminUserRequest) },
	func() any { return new(adminPartnerRequest) },
	func() any { return new(adminProfileRequest) },
}

// jsonFields is the set of JSON names of struct v's fields.
func jsonFields(v any) map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeOf(v).Elem()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = true
	}
	return out
}

// FuzzAPIDecode feeds arbitrary bodies to the APIs' shared JSON decoder for every
// body type, and a decoded invitation request to its validation. It must never
// panic; a refusal must say why, and a field error must name a field of the body
// (a type error one the body has; an unknown field the name sent); a body the
// decoder takes must be one JSON object; a request validation passes must be
// usable (plain address, known type, bounded message).
func FuzzAPIDecode(f *testing.F) {
	for _, s := range []string{
		`{"customer_email":"ada@fabrikam.example","relationship_type":"reseller"}`,
		`{"customer_email":"ada@fabrikam.example","relationship_type":"delegated_admin","roles":["helpdesk_agent"],"locale":"de","message":"Hi <script>","duration":"30d","auto_extend":true}`,
		`{"customer_email":"ada@fabrikam.example","relationship_type":"reseller","duration":365}`,
		`{"customer_email":"ada@fabrikam.example","relationship_type":"reseller","lead_id":"ld_0123"}`,
		`{"customer_email":1}`, `{"roles":"x"}`, `{"bogus":true}`, `[]`, `"x"`, `null`, `{}{}`, `{"a":`, ``,
		`{"locale":"de"}`, `{"name":"Fabrikam","admin_email":"a@b.example"}`, `{"listed":true,"sizes":["1-10"]}`,
		`{"customer_email":"a@b.example","relationship_type":"reseller","message":"` + strings.Repeat("x", 2001) + `"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, newBody := range apiBodies {
			v := newBody()
			r := httptest.NewRequest("POST", "/api/v1/invitations", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			msg, fields := decodeJSON(httptest.NewRecorder(), r, v)
			known := jsonFields(v)
			if msg == "" && fields != nil {
				t.Fatalf("%T: field errors %v without a message", v, fields)
			}
			for name, why := range fields {
				if name == "" || why == "" {
					t.Fatalf("%T: body %q: field error %q: %q does not name a field", v, body, name, why)
				}
				top, _, _ := strings.Cut(name, ".")
				if why != "unknown field" && !known[top] {
					t.Fatalf("%T: body %q: type error names %q, not a field of the body", v, body, name)
				}
				if why == "unknown field" && known[name] {
					t.Fatalf("%T: body %q: known field %q called unknown", v, body, name)
				}
			}
			req, ok := v.(*createInvitationRequest)
			if msg != "" || !ok {
				continue
			}
			in, errs := req.validate("pt_x", 14*24*time.Hour)
			if len(errs) > 0 {
				for name := range errs {
					if top, _, _ := strings.Cut(name, "."); !known[top] {
						t.Fatalf("validation names %q, not a field of the body", name)
					}
				}
				continue
			}
			if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || strings.ContainsAny(in.Email, "\r\n") {
				t.Fatalf("validation passed a bad customer email %q", in.Email)
			}
			if !in.Type.Valid() || len([]rune(in.Message)) > 2000 || in.TTL <= 0 {
				t.Fatalf("validation passed an unusable request %+v", in)
			}
		}
	})
}
