package web

import (
	"net/http"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// declinePage asks "Cancel invitation?" before anything changes.
type declinePage struct {
	page
	PartnerName, TypeLabel string
	DeclineAction, BackURL string
	CSRF                   string
}

// confirmDecline shows the confirmation. It changes nothing (GET and HEAD).
func (s *Server) confirmDecline(w http.ResponseWriter, r *http.Request) {
	o, lang, ok := s.openForPage(w, r)
	if !ok {
		return
	}
	if rf := s.withPartner(r.Context(), &o); rf != nil {
		s.refuse(w, r, lang, rf)
		return
	}
	s.render(w, http.StatusOK, "decline", declinePage{
		page:          s.page(T(lang, "decline.title"), lang),
		PartnerName:   o.partner.Name,
		TypeLabel:     s.Templates.TypeLabel(lang, o.inv.Type),
		DeclineAction: s.Links.Path("invite", o.token, "decline"),
		BackURL:       s.Links.Path("invite", o.token),
		CSRF:          s.csrfToken(w, r),
	})
}

// declineInvitation cancels the invitation: the same checks as accepting (a global
// or billing admin of the customer, the latest link, still open), nothing granted.
func (s *Server) declineInvitation(w http.ResponseWriter, r *http.Request) {
	o, lang, ok := s.openForPost(w, r, "decline")
	if !ok {
		return
	}
	if rf := s.withPartner(r.Context(), &o); rf != nil {
		s.refuse(w, r, lang, rf)
		return
	}
	inv, err := s.Store.Decline(r.Context(), partnerships.DeclineInput{
		InvitationID: o.inv.ID, TokenID: o.claims.ID, UserEmail: o.claims.Recipient,
		IP: clientIP(r), UserAgent: r.UserAgent(),
	})
	if err != nil {
		if fresh, ferr := s.Store.Invitation(r.Context(), o.inv.ID); ferr == nil {
			o.inv = fresh
		}
		s.refuse(w, r, lang, storeRefusal(err, o.inv, lang))
		return
	}
	s.Metrics.Invitation(metrics.StatusDeclined) // Observability (metrics)
	s.log(r).Info("invitation declined", "invitation_id", inv.ID, "customer_id", inv.CustomerID, "partner_id", inv.PartnerID, "ip", clientIP(r))
	s.notify(r, jobs.Event{Kind: jobs.EventInvitationDeclined, PartnerID: inv.PartnerID, CustomerID: inv.CustomerID,
		InvitationID: inv.ID, Actor: o.claims.Recipient, At: inv.DecidedAt})
	s.message(w, http.StatusOK, lang, "declined", o.partner.Name)
}
