package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// Partner API lifecycle (api helper): list, revoke and resend invitations.

// defaultListLimit is a list's page size when the request names none.
const defaultListLimit = 50

// unknownRecipientHelp is what the API says when the invited address is no user of
// any customer partnerlink knows.
const unknownRecipientHelp = "no customer registered in partnerlink has a user with this address: " +
	"the customer's global or billing administrator must first be registered by the partnerlink operator " +
	"(partnerlink customers add / customers add-user); then invite again"

// relatedErrorBody is the 409 answer to inviting a customer to a relationship type
// it already has with the partner.
type relatedErrorBody struct {
	Error        string               `json:"error"`
	Relationship relationshipResponse `json:"relationship"`
}

// writeInviteRefusal answers a create or resend refused because of the customer:
// unknown address (422) or a relationship that already has the type (409).
func (s *Server) writeInviteRefusal(w http.ResponseWriter, err error) {
	var related *partnerships.RelatedError
	switch {
	case errors.As(err, &related):
		rel := related.Relationship
		writeJSON(w, http.StatusConflict, relatedErrorBody{
			Error: fmt.Sprintf("customer %s already has a %s relationship with you (since %s); nothing to invite",
				rel.CustomerID, joinTypes(rel.Types), rel.Since.Format(time.RFC3339)),
			Relationship: toRelationshipResponse(rel),
		})
	case errors.Is(err, partnerships.ErrUnknownRecipient):
		writeError(w, http.StatusUnprocessableEntity, "no customer known to partnerlink has a user with this email address",
			map[string]string{"customer_email": unknownRecipientHelp})
	}
}

func joinTypes(ts []partnerships.RelationshipType) string {
	ss := make([]string, len(ts))
	for i, t := range ts {
		ss[i] = string(t)
	}
	return strings.Join(ss, ", ")
}

// noBody checks that a POST without parameters carries nothing but, at most, an
// empty JSON object: an unknown field is refused by name.
func noBody(w http.ResponseWriter, r *http.Request) (string, map[string]string) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		return fmt.Sprintf("%s%d bytes", bodyTooLarge, maxAPIBody), nil
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return "", nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var v struct{}
	if err := dec.Decode(&v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return "this request takes no parameters", map[string]string{strings.Trim(name, `"`): "unknown field"}
		}
		return "body must be empty or {}: " + err.Error(), nil
	}
	return "", nil
}

// notFoundOrUnavailable answers 404 for a store error meaning the partner has no such
// record, and 503 for any other; it reports whether it answered.
func (s *Server) notFoundOrUnavailable(w http.ResponseWriter, r *http.Request, err error, what string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, partnerships.ErrNotFound):
		// Another partner's record is indistinguishable from none.
		writeError(w, http.StatusNotFound, "no such "+what, nil)
	default:
		s.storeUnavailable(w, r, err)
	}
	return true
}

func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	if msg, fields := noBody(w, r); msg != "" {
		writeError(w, http.StatusBadRequest, msg, fields)
		return
	}
	inv, err := s.Store.RevokeInvitation(r.Context(), partner.ID, r.PathValue("id"),
		partnerships.Origin{IP: clientIP(r), UserAgent: r.UserAgent()})
	if errors.Is(err, partnerships.ErrNotOpen) {
		writeError(w, http.StatusConflict, fmt.Sprintf("invitation %s is %s and can no longer be revoked", inv.ID, inv.Status), nil)
		return
	}
	if s.notFoundOrUnavailable(w, r, err, "invitation") {
		return
	}
	s.Metrics.Invitation(metrics.StatusRevoked) // Observability (metrics)
	s.log(r).Info("invitation revoked", "invitation_id", inv.ID, "partner_id", partner.ID)
	writeJSON(w, http.StatusOK, toResponse(inv))
}

