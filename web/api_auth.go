package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/partnerlink/partnerlink/partnerships"
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
		p, err := s.Store.PartnerByAPIKey(r.Context(), key)
		if r, ok = s.admitPartner(w, r, p, err); ok {
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

// admitPartner answers a failed look-up of the API key's partner (401 for an
// unknown key, 503 when the store is down), then takes the request from the
// partner's rate limit. It returns r with the partner in its context, and false
// when it answered.
func (s *Server) admitPartner(w http.ResponseWriter, r *http.Request, p partnerships.Partner, err error) (*http.Request, bool) {
	if errors.Is(err, partnerships.ErrNotFound) {
		s.unknownAPIKey(w, r)
		return r, false
	} else if err != nil {
		s.storeUnavailable(w, r, err)
		return r, false
	}
	if !s.allowPartner(w, r, p) {
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
