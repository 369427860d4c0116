package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

// TypeSendLead is the task that emails a directory lead to each partner it names.
const TypeSendLead = "lead:send"

// LeadRetention keeps a finished lead task so enqueueing it again is refused.
const LeadRetention = 24 * time.Hour

const leadMaxRetry = 10

// LeadPayload is the payload of a lead:send task.
type LeadPayload struct {
	LeadID string `json:"lead_id"`
}

func leadTaskID(id string) string { return "lead:" + id }

// NewSendLeadTask returns the task that emails lead id to its partners.
func NewSendLeadTask(id string) (*asynq.Task, error) {
	if id == "" {
		return nil, fmt.Errorf("jobs: send lead: empty lead id")
	}
	payload, err := json.Marshal(LeadPayload{LeadID: id})
	if err != nil {
		return nil, fmt.Errorf("jobs: send lead: %w", err)
	}
	return asynq.NewTask(TypeSendLead, payload,
		asynq.TaskID(leadTaskID(id)),
		asynq.Queue(QueueMail),
		asynq.MaxRetry(leadMaxRetry),
		asynq.Timeout(2*time.Minute),
		asynq.Retention(LeadRetention),
	), nil
}

// SendLead enqueues emailing lead id to its partners.
func (e *Enqueuer) SendLead(ctx context.Context, id string) error {
	task, err := NewSendLeadTask(id)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, leadTaskID(id))
}

// LeadSender handles lead:send: each partner the lead names gets it by email, once
// across retries, with the command that invites the customer.
type LeadSender struct {
	store  *partnerships.Store
	tpl    *templates.Set
	mail   Mailer
	links  *links.Builder
	domain string
	log    *slog.Logger
}

// NewLeadSender returns the lead:send handler.
func NewLeadSender(store *partnerships.Store, tpl *templates.Set, mail Mailer, lb *links.Builder, domain string, log *slog.Logger) *LeadSender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LeadSender{store: store, tpl: tpl, mail: mail, links: lb, domain: domain, log: log}
}

// ProcessTask implements asynq.Handler.
func (s *LeadSender) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p LeadPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.LeadID == "" {
		return fmt.Errorf("jobs: send lead: bad payload: %w", asynq.SkipRetry)
	}
	taskID := leadTaskID(p.LeadID)
	log := s.log.With("task", t.Type(), "lead_id", p.LeadID)
	lead, err := s.store.Lead(ctx, p.LeadID)
	if err != nil {
		return fmt.Errorf("jobs: send lead %s: %w", p.LeadID, permanentIfGone(err))
	}
	done, err := s.store.Delivered(ctx, taskID)
	if err != nil {
		return fmt.Errorf("jobs: send lead %s: %w", p.LeadID, err)
	}
	var failures []error
	for _, pid := range lead.PartnerIDs {
		channel := "mail:" + pid
		if done[channel] {
			continue
		}
		partner, err := s.store.Partner(ctx, pid)
		if errors.Is(err, partnerships.ErrNotFound) {
			log.Warn("lead: partner gone", "partner_id", pid)
			continue
		} else if err != nil {
			failures = append(failures, err)
			continue
		}
		msg, err := s.tpl.Lead(lead.Locale, templates.LeadData{
			PartnerName: partner.Name, LeadID: lead.ID, Name: lead.Name, Email: lead.Email,
			Organisation: lead.Organisation, Message: lead.Message, CreatedAt: lead.CreatedAt,
			APIURL: s.links.URL("api", "v1", "invitations"), Type: partnerships.Reseller,
		})
		if err != nil {
			log.Error("lead not rendered", "partner_id", pid, "err", err)
			continue
		}
		m := mailer.Message{To: partner.ContactEmail, ToName: partner.Name, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML,
			MessageID: mailer.MessageID(lead.ID+"."+pid, "lead", s.domain),
			Headers:   KindHeaders(templates.KindLead)}
		if err := s.mail.Send(ctx, m); err != nil {
			if errors.Is(err, mailer.ErrTemporary) {
				failures = append(failures, fmt.Errorf("mail to %s: %w", pid, err))
				continue
			}
			log.Error("lead refused by the SMTP server", "partner_id", pid, "err", err)
		} else {
			log.Info("lead sent", "partner_id", pid, "message_id", m.MessageID)
		}
		if err := s.store.RecordDelivered(ctx, taskID, channel, LeadRetention+24*time.Hour); err != nil {
			failures = append(failures, err)
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("jobs: send lead %s: %w", p.LeadID, errors.Join(failures...))
	}
	return nil
}
