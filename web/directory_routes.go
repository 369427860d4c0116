package web

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/ratelimit"
)

// DefaultContactLimit is the contact form's limit when Config.ContactLimit is zero:
// 10 requests an hour per client address and per sender address, 3 at once.
var DefaultContactLimit = ratelimit.Limit{Rate: 10, Per: time.Hour, Burst: 3}

// setupDirectory prepares the contact limiters and the operator key.
func (s *Server) setupDirectory(cfg Config) error {
	limit := cfg.ContactLimit
	if limit == (ratelimit.Limit{}) && s.RDB != nil {
		limit = DefaultContactLimit
	}
	if err := limit.Validate(); err != nil {
		return fmt.Errorf("web: contact limit: %w", err)
	}
	if !limit.Unlimited() && s.RDB == nil {
		return fmt.Errorf("web: the contact limit needs a Redis client (Deps.RDB)")
	}
	s.contactIPLimiter = ratelimit.New(s.RDB, "contact-ip", limit)
	s.contactSenderLimiter = ratelimit.New(s.RDB, "contact-sender", limit)
	if cfg.OperatorKey != "" {
		if len(cfg.OperatorKey) < 16 {
			return fmt.Errorf("web: the operator key must have at least 16 characters")
		}
		s.operatorKeyDigest = sha256.Sum256([]byte(cfg.OperatorKey))
		s.operatorKeySet = true
	}
	return nil
}

// directoryRoutes adds the find-a-partner pages and the operator API under prefix p.
func (s *Server) directoryRoutes(p string) {
	s.mux.HandleFunc("GET "+p+"/partners", s.showDirectory)
	s.mux.HandleFunc("POST "+p+"/partners/contact", s.contactPartners)
	s.operatorRoutes(p)
}

// leadNamesPartner checks that lead id exists and was sent to partner; otherwise it
// answers 422 naming the lead_id field and returns false.
func (s *Server) leadNamesPartner(w http.ResponseWriter, r *http.Request, id, partnerID string) bool {
	lead, err := s.Store.Lead(r.Context(), id)
	if errors.Is(err, partnerships.ErrNotFound) || (err == nil && !slices.Contains(lead.PartnerIDs, partnerID)) {
		writeError(w, http.StatusUnprocessableEntity, "unknown lead",
			map[string]string{"lead_id": "no lead with this id was sent to you, or it expired (leads are kept 90 days)"})
		return false
	} else if err != nil {
		s.storeUnavailable(w, r, err)
		return false
	}
	return true
}
