package partnerships

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Origin is where a partner's request came from, for the audit trail: the
// client's address ("addr" or "addr:port"; empty when not over the network) and
// its user agent.
type Origin struct {
	IP, UserAgent string
}

func (o Origin) clean() (ip, ua string, err error) {
	if o.IP != "" {
		if ip, err = cleanIP(o.IP); err != nil {
			return "", "", err
		}
	}
	return ip, cleanUserAgent(o.UserAgent), nil
}

// RelatedError is ErrAlreadyRelated naming the relationship that already has the
// invited type: its customer, partner, types and since (Roles is not filled).
type RelatedError struct {
	Relationship Relationship
}

func (e *RelatedError) Error() string {
	return fmt.Sprintf("%v: customer %s has types %v with partner %s since %s", ErrAlreadyRelated,
		e.Relationship.CustomerID, e.Relationship.Types, e.Relationship.PartnerID, e.Relationship.Since.Format(time.RFC3339))
}

func (e *RelatedError) Unwrap() error { return ErrAlreadyRelated }

// relatedError turns a script's RELATED refusal into a *RelatedError; any other
// error is returned as it is.
func relatedError(r reply, err error) error {
	if !errors.Is(err, ErrAlreadyRelated) {
		return err
	}
	v := r.strings()
	if len(v) != 4 {
		return err
	}
	return &RelatedError{Relationship{
		CustomerID: v[0], PartnerID: v[1], Types: splitList[RelationshipType](v[2]), Roles: []Role{}, Since: parseMS(v[3]),
	}}
}

// sendsOf reads an invitation's sends field; invitations stored before it existed
// were sent once.
func sendsOf(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// RevokeInvitation has partner partnerID withdraw its open invitation id: pending
// or sent → revoked, audited as invitation.revoked with o (scripts/revoke_invitation.lua).
// An invitation of another partner is ErrNotFound, like none; one no longer open
// returns it with an error wrapping ErrNotOpen. A refusal changes nothing.
func (s *Store) RevokeInvitation(ctx context.Context, partnerID, id string, o Origin) (Invitation, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Invitation{}, err
	}
	if !validPartnerID(partnerID) {
		return Invitation{}, invalid("partner_id", "%.40q is not a partner id", partnerID)
	}
	ip, ua, err := o.clean()
	if err != nil {
		return Invitation{}, err
	}
	r, err := s.run(ctx, revokeInvitationScript, []string{invitationKey(c, id), auditKey(c)},
		id, partnerID, msString(s.nowMS()), ip, ua)
	return invitationReply(r, err)
}

// Resent is what ResendInvitation did.
type Resent struct {
	Invitation Invitation // the invitation to send now: the same one, or the new one
	Replaced   string     // when a new one was created: the id of the one it replaces
}

