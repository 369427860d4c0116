package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// removeRolesPage asks "Remove roles?" before anything changes.
type removeRolesPage struct {
	page
	Nav         *portalNav
	PartnerName string
	Roles       []string
	Action      string
	BackURL     string
	CSRF        string
}

// confirmRemoveRoles is GET /portal/partners/{partner_id}/remove-roles.
func (s *Server) confirmRemoveRoles(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) {
	rel, partner, ok := s.relationshipFor(w, r, sess, lang)
	if !ok {
		return
	}
	if len(rel.Roles) == 0 {
		s.message(w, http.StatusConflict, lang, "noroles", partner.Name)
		return
	}
	p := removeRolesPage{page: s.page(T(lang, "remove.title"), lang), Nav: s.nav(w, r), PartnerName: partner.Name,
		Action:  s.Links.Path("portal", "partners", rel.PartnerID, "remove-roles"),
		BackURL: s.Links.Path("portal", "partners", rel.PartnerID), CSRF: s.csrfToken(w, r)}
	for _, role := range rel.Roles {
		p.Roles = append(p.Roles, s.Templates.RoleLabel(lang, role))
	}
	s.render(w, http.StatusOK, "remove_roles", p)
}

// removeRoles is POST /portal/partners/{partner_id}/remove-roles: the store checks
// the session user is still a global or billing admin before it changes anything.
func (s *Server) removeRoles(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) {
	if !s.portalPost(w, r, lang, "remove roles") {
		return
	}
	partnerID := r.PathValue("partner_id")
	removed, rel, err := s.Store.RemoveRoles(r.Context(), partnerships.ActorInput{
		CustomerID: sess.CustomerID, PartnerID: partnerID, UserEmail: sess.Email, IP: clientIP(r), UserAgent: r.UserAgent(),
	})
	switch {
	case errors.Is(err, partnerships.ErrNotAdmin):
		s.message(w, http.StatusForbidden, lang, "portal_notadmin")
		return
	case errors.Is(err, partnerships.ErrNotFound):
		s.message(w, http.StatusNotFound, lang, "norelationship")
		return
	case errors.Is(err, partnerships.ErrNoRoles):
		name := partnerID
		if p, err := s.Store.Partner(r.Context(), partnerID); err == nil {
			name = p.Name
		}
		s.message(w, http.StatusConflict, lang, "noroles", name)
		return
	case err != nil:
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	names := make([]string, len(removed))
	for i, role := range removed {
		names[i] = string(role)
	}
	s.log(r).Info("partner roles removed", "customer_id", sess.CustomerID, "partner_id", partnerID, "roles", names, "ip", clientIP(r))
	s.notify(r, jobs.Event{Kind: jobs.EventRolesRemoved, PartnerID: partnerID, CustomerID: sess.CustomerID,
		Actor: sess.Email, At: rel.UpdatedAt, Detail: strings.Join(names, ",")})
	http.Redirect(w, r, s.Links.Path("portal", "partners", partnerID)+"?done=roles-removed", http.StatusSeeOther)
}

// notify queues ev after a change that succeeded. A failure is logged only: the
// change is done, and the same event queued twice is told once.
func (s *Server) notify(r *http.Request, ev jobs.Event) {
	if err := s.Enqueuer.Notify(r.Context(), ev); err != nil && !errors.Is(err, jobs.ErrAlreadyQueued) {
		s.log(r).Error("notification not queued", "kind", ev.Kind, "customer_id", ev.CustomerID, "partner_id", ev.PartnerID, "err", err)
	}
}
