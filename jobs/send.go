package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
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
}

// NewSender returns the invitation:send handler. Message-IDs are built on domain.
func NewSender(store *partnerships.Store, tpl *templates.Set, mail Mailer, ring *tokens.Ring, lb *links.Builder, domain string, log *slog.Logger) *Sender {
	return &Sender{store: store, tpl: tpl, mail: mail, ring: ring, links: lb, domain: domain, log: log}
}

// ProcessTask implements asynq.Handler.
func (s *Sender) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p SendInvitationPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.InvitationID == "" {
		return fmt.Errorf("jobs: %s: bad payload %q: %v: %w", t.Type(), t.Payload(), err, asynq.SkipRetry)
	}
	log := s.log.With("invitation_id", p.InvitationID, "task", t.Type())
	inv, err := s.store.Invitation(ctx, p.InvitationID)
	if errors.Is(err, partnerships.ErrNotFound) {
		return fmt.Errorf("jobs: send invitation %s: %w: %w", p.InvitationID, err, asynq.SkipRetry)
	} else if err != nil {
		return fmt.Errorf("jobs: send invitation %s: %w", p.InvitationID, err)
	}
	if inv.Status != partnerships.StatusPending {
		log.Info("invitation not pending, nothing to send", "status", inv.Status)
		return nil
	}
	msg, err := s.compose(ctx, inv)
	if err != nil {
		return err
	}
	if err := s.mail.Send(ctx, msg); err != nil {
		return s.failed(ctx, log, inv, err)
	}
	if _, err := s.store.MarkSent(ctx, inv.ID, msg.MessageID); err != nil && !errors.Is(err, partnerships.ErrNotOpen) {
		return fmt.Errorf("jobs: mark invitation %s sent: %w", inv.ID, err)
	}
	log.Info("invitation sent", "message_id", msg.MessageID)
	return nil
}

// compose renders the invitation email. The link is signed again from the claims the
// store kept, which gives the same token on every attempt.
func (s *Sender) compose(ctx context.Context, inv partnerships.Invitation) (mailer.Message, error) {
	partner, err := s.store.Partner(ctx, inv.PartnerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: invitation %s: partner: %w", inv.ID, err)
	}
	customer, err := s.store.Customer(ctx, inv.CustomerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: invitation %s: customer: %w", inv.ID, err)
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
		To:        inv.Email,
		Subject:   rendered.Subject,
		Text:      rendered.Text,
		HTML:      rendered.HTML,
		MessageID: mailer.MessageID(inv.ID, "invitation", s.domain),
	}, nil
}

// failed records a permanent failure (or the last temporary one) on the invitation
// and decides whether asynq retries.
func (s *Sender) failed(ctx context.Context, log *slog.Logger, inv partnerships.Invitation, sendErr error) error {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	lastAttempt := ok && retried >= maxRetry
	if errors.Is(sendErr, mailer.ErrTemporary) && !lastAttempt {
		log.Warn("temporary send failure, will retry", "attempt", retried+1, "err", sendErr)
		return fmt.Errorf("jobs: send invitation %s: %w", inv.ID, sendErr)
	}
	reason := sendErr.Error()
	if lastAttempt && errors.Is(sendErr, mailer.ErrTemporary) {
		reason = fmt.Sprintf("gave up after %d attempts: %s", retried+1, reason)
	}
	if _, err := s.store.MarkFailed(ctx, inv.ID, reason); err != nil && !errors.Is(err, partnerships.ErrNotOpen) {
		return fmt.Errorf("jobs: mark invitation %s failed: %w", inv.ID, err)
	}
	log.Error("invitation failed", "reason", reason)
	return fmt.Errorf("jobs: send invitation %s: %w: %w", inv.ID, sendErr, asynq.SkipRetry)
}
