package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// historyDepth is how many of the customer's newest audit events a partner's
// details page searches for that partner's history.
const historyDepth = 2000

// portalNav is the portal's navigation: shown on pages of a signed-in admin.
type portalNav struct {
	PartnersURL, InvitationsURL, SignOutAction, CSRF string
}

func (s *Server) nav(w http.ResponseWriter, r *http.Request) *portalNav {
	return &portalNav{
		PartnersURL: s.Links.Path("portal"), InvitationsURL: s.Links.Path("portal", "invitations"),
		SignOutAction: s.Links.Path("portal", "signout"), CSRF: s.csrfToken(w, r),
	}
}

// doneNotices are the outcomes a redirect after a POST may name (?done=…).
var doneNotices = map[string]string{"roles-removed": "notice.roles_removed", "agreement-signed": "notice.agreement_signed"}

func doneNotice(r *http.Request, lang string) string {
	if key, ok := doneNotices[r.URL.Query().Get("done")]; ok {
		return T(lang, key)
	}
	return ""
}

// portalHome is GET /portal: the partner relationships.
func (s *Server) portalHome(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) {
	c, views, err := s.Store.CustomerPartners(r.Context(), sess.CustomerID)
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	s.showPartners(w, r, lang, c, views, doneNotice(r, lang))
}

// partnerPage is a partner's details.
type partnerPage struct {
	page
	Nav              *portalNav
	Notice           string
	Partner          partnerships.Partner
	Types, Roles     []string
	Since            time.Time
	Grants           []grantRow
	Signature        *partnerships.Acceptance
	AgreementCurrent bool
	AgreementURL     string
	RemoveRolesURL   string
	History          []historyRow
}

type grantRow struct {
	At           time.Time
	By           string
	Type         string
	Roles        []string
	InvitationID string
}

type historyRow struct {
	At            time.Time
	Action, Actor string
	IP, UA, Inv   string
	Detail        []detailItem // the event's detail, labelled (historyDetail)
}

// partnerDetails is GET /portal/partners/{partner_id}.
func (s *Server) partnerDetails(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) {
	rel, partner, ok := s.relationshipFor(w, r, sess, lang)
	if !ok {
		return
	}
	events, err := s.Store.PartnerHistory(r.Context(), sess.CustomerID, rel.PartnerID, historyDepth)
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	p := partnerPage{
		page: s.page(partner.Name, lang), Nav: s.nav(w, r), Notice: doneNotice(r, lang), Partner: partner, Since: rel.Since,
		AgreementURL:   s.Links.Path("portal", "partners", rel.PartnerID, "agreement"),
		RemoveRolesURL: s.Links.Path("portal", "partners", rel.PartnerID, "remove-roles"),
	}
	for _, t := range rel.Types {
		p.Types = append(p.Types, s.Templates.TypeLabel(lang, t))
	}
	for _, role := range rel.Roles {
		p.Roles = append(p.Roles, s.Templates.RoleLabel(lang, role))
	}
	if rel.AcceptanceID != "" {
		if a, err := s.Store.Acceptance(r.Context(), sess.CustomerID, rel.AcceptanceID); err == nil {
			p.Signature = &a
			p.AgreementCurrent = a.AgreementVersion == s.Agreements.Latest(lang).Version
		}
	}
	for _, ev := range events {
		label := TOr(lang, "action.", ev.Action)
		actor := ev.Actor
		if actor == partner.ID {
			actor = partner.Name // the partner itself (it invited, or asked for the agreement)
		}
		p.History = append(p.History, historyRow{At: ev.At, Action: label, Actor: actor, IP: ev.IP,
			Detail: s.historyDetail(lang, ev.Detail), UA: ev.UserAgent, Inv: ev.InvitationID})
		if ev.Action != partnerships.ActionInvitationAccepted {
			continue
		}
		g := grantRow{At: ev.At, By: ev.Actor, InvitationID: ev.InvitationID}
		for _, f := range strings.Fields(ev.Detail) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "type":
				g.Type = s.Templates.TypeLabel(lang, partnerships.RelationshipType(v))
			case "roles":
				for _, role := range strings.Split(v, ",") {
					if role != "" {
						g.Roles = append(g.Roles, s.Templates.RoleLabel(lang, partnerships.Role(role)))
					}
				}
			}
		}
		p.Grants = append(p.Grants, g)
	}
	s.render(w, http.StatusOK, "partner", p)
}

// relationshipFor loads the relationship of the session's customer with the
// partner in the path; 404 when there is none.
func (s *Server) relationshipFor(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) (partnerships.Relationship, partnerships.Partner, bool) {
	rel, err := s.Store.Relationship(r.Context(), sess.CustomerID, r.PathValue("partner_id"))
	if errors.Is(err, partnerships.ErrNotFound) {
		s.message(w, http.StatusNotFound, lang, "norelationship")
		return rel, partnerships.Partner{}, false
	}
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return rel, partnerships.Partner{}, false
	}
	partner, err := s.Store.Partner(r.Context(), rel.PartnerID)
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return rel, partner, false
	}
	return rel, partner, true
}

// invitationsPage lists the customer's open invitations.
type invitationsPage struct {
	page
	Nav  *portalNav
	Rows []invitationRow
}

type invitationRow struct {
	PartnerName, TypeLabel, SentTo string
	Roles                          []string
	CreatedAt, ExpiresAt           time.Time
	ReviewURL, CancelURL           string
}

// portalInvitations is GET /portal/invitations: open invitations, each with a link
// to its review page and to the existing cancel (decline) confirmation.
func (s *Server) portalInvitations(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) {
	invs, err := s.Store.InvitationsByCustomer(r.Context(), sess.CustomerID)
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	now := time.Now()
	p := invitationsPage{page: s.page(T(lang, "invitations.title"), lang), Nav: s.nav(w, r)}
	for _, inv := range invs {
		if !inv.Status.Open() || !now.Before(inv.ExpiresAt) {
			continue
		}
		token, _, err := s.Tokens.Issue(tokens.Claims{ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID,
			Recipient: inv.Email, IssuedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt})
		if err != nil {
			s.log(r).Error("portal: rebuild invitation link", "invitation_id", inv.ID, "err", err)
			continue
		}
		row := invitationRow{PartnerName: inv.PartnerID, TypeLabel: s.Templates.TypeLabel(lang, inv.Type), SentTo: inv.Email,
			CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
			ReviewURL: s.Links.Path("invite", token), CancelURL: s.Links.Path("invite", token, "decline")}
		if partner, err := s.Store.Partner(r.Context(), inv.PartnerID); err == nil {
			row.PartnerName = partner.Name
		}
		for _, role := range inv.Roles {
			row.Roles = append(row.Roles, s.Templates.RoleLabel(lang, role))
		}
		p.Rows = append(p.Rows, row)
	}
	s.render(w, http.StatusOK, "invitations", p)
}
