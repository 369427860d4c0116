package web

import (
	"context"
	"net/http"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// The one-click "stop reminding me" link of reminder emails (RFC 8058). The token
// in the URL authorises it, so the POST needs no cookie and no CSRF token: a mail
// client posts "List-Unsubscribe=One-Click" to it on its own. It only stops
// reminders; the invitation stays as it is.

// stopRemindersPage asks before stopping.
type stopRemindersPage struct {
	page
	PartnerName string
	Action      string
}

// loadStopReminders verifies a stop-reminders token and loads its invitation.
func (s *Server) loadStopReminders(ctx context.Context, token string) (partnerships.Invitation, partnerships.Partner, *refusal) {
	claims, err := s.Tokens.Verify(token, tokens.PurposeStopReminders)
	if err != nil {
		return partnerships.Invitation{}, partnerships.Partner{}, tokenRefusal(err)
	}
	inv, err := s.Store.Invitation(ctx, claims.Subject)
	if err != nil {
		return inv, partnerships.Partner{}, storeRefusal(err, inv, "")
	}
	if err := claims.CheckRecipient(inv.Email); err != nil {
		return inv, partnerships.Partner{}, &refusal{http.StatusForbidden, "recipient", nil, err.Error()}
	}
	if claims.ID != jobs.StopRemindersClaims(inv).ID {
		return inv, partnerships.Partner{}, storeRefusal(partnerships.ErrTokenSuperseded, inv, "")
	}
	// Attacks (issue 6 item 5): a revoked, declined, accepted or expired invitation
	// has no reminders to stop; its link is refused and changes nothing.
	if rf := statusRefusal(inv, ""); rf != nil {
		return inv, partnerships.Partner{}, rf
	}
	partner, err := s.Store.Partner(ctx, inv.PartnerID)
	if err != nil {
		return inv, partner, unavailable(err)
	}
	return inv, partner, nil
}

// confirmStopReminders shows the confirmation with its button. It changes nothing.
func (s *Server) confirmStopReminders(w http.ResponseWriter, r *http.Request) {
	inv, partner, rf := s.loadStopReminders(r.Context(), r.PathValue("token"))
	lang := localeFor(inv.Locale, r)
	if rf != nil {
		s.refuse(w, r, lang, rf)
		return
	}
	s.render(w, http.StatusOK, "stopreminders", stopRemindersPage{
		page:        s.page(T(lang, "stopreminders.title"), lang),
		PartnerName: partner.Name,
		Action:      s.Links.Path("reminders", "stop", r.PathValue("token")),
	})
}

// stopReminders records that the recipient wants no more reminders, audited.
func (s *Server) stopReminders(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	inv, partner, rf := s.loadStopReminders(r.Context(), r.PathValue("token"))
	lang := localeFor(inv.Locale, r)
	if rf != nil {
		s.refuse(w, r, lang, rf)
		return
	}
	if _, err := s.Store.StopReminders(r.Context(), inv.ID, clientIP(r), r.UserAgent()); err != nil {
		s.refuse(w, r, lang, storeRefusal(err, inv, lang))
		return
	}
	s.log(r).Info("reminders stopped", "invitation_id", inv.ID, "customer_id", inv.CustomerID, "ip", clientIP(r))
	s.message(w, http.StatusOK, lang, "stopped", partner.Name)
}
