package partnerships

import (
	"context"
	"fmt"
	"time"
)

// Audit actions. Every state change of an invitation appends one event (accepting
// appends two) to the customer's audit stream pl:{<customer id>}:audit, in the same
// atomic step as the change; the stream keeps about the newest 10000 events.
const (
	ActionInvitationCreated  = "invitation.created"
	ActionInvitationSent     = "invitation.sent"
	ActionInvitationFailed   = "invitation.failed"
	ActionInvitationAccepted = "invitation.accepted"
	ActionAgreementSigned    = "agreement.signed"
	ActionInvitationDeclined = "invitation.declined"
)

// Customer portal (portal.go).
const (
	ActionRolesRemoved       = "roles.removed"       // a customer admin removed a partner's roles
	ActionAgreementRequested = "agreement.requested" // a partner asked the customer to sign the agreement
)

// Partner API lifecycle (api helper): the partner revokes or resends an invitation
// or ends the relationship. The actor is the partner id.
const (
	ActionInvitationRevoked  = "invitation.revoked"
	ActionInvitationResent   = "invitation.resent"   // same invitation, later expiry, sent again
	ActionInvitationReplaced = "invitation.replaced" // detail replaced_by=<new id>; the new one is audited as created
	ActionRelationshipEnded  = "relationship.ended"
)

// maxAuditLimit is the most events one Audit call returns.
const maxAuditLimit = 10000

// AuditEvent is one entry of a customer's audit trail.
type AuditEvent struct {
	ID           string    `json:"id"` // the stream entry id
	At           time.Time `json:"at"` // the store's clock at the change
	Action       string    `json:"action"`
	Actor        string    `json:"actor"` // partner id, user email, or "system"
	PartnerID    string    `json:"partner_id,omitempty"`
	InvitationID string    `json:"invitation_id,omitempty"`
	IP           string    `json:"ip,omitempty"`
	UserAgent    string    `json:"user_agent,omitempty"`
	Detail       string    `json:"detail,omitempty"`
}

// Audit returns up to limit (1 to 10000; more is cut to 10000) of a customer's
// newest audit events, newest first.
func (s *Store) Audit(ctx context.Context, customerID string, limit int) ([]AuditEvent, error) {
	if limit < 1 {
		return nil, invalid("limit", "%d is not positive", limit)
	}
	limit = min(limit, maxAuditLimit)
	if err := s.customerExists(ctx, customerID); err != nil {
		return nil, err
	}
	msgs, err := s.rdb.XRevRangeN(ctx, auditKey(customerID), "+", "-", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("partnerships: read audit of %s: %w", customerID, err)
	}
	out := make([]AuditEvent, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		out = append(out, AuditEvent{
			ID:           m.ID,
			At:           parseMS(str("at")),
			Action:       str("action"),
			Actor:        str("actor"),
			PartnerID:    str("partner_id"),
			InvitationID: str("invitation_id"),
			IP:           str("ip"),
			UserAgent:    str("user_agent"),
			Detail:       str("detail"),
		})
	}
	return out, nil
}
