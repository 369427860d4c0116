package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

const maxAPIBody = 64 << 10

// createInvitationRequest is the body of POST /api/v1/invitations.
type createInvitationRequest struct {
	CustomerEmail    string   `json:"customer_email"`
	RelationshipType string   `json:"relationship_type"`
	Locale           string   `json:"locale"`
	Roles            []string `json:"roles"`   // optional: default all the type's roles
	Message          string   `json:"message"` // optional personal note

	// Scheduler (sched): a time-bound relationship (see parseDuration).
	Duration   json.RawMessage `json:"duration"`    // optional: "720h", "30d" or a number of days; 1 day to 2 years
	AutoExtend bool            `json:"auto_extend"` // optional: extend by 180 days at the end; not with global_admin
	LeadID     string          `json:"lead_id"`     // optional: the directory lead this answers (directory)
}

// invitationResponse is an invitation as the partner API shows it.
type invitationResponse struct {
	ID               string    `json:"id"`
	Status           string    `json:"status"`
	CustomerID       string    `json:"customer_id"`
	CustomerEmail    string    `json:"customer_email"`
	RelationshipType string    `json:"relationship_type"`
	Roles            []string  `json:"roles"`
	Locale           string    `json:"locale"`
	CreatedAt        time.Time `json:"created_at"`
	SentAt           time.Time `json:"sent_at,omitzero"`
	ExpiresAt        time.Time `json:"expires_at"`
	DecidedAt        time.Time `json:"decided_at,omitzero"`
	FailureReason    string    `json:"failure_reason,omitempty"`
	// Partner API lifecycle (api helper): resend.
	Sends      int       `json:"sends"`
	ResentAt   time.Time `json:"resent_at,omitzero"`
	ReplacedBy string    `json:"replaced_by,omitempty"`
	Replaces   string    `json:"replaces,omitempty"`

	// Scheduler (sched).
	Duration   string `json:"duration,omitempty"` // whole hours, e.g. "720h"
	AutoExtend bool   `json:"auto_extend,omitempty"`
}

func toResponse(inv partnerships.Invitation) invitationResponse {
	roles := make([]string, len(inv.Roles))
	for i, r := range inv.Roles {
		roles[i] = string(r)
	}
	return invitationResponse{
		ID: inv.ID, Status: string(inv.Status), CustomerID: inv.CustomerID, CustomerEmail: inv.Email,
		RelationshipType: string(inv.Type), Roles: roles, Locale: inv.Locale,
		CreatedAt: inv.CreatedAt, SentAt: inv.SentAt, ExpiresAt: inv.ExpiresAt, DecidedAt: inv.DecidedAt,
		FailureReason: inv.FailureReason,
		Sends:         inv.Sends, ResentAt: inv.ResentAt, ReplacedBy: inv.ReplacedBy, Replaces: inv.Replaces,
		Duration: formatDuration(inv.Duration), AutoExtend: inv.AutoExtend,
	}
}

// createInvitation authenticates its caller itself rather than behind
// partnerOnly, so that the API key's partner, the rate limit and the reads the
// store makes about the recipient share one round trip to Redis. A key of the wrong form is refused
// before the body is read; the body is read before the key is looked up, but
// answered only after: an unknown key gets 401 and a partner over its limit 429,
// whatever the body, as behind partnerOnly.
func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) {
	key, ok := bearerKey(w, r)
	if !ok {
		return
	}
	if !partnerships.ValidAPIKey(key) {
		s.unknownAPIKey(w, r)
		return
	}
	var req createInvitationRequest
	msg, fields := decodeJSON(w, r, &req)
	var in partnerships.NewInvitation
	if msg == "" {
		if in, fields = req.validate("", s.cfg.InviteTTL); len(fields) > 0 {
			msg = "invalid invitation request"
		}
	}
	email := ""
	if msg == "" {
		email = in.Email
	}
	partner, rc, decide, err := s.partnerByKey(r, key, email)
	if r, ok = s.admitPartner(w, r, partner, decide, err); !ok {
		return
	}
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg, fields)
		return
	}
	in.PartnerID, in.Recipient = partner.ID, rc
	in.IP, in.UserAgent = clientIP(r), r.UserAgent()
	if in.LeadID != "" && !s.leadNamesPartner(w, r, in.LeadID, partner.ID) {
		return
	}
	inv, err := s.Store.CreateInvitation(r.Context(), in)
	switch {
	case errors.Is(err, partnerships.ErrUnknownRecipient), errors.Is(err, partnerships.ErrAlreadyRelated):
		s.writeInviteRefusal(w, err)
		return
	case errors.Is(err, partnerships.ErrSuppressed):
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("invitations to %s are suppressed", in.Email),
			map[string]string{"customer_email": "suppressed: " + in.Email + " bounced repeatedly or its recipient reported our mail as spam; an operator can lift it (partnerlink suppressions lift)"})
		return
	case errors.Is(err, partnerships.ErrInvalidInput), errors.Is(err, partnerships.ErrInvalidRole), errors.Is(err, partnerships.ErrInvalidType):
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	case err != nil:
		s.storeUnavailable(w, r, err)
		return
	}
	s.Metrics.Invitation(metrics.StatusCreated) // Observability (metrics)
	if err := s.Enqueuer.SendInvitationOf(r.Context(), inv); err != nil && !errors.Is(err, jobs.ErrAlreadyQueued) {
		// The invitation stays pending; the partner can see it and retry.
		s.log(r).Error("invitation stored but its send could not be queued",
			"invitation_id", inv.ID, "partner_id", partner.ID, "err", err)
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("invitation %s was stored but could not be queued for sending; try again shortly", inv.ID), nil)
		return
	}
	// The attributes go with the call, not a With: a disabled level formats nothing.
	s.log(r).Info("invitation created", "invitation_id", inv.ID, "partner_id", partner.ID, "type", inv.Type)
	w.Header().Set("Location", s.Links.Path("api", "v1", "invitations", inv.ID))
	writeJSON(w, http.StatusCreated, toResponse(inv))
}

