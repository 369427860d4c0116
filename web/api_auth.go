package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
)

type partnerKey struct{}

// partnerOnly authenticates the partner by its API key (Authorization: Bearer …),
// then takes the request from the partner's rate limit.
func (s *Server) partnerOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := bearerKey(w, r)
		if !ok {
			return
		}
		p, _, decide, err := s.partnerByKey(r, key, "")
		if r, ok = s.admitPartner(w, r, p, decide, err); ok {
			h(w, r)
		}
	}
}

// bearerKey returns the request's API key, or answers 401 when it has none.
func bearerKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="partnerlink"`)
		writeError(w, http.StatusUnauthorized, "missing API key: send Authorization: Bearer <api key>", nil)
		return "", false
	}
	return strings.TrimSpace(key), true
}

// partnerByKey looks up the partner of API key key, with the reads CreateInvitation
// needs about email when it is set (partnerships.Recipient), and takes the
// request from the partner's API limit in the same round trip when the limiter
// runs on the store's Redis client (else after, in one of its own). decide reads
// the limiter's decision; call it only without an error.
func (s *Server) partnerByKey(r *http.Request, key, email string) (partnerships.Partner, *partnerships.Recipient, func() (ratelimit.Result, error), error) {
	ctx := r.Context()
	with := partnerships.WithAPIKey{RecipientEmail: email}
	var decide func() (ratelimit.Result, error)
	if c := s.apiLimiter.Client(); c != nil && c == s.Store.Client() {
		with.Also = func(p redis.Pipeliner, partnerID string) { decide = s.apiLimiter.Queue(ctx, p, partnerID) }
	}
	p, rc, err := s.Store.PartnerByAPIKeyWith(ctx, key, with)
	if err == nil && decide == nil {
		decide = func() (ratelimit.Result, error) { return s.apiLimiter.Allow(ctx, p.ID) }
	}
	return p, rc, decide, err
}

// admitPartner answers a failed look-up of the API key's partner (401 for an
// unknown key, 503 when the store is down), then the partner's rate limit's
// decision (429). It returns r with the partner in its context, and false when it
// answered.
func (s *Server) admitPartner(w http.ResponseWriter, r *http.Request, p partnerships.Partner, decide func() (ratelimit.Result, error), err error) (*http.Request, bool) {
	if errors.Is(err, partnerships.ErrNotFound) {
		s.unknownAPIKey(w, r)
		return r, false
	} else if err != nil {
		s.storeUnavailable(w, r, err)
		return r, false
	}
	if !s.allowPartner(w, r, p, decide) {
		return r, false
	}
	return r.WithContext(context.WithValue(r.Context(), partnerKey{}, p)), true
}

func (s *Server) unknownAPIKey(w http.ResponseWriter, r *http.Request) {
	s.log(r).Warn("api: unknown API key", "ip", clientIP(r))
	w.Header().Set("WWW-Authenticate", `Bearer realm="partnerlink", error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, "unknown API key", nil)
}

func partnerFrom(ctx context.Context) partnerships.Partner {
	return ctx.Value(partnerKey{}).(partnerships.Partner)
}

func (s *Server) storeUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log(r).Error("store unavailable", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusServiceUnavailable, "partnerlink cannot reach its database right now; try again shortly", nil)
}
