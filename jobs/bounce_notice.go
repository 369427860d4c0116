package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

// TypeBounceNotice is the task that tells a partner its invitation bounced. Route
// it to a BounceNotifier: jobs.Route{Type: TypeBounceNotice, Handler: notifier}.
const TypeBounceNotice = "invitation:bounce-notice"

// BounceNoticeRetention is how long a finished bounce-notice task is kept; while it
// is, enqueueing the notice of the same invitation again is refused, so one
// invitation's bounces arriving twice notify the partner once.
const BounceNoticeRetention = 24 * time.Hour

// bounceNoticeMaxRetry bounds the attempts of a temporarily failing notice.
const bounceNoticeMaxRetry = 10

// BounceNoticePayload is the payload of an invitation:bounce-notice task.
type BounceNoticePayload struct {
	InvitationID string `json:"invitation_id"`
}

// NewBounceNoticeTask returns the task that notifies the partner of invitation
// id's bounce. Its TaskID is derived from the invitation and it is retained for
// BounceNoticeRetention after it ran.
func NewBounceNoticeTask(id string) (*asynq.Task, error) {
	if id == "" {
		return nil, fmt.Errorf("jobs: bounce notice: empty invitation id")
	}
	payload, err := json.Marshal(BounceNoticePayload{InvitationID: id})
	if err != nil {
		return nil, fmt.Errorf("jobs: bounce notice: %w", err)
	}
	return asynq.NewTask(TypeBounceNotice, payload,
		asynq.TaskID(bounceNoticeTaskID(id)),
		asynq.Queue(QueueMail),
		asynq.MaxRetry(bounceNoticeMaxRetry),
		asynq.Timeout(2*time.Minute),
		asynq.Retention(BounceNoticeRetention),
	), nil
}

func bounceNoticeTaskID(invitationID string) string { return "bounce-notice:" + invitationID }

// BounceNotice enqueues the bounce notice of invitation id. A second call within
// BounceNoticeRetention of the first task's end (or while it is queued) returns an
// error wrapping ErrAlreadyQueued.
func (e *Enqueuer) BounceNotice(ctx context.Context, id string) error {
	task, err := NewBounceNoticeTask(id)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, fmt.Sprintf("bounce notice of invitation %s", id))
}

// BounceNotifier handles invitation:bounce-notice: it emails the partner's contact
// address, in English, that an invitation bounced.
type BounceNotifier struct {
	store  *partnerships.Store
	tpl    *templates.Set
	mail   Mailer
	domain string // of Message-IDs
	log    *slog.Logger
}

// NewBounceNotifier returns the invitation:bounce-notice handler. Message-IDs are
// built on domain.
func NewBounceNotifier(store *partnerships.Store, tpl *templates.Set, mail Mailer, domain string, log *slog.Logger) *BounceNotifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &BounceNotifier{store: store, tpl: tpl, mail: mail, domain: domain, log: log}
}

// bounceAuditDepth is how many of the customer's newest audit events are searched
// for the time of the bounce.
const bounceAuditDepth = 1000

// ProcessTask implements asynq.Handler. An invitation that is not bounced gets no
// notice; a missing invitation or partner, or a notice the SMTP server refuses for
// good, is not retried.
func (n *BounceNotifier) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, err := invitationIDOf(t)
	if err != nil {
		return err
	}
	log := taskLog(ctx, n.log, t).With("invitation_id", id)
	inv, err := n.store.Invitation(ctx, id)
	if err != nil {
		return fmt.Errorf("jobs: bounce notice of %s: %w", id, permanentIfGone(err))
	}
	if inv.Status != partnerships.StatusBounced {
		log.Info("invitation not bounced, no notice", "status", inv.Status)
		return nil
	}
	msg, err := n.compose(ctx, inv)
	if err != nil {
		return err
	}
	if err := n.mail.Send(ctx, msg); err != nil {
		if errors.Is(err, mailer.ErrTemporary) {
			log.Warn("bounce notice: temporary send failure, will retry", "err", err)
			return fmt.Errorf("jobs: bounce notice of %s: %w", inv.ID, err)
		}
		log.Error("bounce notice refused", "to", msg.To, "err", err)
		return fmt.Errorf("jobs: bounce notice of %s: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	log.Info("bounce notice sent", "to", msg.To, "message_id", msg.MessageID)
	return nil
}

// compose renders the notice to the partner's contact address.
func (n *BounceNotifier) compose(ctx context.Context, inv partnerships.Invitation) (mailer.Message, error) {
	partner, err := n.store.Partner(ctx, inv.PartnerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: bounce notice of %s: partner: %w", inv.ID, permanentIfGone(err))
	}
	customerName := ""
	if c, err := n.store.Customer(ctx, inv.CustomerID); err == nil {
		customerName = c.Name
	} else if !errors.Is(err, partnerships.ErrNotFound) {
		return mailer.Message{}, fmt.Errorf("jobs: bounce notice of %s: customer: %w", inv.ID, err)
	}
	bouncedAt, err := n.bouncedAt(ctx, inv)
	if err != nil {
		return mailer.Message{}, err
	}
	rendered, err := n.tpl.BounceNotice("en", templates.BounceNoticeData{
		PartnerName:    partner.Name,
		CustomerName:   customerName,
		RecipientEmail: inv.Email,
		Type:           inv.Type,
		Diagnostic:     inv.FailureReason,
		BouncedAt:      bouncedAt,
		InvitationID:   inv.ID,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: bounce notice of %s: render: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	return mailer.Message{
		To:        partner.ContactEmail,
		ToName:    partner.Name,
		Subject:   rendered.Subject,
		Text:      rendered.Text,
		HTML:      rendered.HTML,
		MessageID: mailer.MessageID(inv.ID, "bounce-notice", n.domain),
		Headers:   KindHeaders(templates.KindBounceNotice),
	}, nil
}

// bouncedAt is when the store recorded the bounce (its audit event), so every
// attempt renders the same notice. If the event has aged out of the newest audit
// events: when the invitation was sent (or created), the earliest it can have been.
func (n *BounceNotifier) bouncedAt(ctx context.Context, inv partnerships.Invitation) (time.Time, error) {
	events, err := n.store.Audit(ctx, inv.CustomerID, bounceAuditDepth)
	if err != nil {
		return time.Time{}, fmt.Errorf("jobs: bounce notice of %s: audit: %w", inv.ID, permanentIfGone(err))
	}
	for _, ev := range events {
		if ev.Action == partnerships.ActionInvitationBounced && ev.InvitationID == inv.ID {
			return ev.At, nil
		}
	}
	if !inv.SentAt.IsZero() {
		return inv.SentAt, nil
	}
	return inv.CreatedAt, nil
}
