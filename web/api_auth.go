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
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(key) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="partnerlink"`)
			writeError(w, http.StatusUnauthorized, "missing API key: send Authorization: Bearer <api key>", nil)
			return
		}
		p, err := s.Store.PartnerByAPIKey(r.Context(), strings.TrimSpace(key))
		if errors.Is(err, partnerships.ErrNotFound) {
			s.log(r).Warn("api: unknown API key", "ip", clientIP(r))
			w.Header().Set("WWW-Authenticate", `Bearer realm="partnerlink", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unknown API key", nil)
			return
		} else if err != nil {
			s.storeUnavailable(w, r, err)
			return
		}
		if !s.allowPartner(w, r, p) {
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), partnerKey{}, p)))
	}
}

func partnerFrom(ctx context.Context) partnerships.Partner {
	return ctx.Value(partnerKey{}).(partnerships.Partner)
}

func (s *Server) storeUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	s.log(r).Error("store unavailable", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusServiceUnavailable, "partnerlink cannot reach its database right now; try again shortly", nil)
}
