package web

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestCreateInvitationDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name       string
		typ        string
		roles      []string
		duration   string // raw JSON; "" leaves it out
		autoExtend bool
		want       time.Duration
		wantFields []string
	}{
		{"open-ended", "advisor", nil, "", false, 0, nil},
		{"null", "advisor", nil, "null", false, 0, nil},
		{"hours", "advisor", nil, `"720h"`, false, 30 * day, nil},
		{"days string", "advisor", nil, `"30d"`, false, 30 * day, nil},
		{"days number", "advisor", nil, `90`, false, 90 * day, nil},
		{"one day", "advisor", nil, `"24h"`, false, day, nil},
		{"two years", "advisor", nil, `730`, false, 730 * day, nil},
		{"auto-extend", "advisor", nil, `"180d"`, true, 180 * day, nil},
		{"auto-extend without global admin", "delegated_admin", []string{"helpdesk_admin"}, `30`, true, 30 * day, nil},
		{"under a day", "advisor", nil, `"23h"`, false, 0, []string{"duration"}},
		{"over two years", "advisor", nil, `731`, false, 0, []string{"duration"}},
		{"zero days", "advisor", nil, `0`, false, 0, []string{"duration"}},
		{"negative", "advisor", nil, `"-24h"`, false, 0, []string{"duration"}},
		{"fraction of days", "advisor", nil, `1.5`, false, 0, []string{"duration"}},
		{"words", "advisor", nil, `"a month"`, false, 0, []string{"duration"}},
		{"object", "advisor", nil, `{}`, false, 0, []string{"duration"}},
		{"auto-extend open-ended", "advisor", nil, "", true, 0, []string{"auto_extend"}},
		{"auto-extend with global admin (all roles)", "delegated_admin", nil, `30`, true, 0, []string{"auto_extend"}},
		{"auto-extend with global admin asked", "delegated_admin", []string{"global_admin"}, `30`, true, 0, []string{"auto_extend"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := createInvitationRequest{CustomerEmail: "a@b.example", RelationshipType: tt.typ, Roles: tt.roles, AutoExtend: tt.autoExtend}
			if tt.duration != "" {
				req.Duration = json.RawMessage(tt.duration)
			}
			in, fields := req.validate("pa_x", time.Hour)
			var got []string
			for f := range fields {
				got = append(got, f)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.wantFields) {
				t.Fatalf("fields = %v (%v), want %v", got, fields, tt.wantFields)
			}
			if len(fields) == 0 && (in.Duration != tt.want || in.AutoExtend != tt.autoExtend) {
				t.Errorf("duration = %v auto-extend %v, want %v %v", in.Duration, in.AutoExtend, tt.want, tt.autoExtend)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "", 720 * time.Hour: "720h", 90 * time.Minute: "1h30m0s"} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
