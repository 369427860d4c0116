package web

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

func TestCreateInvitationRequestValidate(t *testing.T) {
	tests := []struct {
		name       string
		req        createInvitationRequest
		wantFields []string
		wantRoles  []partnerships.Role
	}{
		{"minimal", createInvitationRequest{CustomerEmail: "Ada@Fabrikam.example", RelationshipType: "reseller"}, nil, nil},
		{"fewer roles", createInvitationRequest{CustomerEmail: "a@b.example", RelationshipType: "delegated_admin", Roles: []string{"helpdesk_admin"}}, nil, []partnerships.Role{partnerships.HelpdeskAdmin}},
		{"no roles at all", createInvitationRequest{CustomerEmail: "a@b.example", RelationshipType: "delegated_admin", Roles: []string{}}, nil, []partnerships.Role{}},
		{"everything wrong", createInvitationRequest{CustomerEmail: "Ada <a@b.example>", RelationshipType: "boss", Locale: "fr", Message: strings.Repeat("x", 2001)},
			[]string{"customer_email", "locale", "message", "relationship_type"}, nil},
		{"missing", createInvitationRequest{}, []string{"customer_email", "relationship_type"}, nil},
		{"role not granted", createInvitationRequest{CustomerEmail: "a@b.example", RelationshipType: "reseller", Roles: []string{"global_admin"}}, []string{"roles"}, nil},
		{"CRLF", createInvitationRequest{CustomerEmail: "a@b.example\r\nBcc: c@d.example", RelationshipType: "reseller"}, []string{"customer_email"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, fields := tt.req.validate("pa_x", time.Hour)
			var got []string
			for f := range fields {
				got = append(got, f)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.wantFields) {
				t.Fatalf("fields = %v (%v), want %v", got, fields, tt.wantFields)
			}
			if len(fields) == 0 {
				if in.Email != strings.ToLower(tt.req.CustomerEmail) || in.Locale != "en" || in.TTL != time.Hour || in.PartnerID != "pa_x" {
					t.Errorf("NewInvitation = %+v", in)
				}
				if !slices.Equal(in.Roles, tt.wantRoles) || (in.Roles == nil) != (tt.wantRoles == nil) {
					t.Errorf("roles = %#v, want %#v", in.Roles, tt.wantRoles)
				}
			}
		})
	}
}
