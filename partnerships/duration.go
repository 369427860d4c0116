package partnerships

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a time-bound relationship's duration as partners write it:
// a Go duration in hours ("720h"), a number of days with "d" ("30d") or a bare
// number of days ("30"). The empty string is 0 (open-ended). It does not check
// the range; CreateInvitation does (MinDuration to MaxDuration). The partner API,
// the CSV requests and `partnerlink invite` all read durations with it.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	days, isDays := strings.CutSuffix(s, "d")
	if !isDays {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			days, isDays = s, true
		}
	}
	if isDays {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n <= 0 || n > 10000 {
			return 0, fmt.Errorf("partnerships: duration %q: want a positive number of days such as 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("partnerships: duration %q: want a duration such as 720h or 30d", s)
	}
	return d, nil
}
