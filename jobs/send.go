package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/bounces"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// Mailer sends one message; *mailer.Mailer is one.
type Mailer interface {
	Send(ctx context.Context, msg mailer.Message) error
}

// Sender handles invitation:send: it renders the invitation email with its signed
// link, hands it to SMTP and records the outcome.
type Sender struct {
	store  *partnerships.Store
	tpl    *templates.Set
	mail   Mailer
	ring   *tokens.Ring
	links  *links.Builder
	domain string // of Message-IDs
	log    *slog.Logger

	metrics *metrics.Metrics // Observability (metrics); nil: not counted
}

// NewSender returns the invitation:send handler. Message-IDs are built on domain.
func NewSender(store *partnerships.Store, tpl *templates.Set, mail Mailer, ring *tokens.Ring, lb *links.Builder, domain string, log *slog.Logger) *Sender {
	return &Sender{store: store, tpl: tpl, mail: mail, ring: ring, links: lb, domain: domain, log: log}
}

// ProcessTask implements asynq.Handler.
func (s *Sender) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := sendPayloadOf(t)
	if err != nil {
		return err
	}
	id := p.InvitationID
	log := taskLog(ctx, s.log, t).With("invitation_id", id)
	// The invitation, its partner and customer and its address's suppression, in
	// one round trip (two for a task without the partner and address), and with
	// them the attempt of the send the task was queued for (see below).
	var attempt partnerships.Attempt
	if p.Sends > 0 {
		attempt = partnerships.Attempt{MessageID: mailer.MessageID(id, invitationMessageKind(p.Sends), s.domain), Sends: p.Sends}
	}
	sc, err := s.store.SendContext(ctx, id, p.PartnerID, p.Email, attempt)
	if errors.Is(err, partnerships.ErrNotFound) {
		return fmt.Errorf("jobs: send invitation %s: %w: %w", id, err, asynq.SkipRetry)
	} else if err != nil {
		return fmt.Errorf("jobs: send invitation %s: %w", id, err)
	}
	inv := sc.Invitation
	if inv.Status != partnerships.StatusPending {
		log.Info("invitation not pending, nothing to send", "status", inv.Status)
		s.metrics.Send(metrics.OutcomeSkipped, 0)
		return nil
	}
	// deliver: an address suppressed since the invitation was queued (a hard
	// bounce or a spam complaint meanwhile) gets nothing.
	if sc.SuppressedErr != nil {
		return fmt.Errorf("jobs: send invitation %s: %w", id, sc.SuppressedErr)
	} else if sc.Suppressed {
		s.metrics.Send(metrics.OutcomeSkipped, 0)
		return s.giveUp(ctx, log, inv, "not sent: "+inv.Email+" is suppressed (hard bounces or a spam complaint)", partnerships.ErrSuppressed)
	}
	msg, err := s.compose(sc)
	if errors.Is(err, asynq.SkipRetry) {
		// It can never be sent as it is: say so on the invitation.
		s.metrics.Send(metrics.OutcomePermanent, 0)
		return s.giveUp(ctx, log, inv, err.Error(), err)
	} else if err != nil {
		return err
	}
	// Record the attempt before SMTP sees the message; a redelivered task
	// whose message the server accepted (and that is recorded) sends nothing.
	// It was recorded with the read unless the task came without its send
	// number or the invitation was resent since it was queued.
	prev, err := sc.Attempt, sc.AttemptErr
	if !sc.AttemptRun || attempt.MessageID != msg.MessageID || (err == nil && prev.State == partnerships.SendStale) {
		prev, err = s.store.RecordSendAttempt(ctx, inv.ID, msg.MessageID)
	}
	if err != nil {
		return fmt.Errorf("jobs: send invitation %s: record attempt: %w", inv.ID, err)
	}
	switch prev.State {
	case partnerships.SendNotOpen:
		// Closed since it was read (revoked, accepted, sent by another task).
		log.Info("invitation no longer pending, nothing to send")
		s.metrics.Send(metrics.OutcomeSkipped, 0)
		return nil
	case partnerships.SendAccepted:
		log.Info("already accepted by the SMTP server, not sending again", "message_id", msg.MessageID)
		return s.markSent(ctx, inv, msg.MessageID)
	case partnerships.SendAttempt:
		// An earlier run died between handing the message over and recording the
		// answer: the server may have it. Sending again is at least once; not
		// sending could lose it.
		log.Warn("an earlier attempt ended without a recorded answer; sending again",
			"message_id", msg.MessageID, "attempts_before", prev.Attempts)
	}
	start := time.Now()
	if err := s.mail.Send(ctx, msg); err != nil {
		return s.failed(ctx, log, inv, err, time.Since(start))
	}
	s.metrics.Send(metrics.OutcomeSent, time.Since(start))
	if err := s.markSent(ctx, inv, msg.MessageID); err != nil {
		return err
	}
	log.Info("invitation sent", "message_id", msg.MessageID)
	return nil
}

