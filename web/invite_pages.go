package web

import (
	"net/http"
	"sync"
	"time"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// reviewPage is the "Accept & authorize partner" page.
type reviewPage struct {
	page
	PartnerName, PartnerEmail, CustomerName string
	TypeLabel, TypeDescription              string
	Roles                                   []string
	Recipient                               string
	ExpiresAt                               time.Time
	PartnerMessage                          string
	CanAccept                               bool
	Doc                                     agreements.Document
	AgreementURL                            string
	AcceptAction                            string
	DeclineURL                              string
	CSRF                                    string
	Notice                                  string
	Term                                    string // Scheduler (sched): how long a time-bound relationship lasts
}

// reviewInvitation shows the invitation. It changes nothing (GET and HEAD).
func (s *Server) reviewInvitation(w http.ResponseWriter, r *http.Request) {
	o, _, ok := s.openForPage(w, r)
	if !ok {
		return
	}
	s.showReview(w, r, o, http.StatusOK, "")
}

// showReview renders the review page; noticeKey names a text shown above the form.
func (s *Server) showReview(w http.ResponseWriter, r *http.Request, o openInvite, status int, noticeKey string) {
	lang := localeFor(o.inv.Locale, r)
	// The partner, and the recipient as a user of the invitation's customer (what
	// Accept checks), in one round trip.
	partner, user, err := s.Store.PartnerAndUser(r.Context(), o.inv.PartnerID, o.inv.CustomerID, o.inv.Email)
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	o.partner = partner
	canAccept := user.CustomerID == o.inv.CustomerID && user.Role.CanAccept()
	doc := s.Agreements.Latest(lang)
	roles := make([]string, len(o.inv.Roles))
	for i, role := range o.inv.Roles {
		roles[i] = s.Templates.RoleLabel(lang, role)
	}
	notice := ""
	if noticeKey != "" {
		notice = T(lang, noticeKey)
	}
	s.render(w, status, "review", reviewPage{
		page:            s.page(T(lang, "review.title"), lang),
		PartnerName:     o.partner.Name,
		PartnerEmail:    o.partner.ContactEmail,
		CustomerName:    o.customer.Name,
		TypeLabel:       s.Templates.TypeLabel(lang, o.inv.Type),
		TypeDescription: s.Templates.TypeDescription(lang, o.inv.Type),
		Roles:           roles,
		Recipient:       o.inv.Email,
		ExpiresAt:       o.inv.ExpiresAt,
		PartnerMessage:  o.inv.Message,
		CanAccept:       canAccept,
		Doc:             doc,
		AgreementURL:    s.Links.Path("agreements", doc.Version, doc.Locale),
		AcceptAction:    s.Links.Path("invite", o.token, "accept"),
		DeclineURL:      s.Links.Path("invite", o.token, "decline"),
		CSRF:            s.csrfToken(w, r),
		Notice:          notice,
		Term:            termText(lang, o.inv),
	})
}

// acceptInvitation records the acceptance and the agreement signature at once, then
// shows the customer's partner list.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	o, lang, ok := s.openForPost(w, r, "accept")
	if !ok {
		return
	}
	if rf := statusRefusal(o.inv, lang); rf != nil {
		s.refuse(w, r, lang, rf)
		return
	}
	if v := r.PostFormValue("agree"); v != "yes" && v != "on" {
		s.showReview(w, r, o, http.StatusUnprocessableEntity, "review.tick_box")
		return
	}
	doc, err := s.Agreements.Get(r.PostFormValue("agreement_version"), r.PostFormValue("agreement_locale"))
	if err != nil || doc != s.Agreements.Latest(lang) || doc.SHA256 != r.PostFormValue("agreement_sha256") {
		s.showReview(w, r, o, http.StatusConflict, "review.agreement_new")
		return
	}
	a, err := s.Store.AcceptDetailed(r.Context(), partnerships.AcceptInput{
		InvitationID: o.inv.ID,
		TokenID:      o.claims.ID,
		UserEmail:    o.claims.Recipient,
		Agreement:    partnerships.AgreementRef{Version: doc.Version, Locale: doc.Locale, SHA256: doc.SHA256},
		IP:           clientIP(r),
		UserAgent:    r.UserAgent(),
		Read:         &o.inv, // spares Accept reading its partner and duration
	})
	if err != nil {
		if fresh, ferr := s.Store.Invitation(r.Context(), o.inv.ID); ferr == nil {
			o.inv = fresh
		}
		s.refuse(w, r, lang, storeRefusal(err, o.inv, lang))
		return
	}
	acc := a.Acceptance
	s.Metrics.Invitation(metrics.StatusAccepted) // Observability (metrics)
	s.log(r).Info("invitation accepted", "invitation_id", o.inv.ID, "acceptance_id", acc.ID,
		"customer_id", o.inv.CustomerID, "partner_id", o.inv.PartnerID, "ip", acc.IP)
	// The partner's notification is queued while the store starts the session and
	// reads the partner list: two round trips at once rather than one after the
	// other. It is one event: the accepted notice says the agreement was signed
	// too, and the webhook gets agreement.signed as well (jobs.Notifier).
	var queued sync.WaitGroup
	queued.Go(func() {
		s.notify(r, jobs.Event{Kind: jobs.EventInvitationAccepted, PartnerID: o.inv.PartnerID, CustomerID: o.inv.CustomerID,
			InvitationID: o.inv.ID, AcceptanceID: acc.ID, Actor: acc.UserEmail, At: acc.AcceptedAt})
	})
	// Customer portal: the accepting admin is signed in, so the partner list's
	// links to each partner's details work at once.
	after, err := s.Store.ListAfterAccept(r.Context(), a, true)
	queued.Wait()
	if after.SessionErr != nil {
		s.log(r).Warn("portal session not started", "err", after.SessionErr, "ip", clientIP(r))
	} else {
		s.setSession(w, after.Session)
	}
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	partnerName := o.inv.PartnerID
	for _, v := range after.Views {
		if v.Partner.ID == o.inv.PartnerID {
			partnerName = v.Partner.Name
		}
	}
	s.showPartners(w, r, lang, o.customer, after.Views, Tf(lang, "partners.accepted", partnerName))
}