func (s *Server) getInvitation(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	inv, err := s.Store.Invitation(r.Context(), r.PathValue("id"))
	if errors.Is(err, partnerships.ErrNotFound) || (err == nil && inv.PartnerID != partner.ID) {
		// Another partner's invitation is indistinguishable from none.
		writeError(w, http.StatusNotFound, "no such invitation", nil)
		return
	} else if err != nil {
		s.storeUnavailable(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toResponse(inv))
}

// validate checks every field and names each one that is wrong.
func (req createInvitationRequest) validate(partnerID string, ttl time.Duration) (partnerships.NewInvitation, map[string]string) {
	fields := map[string]string{}
	email := strings.TrimSpace(req.CustomerEmail)
	if email == "" {
		fields["customer_email"] = "required"
	} else if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
		fields["customer_email"] = "must be a plain email address such as admin@contoso.com"
	}
	typ, err := partnerships.ParseType(req.RelationshipType)
	if req.RelationshipType == "" {
		fields["relationship_type"] = fmt.Sprintf("required: one of %v", partnerships.Types())
	} else if err != nil {
		fields["relationship_type"] = fmt.Sprintf("must be one of %v", partnerships.Types())
	}
	locale := req.Locale
	if locale == "" {
		locale = templates.DefaultLocale
	} else if !slices.Contains(templates.Locales(), locale) {
		fields["locale"] = fmt.Sprintf("must be one of %v", templates.Locales())
	}
	var roles []partnerships.Role
	if req.Roles != nil && typ != "" {
		allowed := typ.Roles()
		for _, r := range req.Roles {
			if !slices.Contains(allowed, partnerships.Role(r)) {
				fields["roles"] = fmt.Sprintf("%q is not a role a %s relationship grants; allowed: %v", r, typ, allowed)
				break
			}
			roles = append(roles, partnerships.Role(r))
		}
		if roles == nil {
			roles = []partnerships.Role{}
		}
	}
	if n := len([]rune(req.Message)); n > 2000 {
		fields["message"] = fmt.Sprintf("at most 2000 characters, got %d", n)
	}
	duration, autoExtend := req.timeBound(typ, roles, fields)
	if req.LeadID != "" && !partnerships.ValidLeadID(req.LeadID) {
		fields["lead_id"] = "must be a lead id such as ld_… from a lead email"
	}
	return partnerships.NewInvitation{
		PartnerID: partnerID, Email: strings.ToLower(email), Type: typ, Roles: roles,
		Locale: locale, Message: req.Message, TTL: ttl, LeadID: req.LeadID,
		Duration: duration, AutoExtend: autoExtend,
	}, fields
}

// decodeJSON reads one JSON object into v, refusing unknown fields, wrong types,
// trailing data and bodies over maxAPIBody. It returns a message and field errors.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) (string, map[string]string) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return "Content-Type must be application/json", nil
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return "body must hold exactly one JSON object", nil
		}
		return "", nil
	}
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Sprintf("body must be a JSON object, got %s", typeErr.Value), nil
	case errors.As(err, &typeErr):
		return "invalid invitation request", map[string]string{typeErr.Field: fmt.Sprintf("must be a %s, got %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)}
	case errors.As(err, &maxErr):
		return fmt.Sprintf("%s%d bytes", bodyTooLarge, maxAPIBody), nil
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if name == "" { // found by FuzzAPIDecode: {"":1} named no field
			return `invalid invitation request: a field with an empty name ("") is not a field of the body`, nil
		}
		return "invalid invitation request", map[string]string{name: "unknown field"}
	case errors.Is(err, io.EOF):
		return "empty body: send a JSON object", nil
	default:
		return "body is not valid JSON: " + err.Error(), nil
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice":
		return "list"
	case "struct", "map":
		return "object"
	default:
		return goKind
	}
}