// markSent records that the SMTP server accepted messageID for inv.
func (s *Sender) markSent(ctx context.Context, inv partnerships.Invitation, messageID string) error {
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if err := s.store.RecordSent(rctx, inv.ID, messageID); err != nil && !errors.Is(err, partnerships.ErrNotOpen) {
		return fmt.Errorf("jobs: mark invitation %s sent: %w", inv.ID, err)
	} else if err == nil {
		s.metrics.Invitation(metrics.StatusSent)
	}
	return nil
}

// compose renders the invitation email of sc.Invitation, to its partner and
// customer read with it. The link is signed again from the claims the store kept,
// which gives the same token on every attempt.
func (s *Sender) compose(sc partnerships.SendContext) (mailer.Message, error) {
	inv, partner, customer := sc.Invitation, sc.Partner, sc.Customer
	if err := sc.PartnerErr; err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: invitation %s: partner: %w", inv.ID, permanentIfGone(err))
	}
	if err := sc.CustomerErr; err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: invitation %s: customer: %w", inv.ID, permanentIfGone(err))
	}
	token, _, err := s.ring.Issue(tokens.Claims{
		ID:        inv.TokenID,
		Purpose:   tokens.PurposeInvite,
		Subject:   inv.ID,
		Recipient: inv.Email,
		IssuedAt:  inv.CreatedAt,
		ExpiresAt: inv.ExpiresAt,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: invitation %s: sign link: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	rendered, err := s.tpl.Invitation(inv.Locale, templates.InvitationData{
		PartnerName:    partner.Name,
		PartnerEmail:   partner.ContactEmail,
		CustomerName:   customer.Name,
		RecipientEmail: inv.Email,
		Type:           inv.Type,
		Roles:          inv.Roles,
		Link:           s.links.Invite(token),
		ExpiresAt:      inv.ExpiresAt,
		Message:        inv.Message,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: invitation %s: render: %w: %w", inv.ID, err, asynq.SkipRetry)
	}
	return mailer.Message{
		To:         inv.Email,
		Subject:    rendered.Subject,
		Text:       rendered.Text,
		HTML:       rendered.HTML,
		MessageID:  mailer.MessageID(inv.ID, invitationMessageKind(inv.Sends), s.domain),
		ReturnPath: bounces.ReturnPath(inv.ID, s.domain),
	}, nil
}

// failed records a permanent failure (or the last temporary one) on the invitation
// and decides whether asynq retries.
func (s *Sender) failed(ctx context.Context, log *slog.Logger, inv partnerships.Invitation, sendErr error, took time.Duration) error {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, inTask := asynq.GetMaxRetry(ctx)
	reason, retry := judgeFailure(sendErr, retried, maxRetry, inTask)
	s.metrics.Send(sendOutcome(sendErr, retry), took)
	if retry {
		log.Warn("temporary send failure, will retry", "attempt", retried+1, "err", sendErr)
		return fmt.Errorf("jobs: send invitation %s: %w", inv.ID, sendErr)
	}
	return s.giveUp(ctx, log, inv, reason, sendErr)
}

// giveUp marks the invitation failed with reason and tells asynq not to retry.
func (s *Sender) giveUp(ctx context.Context, log *slog.Logger, inv partnerships.Invitation, reason string, cause error) error {
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if _, err := s.store.MarkFailed(rctx, inv.ID, reason); err != nil && !errors.Is(err, partnerships.ErrNotOpen) {
		return fmt.Errorf("jobs: mark invitation %s failed: %w", inv.ID, err)
	} else if err == nil {
		s.metrics.Invitation(metrics.StatusFailed)
	}
	log.Error("invitation failed", "reason", reason)
	if errors.Is(cause, asynq.SkipRetry) {
		return fmt.Errorf("jobs: send invitation %s: %w", inv.ID, cause)
	}
	return fmt.Errorf("jobs: send invitation %s: %w: %w", inv.ID, cause, asynq.SkipRetry)
}

// permanentIfGone marks a record that no longer exists as a failure no retry mends.
func permanentIfGone(err error) error {
	if errors.Is(err, partnerships.ErrNotFound) {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// judgeFailure decides what a failed send means. retried and maxRetry are the
// task's counts from asynq's context; inTask is false when the context has none
// (a direct call), and then a temporary failure is never the last. retry reports
// whether asynq should try again: only for a temporary failure before the last
// attempt. Otherwise reason is what the invitation records as failed.
func judgeFailure(sendErr error, retried, maxRetry int, inTask bool) (reason string, retry bool) {
	temporary := errors.Is(sendErr, mailer.ErrTemporary)
	lastAttempt := inTask && retried >= maxRetry
	switch {
	case temporary && !lastAttempt:
		return "", true
	case temporary:
		return fmt.Sprintf("gave up after %d attempts: %s", retried+1, sendErr), false
	default:
		return sendErr.Error(), false
	}
}

// recordTimeout bounds the store write that records a send's outcome.
const recordTimeout = 10 * time.Second

// recordContext returns the context to record a send's outcome with: ctx's values
// without its cancellation. Once the SMTP server has answered, the outcome must be
// stored even if the task's deadline passed or the worker is shutting down
// meanwhile; else a sent invitation is sent again, or a failed one stays pending
// with its task archived.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}