// partnersPage lists the partners a customer works with.
type partnersPage struct {
	page
	CustomerName string
	Notice       string
	Rows         []partnerRow
	Nav          *portalNav // customer portal: set for a signed-in admin
}

type partnerRow struct {
	PartnerName      string
	Types, Roles     []string
	AgreementVersion string
	SignedBy         string
	SignedAt         time.Time
	Since            time.Time
	// Customer portal.
	DetailsURL     string
	AgreementURL   string // set when the current agreement is not signed
	AgreementStale bool   // signed, but an older version
}

// showPartners renders customer c's partner list (views, as the store's
// CustomerPartners returns it).
func (s *Server) showPartners(w http.ResponseWriter, r *http.Request, lang string, c partnerships.Customer,
	views []partnerships.RelationshipView, notice string) {
	latest := s.Agreements.Latest(lang).Version
	rows := make([]partnerRow, 0, len(views))
	for _, v := range views {
		rel := v.Relationship
		row := partnerRow{PartnerName: rel.PartnerID, Since: rel.Since,
			DetailsURL: s.Links.Path("portal", "partners", rel.PartnerID)}
		if v.Partner.ID != "" {
			row.PartnerName = v.Partner.Name
		}
		for _, t := range rel.Types {
			row.Types = append(row.Types, s.Templates.TypeLabel(lang, t))
		}
		for _, role := range rel.Roles {
			row.Roles = append(row.Roles, s.Templates.RoleLabel(lang, role))
		}
		if a := v.Acceptance; a.ID != "" {
			row.AgreementVersion, row.SignedBy, row.SignedAt = a.AgreementVersion, a.UserEmail, a.AcceptedAt
		}
		if row.AgreementVersion != latest {
			row.AgreementURL = s.Links.Path("portal", "partners", rel.PartnerID, "agreement")
			row.AgreementStale = row.AgreementVersion != ""
		}
		rows = append(rows, row)
	}
	s.render(w, http.StatusOK, "partners", partnersPage{
		page: s.page(T(lang, "partners.title"), lang), CustomerName: c.Name, Notice: notice, Rows: rows, Nav: s.nav(w, r),
	})
}

// agreementPage shows one version of the customer agreement.
type agreementPage struct {
	page
	Doc agreements.Document
}

func (s *Server) showAgreement(w http.ResponseWriter, r *http.Request) {
	doc, err := s.Agreements.Get(r.PathValue("version"), r.PathValue("locale"))
	if err != nil {
		s.message(w, http.StatusNotFound, localeFor(r.PathValue("locale"), r), "noagreement")
		return
	}
	s.render(w, http.StatusOK, "agreement", agreementPage{page: s.page(doc.Title, doc.Locale), Doc: doc})
}
