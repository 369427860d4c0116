package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/bounces"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// Reminder handles invitation:remind: it records reminder n on the invitation
// (only a sent, unexpired invitation whose recipient did not stop reminders gets
// one, and each reminder once) and sends the reminder email with the
// invitation's own link and a one-click stop-reminders link (RFC 8058).
type Reminder struct {
	store  *partnerships.Store
	tpl    *templates.Set
	mail   Mailer
	ring   *tokens.Ring
	links  *links.Builder
	domain string
	log    *slog.Logger
}

// NewReminder returns the invitation:remind handler.
func NewReminder(store *partnerships.Store, tpl *templates.Set, mail Mailer, ring *tokens.Ring, lb *links.Builder, domain string, log *slog.Logger) *Reminder {
	return &Reminder{store: store, tpl: tpl, mail: mail, ring: ring, links: lb, domain: domain, log: log}
}

// ProcessTask implements asynq.Handler.
func (r *Reminder) ProcessTask(ctx context.Context, t *asynq.Task) error {
	d, err := dueOf(t, partnerships.DueRemind)
	if err != nil {
		return err
	}
	log := taskLog(ctx, r.log, t).With("invitation_id", d.InvitationID, "reminder", d.N)
	inv, err := r.store.RecordReminder(ctx, d.InvitationID, d.N)
	switch {
	case err == nil:
	case errors.Is(err, partnerships.ErrAlreadyReminded) && inv.Reminded == d.N && retried(ctx):
		// An earlier attempt of this task recorded it and then failed to send.
	case errors.Is(err, partnerships.ErrAlreadyReminded), errors.Is(err, partnerships.ErrNotOpen),
		errors.Is(err, partnerships.ErrExpired), errors.Is(err, partnerships.ErrRemindersStopped),
		errors.Is(err, partnerships.ErrNotFound):
		log.Info("no reminder to send", "reason", err)
		return nil
	default:
		return fmt.Errorf("jobs: remind %s: %w", d.InvitationID, err)
	}
	msg, err := r.compose(ctx, inv, d.N)
	if err != nil {
		return err
	}
	if err := r.mail.Send(ctx, msg); err != nil {
		if errors.Is(err, mailer.ErrTemporary) {
			return fmt.Errorf("jobs: remind %s: %w", inv.ID, err)
		}
		return fmt.Errorf("jobs: remind %s: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	log.Info("reminder sent", "message_id", msg.MessageID)
	return nil
}

// retried reports whether this is a later attempt of the running task.
func retried(ctx context.Context) bool {
	n, _ := asynq.GetRetryCount(ctx)
	return n > 0
}

// compose renders reminder n of inv. Both links are signed again from stored
// claims, so they are the same on every attempt and the invitation link is the
// one the invitation email carried.
func (r *Reminder) compose(ctx context.Context, inv partnerships.Invitation, n int) (mailer.Message, error) {
	partner, err := r.store.Partner(ctx, inv.PartnerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: remind %s: partner: %w", inv.ID, permanentIfGone(err))
	}
	customer, err := r.store.Customer(ctx, inv.CustomerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: remind %s: customer: %w", inv.ID, permanentIfGone(err))
	}
	link, _, err := r.ring.Issue(tokens.Claims{
		ID: inv.TokenID, Purpose: tokens.PurposeInvite, Subject: inv.ID, Recipient: inv.Email,
		IssuedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: remind %s: sign link: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	stop, _, err := r.ring.Issue(StopRemindersClaims(inv))
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: remind %s: sign stop link: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	stopURL := r.links.URL("reminders", "stop", stop)
	rendered, err := r.tpl.Reminder(inv.Locale, templates.ReminderData{
		PartnerName: partner.Name, PartnerEmail: partner.ContactEmail, CustomerName: customer.Name,
		RecipientEmail: inv.Email, Type: inv.Type, Roles: inv.Roles,
		Link: r.links.Invite(link), StopLink: stopURL, ExpiresAt: inv.ExpiresAt,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: remind %s: render: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	headers := KindHeaders(templates.KindReminder)
	headers["List-Unsubscribe"] = "<" + stopURL + ">"
	headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	return mailer.Message{
		To:         inv.Email,
		Subject:    rendered.Subject,
		Text:       rendered.Text,
		HTML:       rendered.HTML,
		MessageID:  mailer.MessageID(inv.ID, "reminder"+strconv.Itoa(n), r.domain),
		ReturnPath: bounces.ReturnPath(inv.ID, r.domain),
		Headers:    headers,
	}, nil
}