func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	if msg, fields := noBody(w, r); msg != "" {
		writeError(w, http.StatusBadRequest, msg, fields)
		return
	}
	id := r.PathValue("id")
	res, err := s.Store.ResendInvitation(r.Context(), partner.ID, id, s.cfg.InviteTTL,
		partnerships.Origin{IP: clientIP(r), UserAgent: r.UserAgent()})
	switch {
	case errors.Is(err, partnerships.ErrReplaced):
		old, _ := s.Store.Invitation(r.Context(), id)
		writeError(w, http.StatusConflict, fmt.Sprintf("invitation %s was already replaced by %s: resend that one", id, old.ReplacedBy), nil)
		return
	case errors.Is(err, partnerships.ErrNotOpen):
		old, _ := s.Store.Invitation(r.Context(), id)
		writeError(w, http.StatusConflict, fmt.Sprintf("invitation %s is %s and cannot be resent", id, old.Status), nil)
		return
	case errors.Is(err, partnerships.ErrUnknownRecipient), errors.Is(err, partnerships.ErrAlreadyRelated):
		s.writeInviteRefusal(w, err)
		return
	}
	if s.notFoundOrUnavailable(w, r, err, "invitation") {
		return
	}
	inv := res.Invitation
	log := s.log(r).With("invitation_id", inv.ID, "partner_id", partner.ID)
	if res.Replaced != "" {
		s.Metrics.Invitation(metrics.StatusCreated) // Observability (metrics): the replacement
	}
	if res.Replaced == "" {
		err = s.Enqueuer.ResendInvitationOf(r.Context(), inv)
	} else {
		err = s.Enqueuer.SendInvitationOf(r.Context(), inv)
	}
	if err != nil && !errors.Is(err, jobs.ErrAlreadyQueued) {
		log.Error("invitation resent but its send could not be queued", "err", err)
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("invitation %s was updated but its email could not be queued; resend again shortly", inv.ID), nil)
		return
	}
	if res.Replaced == "" {
		log.Info("invitation resent", "sends", inv.Sends)
		writeJSON(w, http.StatusOK, toResponse(inv))
		return
	}
	log.Info("invitation replaced by a new one", "replaces", res.Replaced)
	w.Header().Set("Location", s.Links.Path("api", "v1", "invitations", inv.ID))
	writeJSON(w, http.StatusCreated, toResponse(inv))
}

// invitationList is the answer of GET /api/v1/invitations.
type invitationList struct {
	Invitations []invitationResponse `json:"invitations"`
	NextCursor  string               `json:"next_cursor,omitempty"`
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	q, fields := queryParams(r.URL.Query(), "status", "limit", "cursor")
	f := partnerships.InvitationFilter{Status: partnerships.Status(q.Get("status")), Cursor: q.Get("cursor")}
	if f.Status != "" && !slices.Contains(partnerships.Statuses(), f.Status) {
		fields["status"] = fmt.Sprintf("must be one of %v", partnerships.Statuses())
	}
	f.Limit = listLimit(q, fields)
	if len(fields) > 0 {
		writeError(w, http.StatusBadRequest, "invalid query", fields)
		return
	}
	list, next, err := s.Store.PartnerInvitations(r.Context(), partner.ID, f)
	if errors.Is(err, partnerships.ErrInvalidInput) {
		writeError(w, http.StatusBadRequest, "invalid query", map[string]string{"cursor": "not a cursor this list returned"})
		return
	} else if err != nil {
		s.storeUnavailable(w, r, err)
		return
	}
	out := invitationList{Invitations: make([]invitationResponse, 0, len(list)), NextCursor: next}
	for _, inv := range list {
		out.Invitations = append(out.Invitations, toResponse(inv))
	}
	writeJSON(w, http.StatusOK, out)
}

// queryParams refuses repeated and unknown query parameters by name.
func queryParams(q url.Values, known ...string) (url.Values, map[string]string) {
	fields := map[string]string{}
	for k, vs := range q {
		switch {
		case !slices.Contains(known, k):
			fields[k] = fmt.Sprintf("unknown parameter; known: %v", known)
		case len(vs) > 1:
			fields[k] = "given more than once"
		}
	}
	return q, fields
}

// listLimit reads the limit parameter: 1 to MaxListLimit, default defaultListLimit.
func listLimit(q url.Values, fields map[string]string) int {
	v := q.Get("limit")
	if v == "" {
		return defaultListLimit
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > partnerships.MaxListLimit {
		fields["limit"] = fmt.Sprintf("must be a whole number from 1 to %d, got %q", partnerships.MaxListLimit, v)
	}
	return n
}
