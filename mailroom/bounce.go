package mailroom

import (
	"context"
	"errors"
	"log/slog"

	"github.com/partnerlink/partnerlink/bounces"
	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// bounce acts on a delivery status notification: a permanent failure marks the
// invitation bounced, counts the address towards suppression and tells the
// partner; a delay is recorded as the mail's outcome and changes nothing else.
func (r *Router) bounce(ctx context.Context, log *slog.Logger, rep bounces.Report) (inbox.Decision, error) {
	if rep.InvitationID == "" {
		return reject(log, "bounce (%s) for no invitation of ours: recipient %q", rep.Format, rep.Recipient), nil
	}
	log = log.With("invitation_id", rep.InvitationID)
	if !rep.Permanent {
		return processed(log, "delivery delayed (%s %s): %s", rep.Status, rep.Recipient, rep.Diagnostic), nil
	}
	wasOpen := r.openBefore(ctx, rep.InvitationID) // Observability (metrics)
	inv, err := r.store.MarkBounced(ctx, rep.InvitationID, bounceReason(rep))
	switch {
	case errors.Is(err, partnerships.ErrNotFound):
		return reject(log, "bounce for unknown invitation %s", rep.InvitationID), nil
	case errors.Is(err, partnerships.ErrNotOpen):
		return processed(log, "hard bounce for invitation %s, which is already %s: nothing changed", rep.InvitationID, inv.Status), nil
	case err != nil:
		return inbox.Decision{}, err
	}
	if wasOpen {
		r.metrics.Invitation(metrics.StatusBounced)
	}
	// Count the address partnerlink sends to; the report's final recipient may be
	// where a forward led.
	email := inv.Email
	// Each step is idempotent per invitation (MarkBounced, the count keyed by the
	// invitation, the notice's task id), so a second report for it, or a second
	// pass over this one after a crash, changes nothing more.
	count, suppressed, err := r.store.RecordHardBounce(ctx, email, inv.ID)
	if err != nil {
		return inbox.Decision{}, err
	}
	if err := queued(r.enq.BounceNotice(ctx, inv.ID)); err != nil {
		return inbox.Decision{}, err
	}
	return processed(log, "hard bounce (%s, final recipient %s) of %s: invitation %s bounced, address bounced %d time(s), suppressed %v",
		rep.Status, rep.Recipient, email, inv.ID, count, suppressed), nil
}

func bounceReason(rep bounces.Report) string {
	reason := "bounced"
	if rep.Status != "" {
		reason += " " + rep.Status
	}
	if rep.Diagnostic != "" {
		reason += ": " + rep.Diagnostic
	}
	return reason
}
