package partnerships

import (
	"context"
	"strings"
)

// ActionInvitationBounced is audited when a bounce came back for an invitation.
const ActionInvitationBounced = "invitation.bounced"

// MarkBounced records that a bounce came back for the invitation's email: the
// address does not take mail. Pending or sent → bounced with the reason (cut to
// 1000 bytes) as FailureReason, audited "invitation.bounced". An invitation
// already bounced is returned unchanged without error (a bounce may arrive twice).
// Any other status returns the invitation with an error wrapping ErrNotOpen.
func (s *Store) MarkBounced(ctx context.Context, id, reason string) (Invitation, error) {
	c, err := CustomerOfInvitation(id)
	if err != nil {
		return Invitation{}, err
	}
	reason = strings.TrimSpace(truncateUTF8(reason, maxReasonBytes))
	if reason == "" {
		return Invitation{}, invalid("reason", "must not be empty")
	}
	r, err := s.run(ctx, markBouncedScript, []string{invitationKey(c, id), auditKey(c)},
		id, reason, msString(s.nowMS()))
	return invitationReply(r, err)
}
