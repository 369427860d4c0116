package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/agreements"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// signAgreementPage shows the customer agreement alone: read it, tick the box,
// Accept.
type signAgreementPage struct {
	page
	Nav          *portalNav
	PartnerName  string
	CustomerName string
	Types        []string
	CanAccept    bool
	Doc          agreements.Document
	Action       string
	CSRF         string
	Notice       string
}

// agreementTarget is whose agreement a page or POST is about, and who acts.
type agreementTarget struct {
	customerID, partnerID, email string
	action                       string // where the form posts
	fromLink                     bool   // reached through an emailed link (start a session after)
}

// portalAgreementForm is GET /portal/partners/{partner_id}/agreement.
func (s *Server) portalAgreementForm(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) {
	s.agreementForm(w, r, lang, s.portalTarget(r, sess), http.StatusOK, "")
}

// portalSignAgreement is POST /portal/partners/{partner_id}/agreement.
func (s *Server) portalSignAgreement(w http.ResponseWriter, r *http.Request, sess partnerships.Session, lang string) {
	if !s.portalPost(w, r, lang, "sign agreement") {
		return
	}
	s.signAgreement(w, r, lang, s.portalTarget(r, sess))
}

func (s *Server) portalTarget(r *http.Request, sess partnerships.Session) agreementTarget {
	id := r.PathValue("partner_id")
	return agreementTarget{customerID: sess.CustomerID, partnerID: id, email: sess.Email,
		action: s.Links.Path("portal", "partners", id, "agreement")}
}

// linkAgreementForm is GET /agreement/{token}, the page behind the emailed request.
func (s *Server) linkAgreementForm(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	t, ok := s.linkTarget(w, r, lang)
	if !ok {
		return
	}
	s.agreementForm(w, r, lang, t, http.StatusOK, "")
}

// linkSignAgreement is POST /agreement/{token}.
func (s *Server) linkSignAgreement(w http.ResponseWriter, r *http.Request) {
	lang := localeFor("", r)
	t, ok := s.linkTarget(w, r, lang)
	if !ok || !s.portalPost(w, r, lang, "sign agreement") {
		return
	}
	s.signAgreement(w, r, lang, t)
}

func (s *Server) linkTarget(w http.ResponseWriter, r *http.Request, lang string) (agreementTarget, bool) {
	token := r.PathValue("token")
	claims, err := s.Tokens.Verify(token, tokens.PurposeAgreement)
	customerID, partnerID, found := strings.Cut(claims.Subject, "/")
	if err == nil && (!found || claims.Recipient == "") {
		err = tokens.ErrMalformed
	}
	if err == nil {
		// Attacks: a link for someone who is not a user of that customer (another
		// recipient) is refused outright; the customer's other admins see the page.
		if u, uerr := s.Store.UserByEmail(r.Context(), claims.Recipient); uerr != nil || u.CustomerID != customerID {
			s.Logger.Warn("agreement link refused", "reason", "recipient is not a user of the customer", "ip", clientIP(r))
			s.message(w, http.StatusForbidden, lang, "agreement_link_invalid")
			return agreementTarget{}, false
		}
	}
	if err != nil {
		s.log(r).Warn("agreement link refused", "reason", err.Error(), "ip", clientIP(r))
		status := http.StatusBadRequest
		if errors.Is(err, tokens.ErrExpired) {
			status = http.StatusGone
		}
		s.message(w, status, lang, "agreement_link_invalid")
		return agreementTarget{}, false
	}
	return agreementTarget{customerID: customerID, partnerID: partnerID, email: claims.Recipient,
		action: s.Links.Path("agreement", token), fromLink: true}, true
}

