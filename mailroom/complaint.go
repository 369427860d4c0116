package mailroom

import (
	"context"
	"errors"
	"log/slog"

	"github.com/partnerlink/partnerlink/bounces"
	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/partnerships"
)

// complaint acts on an abuse report (ARF): the recipient reported partnerlink's
// mail as spam, so the address partnerlink sent it to is suppressed at once.
// That is the invitation's address when the report names an invitation of
// ours (providers often redact the recipient), else the report's recipient.
// Suppressing is idempotent, so the same report twice changes nothing more.
func (r *Router) complaint(ctx context.Context, log *slog.Logger, rep bounces.Report) (inbox.Decision, error) {
	email := rep.Recipient
	if rep.InvitationID != "" {
		log = log.With("invitation_id", rep.InvitationID)
		inv, err := r.store.Invitation(ctx, rep.InvitationID)
		switch {
		case err == nil:
			email = inv.Email
		case errors.Is(err, partnerships.ErrNotFound):
		default:
			return inbox.Decision{}, err
		}
	}
	if email == "" {
		return reject(log, "complaint (%s) naming no recipient and no invitation of ours", rep.FeedbackType), nil
	}
	newly, err := r.store.SuppressComplaint(ctx, email, rep.FeedbackType)
	if errors.Is(err, partnerships.ErrInvalidInput) {
		return reject(log, "complaint (%s) for %q: %v", rep.FeedbackType, email, err), nil
	} else if err != nil {
		return inbox.Decision{}, err
	}
	if !newly {
		return processed(log, "complaint (%s) from %s, already suppressed: nothing changed", rep.FeedbackType, email), nil
	}
	log.Warn("recipient complained: address suppressed", "email", email, "feedback_type", rep.FeedbackType)
	return processed(log, "complaint (%s) from %s: address suppressed", rep.FeedbackType, email), nil
}
