package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// A time-bound relationship (sched), like Microsoft's granular delegated admin
// privileges: "duration" is how long the relationship lasts once accepted, from 1
// day to 2 years (730 days), written as a Go duration in hours ("720h"), as days
// ("30d"), or as a JSON number of days (30). Left out or null: open-ended.
// "auto_extend": true extends the relationship by 180 days each time its end is
// reached instead of removing the roles; it needs a duration and is refused when
// the invitation includes the global_admin role.

const durationHelp = `must be 1 day to 2 years: "720h", "30d" or a number of days such as 30`

// timeBound validates duration and auto_extend, adding field errors to fields.
func (req createInvitationRequest) timeBound(typ partnerships.RelationshipType, roles []partnerships.Role, fields map[string]string) (time.Duration, bool) {
	d, err := parseDuration(req.Duration)
	if err != nil {
		fields["duration"] = durationHelp
		return 0, false
	}
	if d != 0 && (d < partnerships.MinDuration || d > partnerships.MaxDuration) {
		fields["duration"] = durationHelp
	}
	if req.AutoExtend {
		granted := roles
		if granted == nil && typ != "" {
			granted = typ.Roles()
		}
		switch {
		case d == 0:
			fields["auto_extend"] = "needs a duration: an open-ended relationship has no end to extend"
		case slices.Contains(granted, partnerships.GlobalAdmin):
			fields["auto_extend"] = "not allowed with the global_admin role: leave out global_admin (roles) or auto_extend"
		}
	}
	return d, req.AutoExtend
}

// parseDuration reads the duration field: null or absent (0), a string "720h" or
// "30d", or a whole number of days.
func parseDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var days int64
	if err := json.Unmarshal(raw, &days); err == nil {
		if days <= 0 || days > 10000 {
			return 0, fmt.Errorf("bad number of days %d", days)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, err
	}
	if strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	if _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
		return 0, fmt.Errorf("bad duration %q: a string needs a unit, 720h or 30d", s)
	}
	return partnerships.ParseDuration(s)
}

// formatDuration shows a relationship duration in whole hours ("720h"), or "".
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d%time.Hour == 0 {
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return d.String()
}
