package web

import (
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
)

// termText says how long a time-bound relationship lasts once accepted, or "".
func termText(lang string, inv partnerships.Invitation) string {
	if inv.Duration <= 0 {
		return ""
	}
	days := int((inv.Duration + 24*time.Hour - 1) / (24 * time.Hour))
	if inv.AutoExtend {
		return Tf(lang, "review.term_days_extend", days)
	}
	return Tf(lang, "review.term_days", days)
}
