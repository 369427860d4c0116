package partnerships

import (
	"context"
	"fmt"
	"strings"
)

// SuppressComplaint suppresses email at once because its recipient reported
// partnerlink's mail as spam (an ARF feedback report); detail, such as the
// feedback type "abuse", is kept as the reason ("complaint: abuse"). It reports
// whether the address was newly suppressed: an address already suppressed keeps
// its date and reason, so handling the same report twice changes nothing.
// LiftSuppression lifts it like any other.
func (s *Store) SuppressComplaint(ctx context.Context, email, detail string) (newly bool, err error) {
	email, err = cleanEmail("email", email)
	if err != nil {
		return false, err
	}
	detail = strings.TrimSpace(detail)
	if len(detail) > 200 || strings.ContainsAny(detail, "\r\n") {
		return false, invalid("detail", "%.80q must be one line of at most 200 characters", detail)
	}
	reason := "complaint"
	if detail != "" {
		reason += ": " + detail
	}
	r, err := s.run(ctx, suppressComplaintScript, []string{suppressedKey(), suppressionReasonsKey()},
		email, msString(s.nowMS()), reason)
	if err != nil {
		return false, err
	}
	if len(r.values) != 1 {
		return false, fmt.Errorf("partnerships: suppress_complaint: bad reply %v", r.values)
	}
	n, ok := r.values[0].(int64)
	if !ok {
		return false, fmt.Errorf("partnerships: suppress_complaint: bad reply %v", r.values)
	}
	return n == 1, nil
}
