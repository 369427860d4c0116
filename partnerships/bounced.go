package partnerships

import (
	"context"
)

// ActionInvitationBounced is audited when a bounce came back for an invitation.
const ActionInvitationBounced = "invitation.bounced"

// MarkBounced records that a bounce came back for the invitation's email: the
// address does not take mail. Pending or sent → bounced with the reason (cut to
// 1000 bytes) as FailureReason, audited "invitation.bounced". An invitation
// already bounced is returned unchanged without error (a bounce may arrive twice).
// Any other status returns the invitation with an error wrapping ErrNotOpen.
func (s *Store) MarkBounced(ctx context.Context, id, reason string) (Invitation, error) {
	return s.closeWithReason(ctx, id, reason, StatusBounced, ActionInvitationBounced, true)
}
