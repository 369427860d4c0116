package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// Partner API lifecycle (api helper): the partner's relationships.

// Relationship statuses in the API.
const (
	relationshipActive = "active"
	relationshipEnded  = "ended"
)

// relationshipResponse is a relationship as the partner API shows it.
type relationshipResponse struct {
	CustomerID string    `json:"customer_id"`
	PartnerID  string    `json:"partner_id"`
	Status     string    `json:"status,omitempty"` // active or ended
	Types      []string  `json:"types"`
	Roles      []string  `json:"roles"`
	Since      time.Time `json:"since,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
	EndedBy    string    `json:"ended_by,omitempty"`
	// History is the customer's audit events about this partner, newest first
	// (GET /api/v1/relationships/{customer_id} only).
	History []partnerships.AuditEvent `json:"history,omitempty"`
}

func toRelationshipResponse(rel partnerships.Relationship) relationshipResponse {
	out := relationshipResponse{
		CustomerID: rel.CustomerID, PartnerID: rel.PartnerID,
		Types: []string{}, Roles: []string{}, Since: rel.Since, UpdatedAt: rel.UpdatedAt,
	}
	for _, t := range rel.Types {
		out.Types = append(out.Types, string(t))
	}
	for _, r := range rel.Roles {
		out.Roles = append(out.Roles, string(r))
	}
	return out
}

// relationshipList is the answer of GET /api/v1/relationships.
type relationshipList struct {
	Relationships []relationshipResponse `json:"relationships"`
	NextCursor    string                 `json:"next_cursor,omitempty"`
}

func (s *Server) listRelationships(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	q, fields := queryParams(r.URL.Query(), "limit", "cursor")
	limit := listLimit(q, fields)
	if len(fields) > 0 {
		writeError(w, http.StatusBadRequest, "invalid query", fields)
		return
	}
	rels, next, err := s.Store.PartnerRelationships(r.Context(), partner.ID, limit, q.Get("cursor"))
	if errors.Is(err, partnerships.ErrInvalidInput) {
		writeError(w, http.StatusBadRequest, "invalid query", map[string]string{"cursor": "not a cursor this list returned"})
		return
	} else if err != nil {
		s.storeUnavailable(w, r, err)
		return
	}
	out := relationshipList{Relationships: make([]relationshipResponse, 0, len(rels)), NextCursor: next}
	for _, rel := range rels {
		resp := toRelationshipResponse(rel)
		resp.Status = relationshipActive
		out.Relationships = append(out.Relationships, resp)
	}
	writeJSON(w, http.StatusOK, out)
}

// getRelationship shows the partner's relationship with a customer and its
// history. An ended relationship is shown as ended while the customer's audit
// trail says so; a customer the partner never had a relationship with is 404.
func (s *Server) getRelationship(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	customerID := r.PathValue("customer_id")
	rel, err := s.Store.Relationship(r.Context(), customerID, partner.ID)
	if err != nil && !errors.Is(err, partnerships.ErrNotFound) {
		s.storeUnavailable(w, r, err)
		return
	}
	active := err == nil
	history, herr := s.Store.RelationshipHistory(r.Context(), customerID, partner.ID)
	if errors.Is(herr, partnerships.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such relationship", nil)
		return
	} else if herr != nil {
		s.storeUnavailable(w, r, herr)
		return
	}
	var resp relationshipResponse
	if active {
		resp = toRelationshipResponse(rel)
		resp.Status = relationshipActive
	} else {
		ended := lastEnd(history)
		if ended == nil {
			writeError(w, http.StatusNotFound, "no such relationship", nil)
			return
		}
		resp = relationshipResponse{CustomerID: customerID, PartnerID: partner.ID, Status: relationshipEnded,
			Types: []string{}, Roles: []string{}, EndedAt: ended.At, EndedBy: ended.Actor}
	}
	resp.History = history
	writeJSON(w, http.StatusOK, resp)
}

// lastEnd returns the newest relationship.ended event of history (newest first)
// if no acceptance came after it.
func lastEnd(history []partnerships.AuditEvent) *partnerships.AuditEvent {
	for i, ev := range history {
		switch ev.Action {
		case partnerships.ActionRelationshipEnded:
			return &history[i]
		case partnerships.ActionInvitationAccepted:
			return nil
		}
	}
	return nil
}

// endRelationship: the partner ends its relationship with a customer. Every type
// and role goes; the customer's admins are told (relationship.ended).
func (s *Server) endRelationship(w http.ResponseWriter, r *http.Request) {
	partner := partnerFrom(r.Context())
	if msg, fields := noBody(w, r); msg != "" {
		writeError(w, http.StatusBadRequest, msg, fields)
		return
	}
	rel, at, err := s.Store.EndRelationship(r.Context(), partner.ID, r.PathValue("customer_id"),
		partnerships.Origin{IP: clientIP(r), UserAgent: r.UserAgent()})
	if s.notFoundOrUnavailable(w, r, err, "relationship") {
		return
	}
	s.notify(r, jobs.Event{
		Kind: jobs.EventRelationshipEnded, PartnerID: partner.ID, CustomerID: rel.CustomerID,
		Actor: partner.ID, At: at,
		Detail: fmt.Sprintf("types=%s roles=%s", joinNames(rel.Types), joinNames(rel.Roles)),
	})
	s.log(r).Info("relationship ended by the partner", "customer_id", rel.CustomerID, "partner_id", partner.ID)
	resp := toRelationshipResponse(rel)
	resp.Status, resp.EndedAt, resp.EndedBy = relationshipEnded, at, partner.ID
	writeJSON(w, http.StatusOK, resp)
}

// joinNames is a comma list of type or role names.
func joinNames[T ~string](xs []T) string {
	ss := make([]string, len(xs))
	for i, x := range xs {
		ss[i] = string(x)
	}
	return strings.Join(ss, ",")
}