// agreementForm shows the agreement page, or why it cannot be signed.
func (s *Server) agreementForm(w http.ResponseWriter, r *http.Request, lang string, t agreementTarget, status int, noticeKey string) {
	ctx := r.Context()
	rel, err := s.Store.Relationship(ctx, t.customerID, t.partnerID)
	if errors.Is(err, partnerships.ErrNotFound) {
		s.message(w, http.StatusNotFound, lang, "norelationship")
		return
	}
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	partner, err := s.Store.Partner(ctx, t.partnerID)
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	customer, err := s.Store.Customer(ctx, t.customerID)
	if err != nil {
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	doc := s.Agreements.Latest(lang)
	if rel.AcceptanceID != "" {
		if a, err := s.Store.Acceptance(ctx, t.customerID, rel.AcceptanceID); err == nil && a.AgreementVersion == doc.Version {
			s.message(w, http.StatusConflict, lang, "already_signed", partner.Name, a.AgreementVersion, a.UserEmail, formatDate(lang, a.AcceptedAt))
			return
		}
	}
	u, err := s.Store.UserByEmail(ctx, t.email)
	canAccept := err == nil && u.CustomerID == t.customerID && u.Role.CanAccept()
	p := signAgreementPage{page: s.page(T(lang, "sign.title"), lang), PartnerName: partner.Name, CustomerName: customer.Name,
		CanAccept: canAccept, Doc: doc, Action: t.action, CSRF: s.csrfToken(w, r)}
	if !t.fromLink {
		p.Nav = s.nav(w, r)
	}
	for _, typ := range rel.Types {
		p.Types = append(p.Types, s.Templates.TypeLabel(lang, typ))
	}
	if noticeKey != "" {
		p.Notice = T(lang, noticeKey)
	}
	s.render(w, status, "sign_agreement", p)
}

// signAgreement records the signature: box ticked, the agreement shown still the
// latest, and (checked by the store, before anything is written) the user a global
// or billing admin of the customer and the relationship not yet signed for it.
func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request, lang string, t agreementTarget) {
	if v := r.PostFormValue("agree"); v != "yes" && v != "on" {
		s.agreementForm(w, r, lang, t, http.StatusUnprocessableEntity, "review.tick_box_alone")
		return
	}
	doc, err := s.Agreements.Get(r.PostFormValue("agreement_version"), r.PostFormValue("agreement_locale"))
	if err != nil || doc != s.Agreements.Latest(doc.Locale) || doc.SHA256 != r.PostFormValue("agreement_sha256") {
		s.agreementForm(w, r, lang, t, http.StatusConflict, "review.agreement_new")
		return
	}
	acc, err := s.Store.SignAgreement(r.Context(), partnerships.SignAgreementInput{
		ActorInput: partnerships.ActorInput{CustomerID: t.customerID, PartnerID: t.partnerID, UserEmail: t.email, IP: clientIP(r), UserAgent: r.UserAgent()},
		Agreement:  partnerships.AgreementRef{Version: doc.Version, Locale: doc.Locale, SHA256: doc.SHA256},
	})
	switch {
	case errors.Is(err, partnerships.ErrNotAdmin):
		s.message(w, http.StatusForbidden, lang, "portal_notadmin")
		return
	case errors.Is(err, partnerships.ErrNotFound):
		s.message(w, http.StatusNotFound, lang, "norelationship")
		return
	case errors.Is(err, partnerships.ErrAlreadySigned):
		s.agreementForm(w, r, lang, t, http.StatusConflict, "")
		return
	case err != nil:
		s.refuse(w, r, lang, unavailable(err))
		return
	}
	s.log(r).Info("customer agreement signed", "customer_id", t.customerID, "partner_id", t.partnerID, "acceptance_id", acc.ID, "ip", acc.IP)
	s.notify(r, jobs.Event{Kind: jobs.EventAgreementSigned, PartnerID: t.partnerID, CustomerID: t.customerID,
		AcceptanceID: acc.ID, Actor: acc.UserEmail, At: acc.AcceptedAt})
	if t.fromLink {
		s.startSession(w, r, acc.UserEmail)
	}
	http.Redirect(w, r, s.Links.Path("portal")+"?done=agreement-signed", http.StatusSeeOther)
}

// agreementRequestBody is the optional body of POST
// /api/v1/customers/{customer_id}/agreement-requests.
type agreementRequestBody struct {
	Locale string `json:"locale"` // of the emails: en (default) or de
}

type agreementRequestResponse struct {
	CustomerID       string    `json:"customer_id"`
	PartnerID        string    `json:"partner_id"`
	AgreementVersion string    `json:"agreement_version"`
	Recipients       int       `json:"recipients"` // admins emailed (at most once an hour each)
	ExpiresAt        time.Time `json:"expires_at"` // of the links
}

// requestAgreement is the partner API's POST
// /api/v1/customers/{customer_id}/agreement-requests: email the customer's global
// and billing admins a link to sign the customer agreement.
func (s *Server) requestAgreement(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	customerID := r.PathValue("customer_id")
	var body agreementRequestBody
	if r.ContentLength != 0 {
		if msg, fields := decodeJSON(w, r, &body); msg != "" {
			writeError(w, http.StatusBadRequest, msg, fields)
			return
		}
	}
	if body.Locale == "" {
		body.Locale = "en"
	}
	if _, ok := dictionaries[body.Locale]; !ok {
		writeError(w, http.StatusBadRequest, "invalid request", map[string]string{"locale": "must be en or de"})
		return
	}
	doc := s.Agreements.Latest(body.Locale)
	err := s.Store.RequestAgreement(r.Context(), partnerships.RequestAgreementInput{
		CustomerID: customerID, PartnerID: partner.ID, Version: doc.Version, IP: clientIP(r), UserAgent: r.UserAgent(),
	})
	switch {
	case errors.Is(err, partnerships.ErrNotFound):
		writeError(w, http.StatusNotFound, "no relationship with this customer", nil)
		return
	case errors.Is(err, partnerships.ErrAlreadySigned):
		writeError(w, http.StatusConflict, "the customer agreement is already signed for version "+doc.Version, nil)
		return
	case err != nil:
		s.storeUnavailable(w, r, err)
		return
	}
	admins, err := s.Store.Admins(r.Context(), customerID)
	if err != nil {
		s.storeUnavailable(w, r, err)
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	expires := now.Add(s.cfg.InviteTTL)
	for _, a := range admins {
		p := jobs.AgreementRequestPayload{Email: a.Email, CustomerID: customerID, PartnerID: partner.ID, Version: doc.Version, Locale: body.Locale,
			Token: jobs.LinkToken{ID: tokens.NewID(), IssuedAt: now, ExpiresAt: expires}}
		if err := s.Enqueuer.SendAgreementRequest(r.Context(), p); err != nil && !errors.Is(err, jobs.ErrAlreadyQueued) {
			s.log(r).Error("agreement request not queued", "customer_id", customerID, "partner_id", partner.ID, "err", err)
			writeError(w, http.StatusServiceUnavailable, "partnerlink could not queue the emails; try again shortly", nil)
			return
		}
	}
	s.log(r).Info("agreement requested", "customer_id", customerID, "partner_id", partner.ID, "admins", len(admins))
	writeJSON(w, http.StatusAccepted, agreementRequestResponse{CustomerID: customerID, PartnerID: partner.ID,
		AgreementVersion: doc.Version, Recipients: len(admins), ExpiresAt: expires})
}
