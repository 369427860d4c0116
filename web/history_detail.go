package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// detailItem is one fact of an audit event's detail, as the history table shows
// it: a label in the page's language and a value made readable.
type detailItem struct {
	Label, Value string
}

// historyDetail turns an audit event's detail, which the store writes as
// "key=value" fields ("type=reseller roles=global_admin,helpdesk_admin
// expires_at=2026-…"), into labelled items: relationship types and roles by
// their names, times as dates, yes/no in words. A key the page does not know
// keeps its own name; a detail that is no key=value text at all is one item
// without a label.
func (s *Server) historyDetail(lang, detail string) []detailItem {
	var items []detailItem
	words := strings.Fields(detail)
	for i := 0; i < len(words); i++ {
		w := words[i]
		k, v, ok := strings.Cut(w, "=")
		switch {
		case w == "was" && i+1 < len(words) && !strings.Contains(words[i+1], "="):
			// "was sent": the status before the change.
			i++
			items = append(items, detailItem{T(lang, "detail.was"), TOr(lang, "status.", words[i])})
		case ok && k != "":
			items = append(items, detailItem{TOr(lang, "detail.", k), s.detailValue(lang, k, v)})
		case len(items) > 0:
			// A word without "=" continues the value before it.
			items[len(items)-1].Value += " " + w
		default:
			items = append(items, detailItem{Value: w})
		}
	}
	return items
}

func (s *Server) detailValue(lang, key, v string) string {
	if v == "" {
		return "—"
	}
	switch key {
	case "type":
		return s.Templates.TypeLabel(lang, partnerships.RelationshipType(v))
	case "types":
		return s.labels(v, func(x string) string { return s.Templates.TypeLabel(lang, partnerships.RelationshipType(x)) })
	case "roles", "roles_removed", "user_role":
		return s.labels(v, func(x string) string { return s.Templates.RoleLabel(lang, partnerships.Role(x)) })
	case "expires_at", "ends_at":
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return formatDate(lang, t)
		}
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return formatDate(lang, time.UnixMilli(ms))
		}
	case "expires_at_ms":
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return formatDate(lang, time.UnixMilli(ms))
		}
	case "duration":
		if d, err := time.ParseDuration(v); err == nil && d%(24*time.Hour) == 0 {
			return Tf(lang, "detail.days", int(d/(24*time.Hour)))
		}
	case "auto_extend":
		if b, err := strconv.ParseBool(v); err == nil {
			return T(lang, map[bool]string{true: "detail.yes", false: "detail.no"}[b])
		}
	case "locale":
		return strings.ToUpper(v)
	}
	return v
}

// labels maps each comma-separated name in list through label.
func (s *Server) labels(list string, label func(string) string) string {
	var out []string
	for x := range strings.SplitSeq(list, ",") {
		if x != "" {
			out = append(out, label(x))
		}
	}
	if len(out) == 0 {
		return "—"
	}
	return strings.Join(out, ", ")
}
