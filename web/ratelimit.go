package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
)

// allowPartner reads the decision on the request from partner p's API limit (see
// partnerByKey). When the limit is spent it answers 429 and returns false. When the
// limiter cannot reach Redis the request goes through: the store answers 503
// itself if Redis is really down.
func (s *Server) allowPartner(w http.ResponseWriter, r *http.Request, p partnerships.Partner, decide func() (ratelimit.Result, error)) bool {
	res, err := decide()
	if err != nil {
		s.log(r).Warn("api rate limit not applied", "partner_id", p.ID, "err", err)
		return true
	}
	if res.Allowed {
		return true
	}
	secs := retryAfter(w, res.RetryAfter)
	s.log(r).Warn("api rate limit exceeded", "partner_id", p.ID, "ip", clientIP(r), "retry_after_s", secs)
	writeError(w, http.StatusTooManyRequests,
		fmt.Sprintf("rate limit exceeded: this API key's partner sent too many requests; try again in %d s", secs), nil)
	return false
}

// linkLimited takes each request of an invitation link from its client address's
// limit before anything else: before the token is verified or the body read.
// kind names the page in the log; the path is never logged, it holds the token.
func (s *Server) linkLimited(kind string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ip := clientIP(r)
		res, err := s.linkLimiter.Allow(r.Context(), ip)
		if err != nil {
			s.log(r).Warn("invitation link rate limit not applied", "ip", ip, "kind", kind, "err", err)
		} else if !res.Allowed {
			secs := retryAfter(w, res.RetryAfter)
			s.log(r).Warn("invitation link rate limit exceeded", "ip", ip, "kind", kind, "retry_after_s", secs)
			s.message(w, http.StatusTooManyRequests, localeFor("", r), "ratelimited", strconv.Itoa(secs))
			return
		}
		// Attacks (issue 6 item 5): every refused link request is logged, whichever
		// handler refused it and why (tampered, expired, used, for someone else…).
		rw := &statusWriter{ResponseWriter: w}
		h(rw, r)
		if rw.code >= 400 {
			s.Logger.Warn("link request refused", "kind", kind, "status", rw.code, "ip", ip)
		}
	}
}

// retryAfter sets the Retry-After header to d in whole seconds, rounded up and at
// least 1, and returns them.
func retryAfter(w http.ResponseWriter, d time.Duration) int {
	secs := max(1, int(math.Ceil(d.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return secs
}
