package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// openInvite is an invitation reached through a valid link, with what its pages show.
// Its partner is read only by the pages that show it (see withPartner): the page
// after an accept takes the partner's name from the partner list it reads anyway.
type openInvite struct {
	token    string
	claims   tokens.Claims
	inv      partnerships.Invitation
	partner  partnerships.Partner
	customer partnerships.Customer
}

// refusal is why a link cannot be used: the page to show (a text key of the
// dictionaries, with arguments for its message) and the reason to log.
type refusal struct {
	status    int
	key       string
	args      []any
	logReason string
}

// loadInvite verifies the link's token and loads its invitation and customer (one
// round trip). It reads only.
func (s *Server) loadInvite(ctx context.Context, token string) (openInvite, *refusal) {
	claims, err := s.Tokens.Verify(token, tokens.PurposeInvite)
	if errors.Is(err, tokens.ErrExpired) {
		inv, rf := s.expiredLinkRefusal(ctx, token, err)
		return openInvite{inv: inv}, rf // the invitation only for the page's language
	}
	if err != nil {
		return openInvite{}, tokenRefusal(err)
	}
	inv, customer, err := s.Store.InvitationAndCustomer(ctx, claims.Subject) // one round trip
	if err != nil && inv.ID == "" {
		return openInvite{}, storeRefusal(err, inv, "")
	}
	customerErr := err
	if err := claims.CheckRecipient(inv.Email); err != nil {
		return openInvite{}, &refusal{http.StatusForbidden, "recipient", nil, err.Error()}
	}
	if claims.ID != inv.TokenID {
		return openInvite{}, storeRefusal(partnerships.ErrTokenSuperseded, inv, "")
	}
	if customerErr != nil {
		return openInvite{}, unavailable(customerErr)
	}
	return openInvite{token: token, claims: claims, inv: inv, customer: customer}, nil
}

// withPartner reads the invitation's partner into o for a page that shows it.
func (s *Server) withPartner(ctx context.Context, o *openInvite) *refusal {
	p, err := s.Store.Partner(ctx, o.inv.PartnerID)
	if err != nil {
		return unavailable(err)
	}
	o.partner = p
	return nil
}

// openForPage loads the link's invitation for a page (GET, HEAD): an invitation
// that can still be decided. Otherwise it shows why not and returns ok false.
func (s *Server) openForPage(w http.ResponseWriter, r *http.Request) (o openInvite, lang string, ok bool) {
	o, rf := s.loadInvite(r.Context(), r.PathValue("token"))
	lang = localeFor(o.inv.Locale, r)
	if rf == nil {
		rf = statusRefusal(o.inv, lang)
	}
	if rf != nil {
		s.refuse(w, r, lang, rf)
		return o, lang, false
	}
	return o, lang, true
}

// openForPost loads the link's invitation for a form POST: a valid link and a
// form that came from partnerlink's own page (CSRF). Otherwise it shows why not
// and returns ok false. The invitation's status is left to the store to judge.
func (s *Server) openForPost(w http.ResponseWriter, r *http.Request, action string) (o openInvite, lang string, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	o, rf := s.loadInvite(r.Context(), r.PathValue("token"))
	lang = localeFor(o.inv.Locale, r)
	if rf != nil {
		s.refuse(w, r, lang, rf)
		return o, lang, false
	}
	if !s.checkCSRF(r) {
		s.log(r).Warn(action+" refused: CSRF check failed", "invitation_id", o.inv.ID, "ip", clientIP(r))
		s.message(w, http.StatusForbidden, lang, "csrf")
		return o, lang, false
	}
	return o, lang, true
}

// statusRefusal tells why an invitation in a final status cannot be decided again.
func statusRefusal(inv partnerships.Invitation, lang string) *refusal {
	if rf := lifecycleRefusal(inv); rf != nil {
		return rf
	}
	switch inv.Status {
	case partnerships.StatusPending, partnerships.StatusSent:
		return nil
	case partnerships.StatusAccepted:
		return storeRefusal(partnerships.ErrAlreadyAccepted, inv, lang)
	case partnerships.StatusExpired: // Scheduler (sched): expired by the scheduler
		return storeRefusal(partnerships.ErrExpired, inv, lang)
	default:
		return storeRefusal(partnerships.ErrNotOpen, inv, lang)
	}
}

func tokenRefusal(err error) *refusal {
	switch {
	case errors.Is(err, tokens.ErrExpired):
		return &refusal{http.StatusGone, "expired", nil, err.Error()}
	case errors.Is(err, tokens.ErrWrongPurpose):
		return &refusal{http.StatusBadRequest, "purpose", nil, err.Error()}
	default: // malformed, bad signature, unknown key
		return &refusal{http.StatusBadRequest, "invalid", nil, err.Error()}
	}
}

// storeRefusal maps the store's reasons for refusing a decision to a page.
func storeRefusal(err error, inv partnerships.Invitation, lang string) *refusal {
	switch {
	case errors.Is(err, partnerships.ErrAlreadyAccepted):
		return &refusal{http.StatusConflict, "accepted", []any{formatDate(lang, inv.DecidedAt)}, "already accepted"}
	case errors.Is(err, partnerships.ErrExpired):
		return &refusal{http.StatusGone, "expired", nil, "invitation expired"}
	case errors.Is(err, partnerships.ErrTokenSuperseded):
		return &refusal{http.StatusGone, "superseded", nil, "superseded token"}
	case errors.Is(err, partnerships.ErrNotAdmin):
		return &refusal{http.StatusForbidden, "notadmin", nil, "not an admin"}
	case errors.Is(err, partnerships.ErrNotOpen):
		return &refusal{http.StatusGone, "closed", []any{T(lang, "status."+string(inv.Status))}, "not open: " + string(inv.Status)}
	case errors.Is(err, partnerships.ErrNotFound):
		return &refusal{http.StatusNotFound, "notfound", nil, "invitation not found"}
	default:
		return unavailable(err)
	}
}

func unavailable(err error) *refusal {
	return &refusal{http.StatusServiceUnavailable, "unavailable", nil, err.Error()}
}

// refuse logs the refusal and shows its page in lang.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, lang string, rf *refusal) {
	level := s.log(r).Warn
	if rf.status == http.StatusServiceUnavailable {
		level = s.log(r).Error
	}
	level("invitation link refused", "reason", rf.logReason, "status", rf.status, "ip", clientIP(r))
	s.message(w, rf.status, lang, rf.key, rf.args...)
}