// ResendInvitation has partner partnerID send its invitation id again
// (scripts/resend_invitation.lua), with ttl (1s to 90 days) as the new life:
//
//   - open and unexpired: the same invitation, same token id, back to pending with
//     Sends+1, ResentAt now and ExpiresAt now+ttl, but never beyond 90 days after
//     CreatedAt nor earlier than before;
//   - expired, failed or bounced: a new invitation (new id and token id, same
//     customer, email, type, roles, locale and message, CreatedAt now, ExpiresAt
//     now+ttl) replaces it; the old one records ReplacedBy (and is expired).
//
// Refusals, which change nothing: ErrNotFound (none, or another partner's),
// ErrReplaced (resend the newer one, named in the error), ErrNotOpen (accepted,
// declined or revoked), ErrUnknownRecipient, *RelatedError.
func (s *Store) ResendInvitation(ctx context.Context, partnerID, id string, ttl time.Duration, o Origin) (Resent, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Resent{}, err
	}
	if !validPartnerID(partnerID) {
		return Resent{}, invalid("partner_id", "%.40q is not a partner id", partnerID)
	}
	if ttl < minInvitationTTL || ttl > maxInvitationTTL {
		return Resent{}, invalid("ttl", "%v is not between %v and %v", ttl, minInvitationTTL, maxInvitationTTL)
	}
	ip, ua, err := o.clean()
	if err != nil {
		return Resent{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	fresh := Invitation{ID: newInvitationID(c), PartnerID: partnerID, CreatedAt: now}
	// The index entry of the invitation a resend may create, first (see keys.go);
	// taken back when the same invitation is sent again or the resend is refused.
	entry, err := s.indexInvitation(ctx, fresh)
	if err != nil {
		return Resent{}, err
	}
	// Reminders and expiry of either outcome, also first (derived, see keys.go):
	// the same invitation's entries move to its later expiry; the new one's are
	// taken back unless the resend created it.
	fresh.ExpiresAt = now.Add(ttl)
	freshDue := s.invitationEntries(fresh)
	if err := s.schedule(ctx, append(s.resendEntries(ctx, partnerID, id, now, ttl), freshDue...)); err != nil {
		s.unindexInvitation(ctx, partnerID, entry)
		return Resent{}, err
	}
	r, err := s.run(ctx, resendInvitationScript,
		[]string{invitationKey(c, id), invitationKey(c, fresh.ID), invitationsKey(c), usersKey(c),
			relationshipKey(c, partnerID), auditKey(c)},
		id, partnerID, msString(now), ttl.Milliseconds(), maxInvitationTTL.Milliseconds(),
		fresh.ID, newTokenID(), ip, ua)
	if err != nil || r.detail != "new" {
		s.unindexInvitation(ctx, partnerID, entry)
		s.unschedule(ctx, freshDue)
	}
	if err != nil {
		return Resent{}, relatedError(r, err)
	}
	inv, err := invitationReply(r, nil)
	if err != nil {
		return Resent{}, err
	}
	out := Resent{Invitation: inv}
	if r.detail == "new" {
		out.Replaced = id
	}
	return out, nil
}

// EndRelationship has partner partnerID end its relationship with customer
// customerID (scripts/end_relationship.lua): the relationship is deleted (every
// type and role goes), the partner leaves the customer's partner list, and
// relationship.ended is audited with o and what the relationship was. It returns
// the relationship as it was and when it ended. No relationship: ErrNotFound,
// changing nothing.
func (s *Store) EndRelationship(ctx context.Context, partnerID, customerID string, o Origin) (Relationship, time.Time, error) {
	if !validCustomerID(customerID) || !validPartnerID(partnerID) {
		return Relationship{}, time.Time{}, fmt.Errorf("%w: relationship %.40q–%.40q", ErrNotFound, customerID, partnerID)
	}
	ip, ua, err := o.clean()
	if err != nil {
		return Relationship{}, time.Time{}, err
	}
	now := s.nowMS()
	r, err := s.run(ctx, endRelationshipScript,
		[]string{relationshipKey(customerID, partnerID), customerPartnersKey(customerID), auditKey(customerID)},
		customerID, partnerID, msString(now), ip, ua)
	if err != nil {
		return Relationship{}, time.Time{}, err
	}
	v := r.strings()
	if len(v) != 3 {
		return Relationship{}, time.Time{}, fmt.Errorf("partnerships: end relationship %s–%s: unexpected reply %q", customerID, partnerID, v)
	}
	return Relationship{
		CustomerID: customerID, PartnerID: partnerID,
		Types: splitList[RelationshipType](v[0]), Roles: splitList[Role](v[1]), Since: parseMS(v[2]), UpdatedAt: now,
	}, now, nil
}

// RelationshipHistory returns the events of customer customerID's audit trail that
// concern partner partnerID (its invitations, acceptances, resends, the end),
// newest first: what both sides see of their relationship.
func (s *Store) RelationshipHistory(ctx context.Context, customerID, partnerID string) ([]AuditEvent, error) {
	all, err := s.Audit(ctx, customerID, maxAuditLimit)
	if err != nil {
		return nil, err
	}
	out := []AuditEvent{}
	for _, ev := range all {
		if ev.PartnerID == partnerID {
			out = append(out, ev)
		}
	}
	return out, nil
}

// resendEntries are the due entries invitation id would have if a resend at now
// sends it again: reminders before its later expiry, and that expiry. The
// invitation is read outside the script; entries are re-checked when they run, so
// one that a concurrent change made wrong only costs a task that does nothing.
func (s *Store) resendEntries(ctx context.Context, partnerID, id string, now time.Time, ttl time.Duration) []redis.Z {
	inv, err := s.Invitation(ctx, id)
	if err != nil || inv.PartnerID != partnerID || !inv.Status.Open() || !now.Before(inv.ExpiresAt) {
		return nil
	}
	exp := now.Add(ttl)
	if limit := inv.CreatedAt.Add(maxInvitationTTL); exp.After(limit) {
		exp = limit
	}
	if exp.Before(inv.ExpiresAt) {
		exp = inv.ExpiresAt
	}
	inv.ExpiresAt, inv.CreatedAt = exp, now
	return s.invitationEntries(inv)
}
