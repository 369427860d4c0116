package web

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/templates"
)

// The portal's history shows each audit detail the store writes as labelled,
// readable items, in the page's language.
func TestHistoryDetail(t *testing.T) {
	tpl, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Deps: Deps{Templates: tpl}}
	tests := []struct {
		lang, detail string
		want         []detailItem
	}{
		{"en", "type=delegated_admin roles=global_admin,helpdesk_admin expires_at=2026-03-16T09:31:00Z duration=720h0m0s auto_extend=true lead=ld_abc",
			[]detailItem{{"Type", tpl.TypeLabel("en", "delegated_admin")}, {"Roles", tpl.RoleLabel("en", "global_admin") + ", " + tpl.RoleLabel("en", "helpdesk_admin")},
				{"Expires", formatDate("en", mustTime(t, "2026-03-16T09:31:00Z"))}, {"Duration", "30 days"}, {"Extends itself", "yes"}, {"Contact request", "ld_abc"}}},
		{"de", "roles_removed= user_role=billing_admin",
			[]detailItem{{"Entfernte Rollen", "—"}, {"Rolle der Person", tpl.RoleLabel("de", "billing_admin")}}},
		{"en", "was sent replaced_by=in_x_y", []detailItem{{"Status before", "sent"}, {"Replaced by", "in_x_y"}}},
		{"de", "was revoked", []detailItem{{"Status vorher", "zurückgezogen"}}},
		{"en", "acceptance_id=ac_1 version=2026-01 locale=de", []detailItem{{"Acceptance", "ac_1"}, {"Agreement version", "2026-01"}, {"Language", "DE"}}},
		{"en", "send=2 expires_at_ms=1773653460000", []detailItem{{"Sending no.", "2"}, {"Expires", formatDate("en", mustTime(t, "2026-03-16T09:31:00Z"))}}},
		{"en", "newkey=value and more", []detailItem{{"newkey", "value and more"}}},
		{"en", "the partner asked again", []detailItem{{"", "the partner asked again"}}},
		{"en", "", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, s.historyDetail(tt.lang, tt.detail)); diff != "" {
			t.Errorf("historyDetail(%s, %q) (-want +got):\n%s", tt.lang, tt.detail, diff)
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
