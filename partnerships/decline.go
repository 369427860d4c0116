package partnerships

import (
	"context"
)

// DeclineInput is one admin's cancellation of an invitation.
type DeclineInput struct {
	InvitationID string
	TokenID      string // id of the token presented; must be the invitation's TokenID
	UserEmail    string // a global or billing admin of the invitation's customer
	IP           string // "addr" or "addr:port"; required
	UserAgent    string // cut to 512 bytes
}

// Decline has a customer admin cancel an invitation instead of accepting it
// (scripts/decline.lua). It refuses exactly as Accept does, in the same order
// (ErrNotFound, ErrTokenSuperseded, ErrAlreadyAccepted, ErrNotOpen, ErrExpired,
// ErrNotAdmin), and a refusal changes nothing. On success the invitation is declined,
// nothing is granted, and "invitation.declined" is audited.
func (s *Store) Decline(ctx context.Context, in DeclineInput) (Invitation, error) {
	customerID, err := CustomerOfInvitation(in.InvitationID)
	if err != nil {
		return Invitation{}, err
	}
	email, err := cleanEmail("user_email", in.UserEmail)
	if err != nil {
		return Invitation{}, err
	}
	ip, err := cleanIP(in.IP)
	if err != nil {
		return Invitation{}, err
	}
	ua := cleanUserAgent(in.UserAgent)
	c := customerID
	if _, err := s.run(ctx, declineScript,
		[]string{invitationKey(c, in.InvitationID), usersKey(c), auditKey(c)},
		in.InvitationID, in.TokenID, email, msString(s.nowMS()), c, ip, ua); err != nil {
		return Invitation{}, err
	}
	return s.Invitation(ctx, in.InvitationID)
}
