package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/templates"
)

// TypeRequestReply is the task that answers a partner's request for invitations
// by email. The lead wires it: NewMux(send, Route{TypeRequestReply, replier}).
const TypeRequestReply = "inbox:request-reply"

// RequestReplyRetention is how long a finished reply task is kept, so the same
// key is refused (ErrAlreadyQueued) for that long after the reply went out.
const RequestReplyRetention = 24 * time.Hour

// RequestReplyPayload is the payload of an inbox:request-reply task. It carries
// everything the reply needs, so the handler reads nothing from the store.
type RequestReplyPayload struct {
	Key       string                     `json:"key"`         // what the caller deduplicates on (e.g. the request's Message-ID)
	PartnerID string                     `json:"partner_id"`  // for the log
	To        string                     `json:"to"`          // the partner's address the request came from
	InReplyTo string                     `json:"in_reply_to"` // the request's Message-ID, "<…@…>"; optional
	Locale    string                     `json:"locale"`      // "en" or "de"; empty: templates.DefaultLocale
	Data      templates.RequestReplyData `json:"data"`
}

// NewRequestReplyTask returns the task that sends the reply p. Its TaskID is
// "reply:" + key, kept for RequestReplyRetention after it ran, so a second
// enqueue with the same key is refused.
func NewRequestReplyTask(key string, p RequestReplyPayload) (*asynq.Task, error) {
	if key == "" {
		return nil, fmt.Errorf("jobs: request reply: empty key")
	}
	if p.To == "" {
		return nil, fmt.Errorf("jobs: request reply %s: no recipient", key)
	}
	p.Key = key
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("jobs: request reply: %w", err)
	}
	return asynq.NewTask(TypeRequestReply, payload,
		asynq.TaskID(replyTaskID(key)),
		asynq.Queue(QueueMail),
		asynq.MaxRetry(SendMaxRetry),
		asynq.Timeout(2*time.Minute),
		asynq.Retention(RequestReplyRetention),
	), nil
}

func replyTaskID(key string) string { return "reply:" + key }

// replyIDPart is what the reply's Message-ID is built from: 128 bits of the key's
// SHA-256, stable for the key and free of the characters mail keys carry.
func replyIDPart(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// RequestReply enqueues the reply p under key. A second call with the same key
// while the first task is queued, or up to RequestReplyRetention after it ran,
// returns an error wrapping ErrAlreadyQueued.
func (e *Enqueuer) RequestReply(ctx context.Context, key string, p RequestReplyPayload) error {
	task, err := NewRequestReplyTask(key, p)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, fmt.Sprintf("reply %s", key))
}

// RequestReplier handles inbox:request-reply: it renders the reply and sends it
// as an automatic answer to the request (In-Reply-To, References,
// Auto-Submitted: auto-replied, and X-Partnerlink-Loop so partnerlink's inbox
// never treats it as a request).
type RequestReplier struct {
	tpl    *templates.Set
	mail   Mailer
	domain string // of Message-IDs
	log    *slog.Logger
}

// NewRequestReplier returns the inbox:request-reply handler. Message-IDs are
// built on domain.
func NewRequestReplier(tpl *templates.Set, mail Mailer, domain string, log *slog.Logger) *RequestReplier {
	return &RequestReplier{tpl: tpl, mail: mail, domain: domain, log: log}
}

// replyMessageID is a Message-ID header value as the reply may quote it.
var replyMessageID = regexp.MustCompile(`^<[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~.-]{1,400}@[A-Za-z0-9.\-\[\]:]{1,255}>$`)

// ProcessTask implements asynq.Handler.
func (r *RequestReplier) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p RequestReplyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("jobs: %s: bad payload: %w: %w", t.Type(), err, asynq.SkipRetry)
	}
	if p.Key == "" || p.To == "" {
		return fmt.Errorf("jobs: %s: bad payload: no key or recipient: %w", t.Type(), asynq.SkipRetry)
	}
	log := r.log.With("task", t.Type(), "key", p.Key, "partner_id", p.PartnerID)
	locale := p.Locale
	if locale == "" {
		locale = templates.DefaultLocale
	}
	rendered, err := r.tpl.RequestReply(locale, p.Data)
	if err != nil {
		return fmt.Errorf("jobs: reply %s: render: %w: %w", p.Key, err, asynq.SkipRetry)
	}
	headers := map[string]string{
		"Auto-Submitted":     "auto-replied",
		"X-Partnerlink-Loop": "1",
		"X-Partnerlink-Kind": string(templates.KindRequestReply),
	}
	if replyMessageID.MatchString(p.InReplyTo) {
		headers["In-Reply-To"] = p.InReplyTo
		headers["References"] = p.InReplyTo
	} else if p.InReplyTo != "" {
		log.Warn("request's Message-ID is malformed, replying without threading headers", "message_id", p.InReplyTo)
	}
	msg := mailer.Message{
		To:        p.To,
		Subject:   rendered.Subject,
		Text:      rendered.Text,
		HTML:      rendered.HTML,
		MessageID: mailer.MessageID(replyIDPart(p.Key), "request-reply", r.domain),
		Headers:   headers,
	}
	if err := r.mail.Send(ctx, msg); err != nil {
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, inTask := asynq.GetMaxRetry(ctx)
		if _, retry := judgeFailure(err, retried, maxRetry, inTask); retry {
			log.Warn("temporary failure sending reply, will retry", "attempt", retried+1, "err", err)
			return fmt.Errorf("jobs: reply %s: %w", p.Key, err)
		}
		log.Error("reply not sent", "err", err)
		return fmt.Errorf("jobs: reply %s: %w: %w", p.Key, err, asynq.SkipRetry)
	}
	log.Info("reply sent", "message_id", msg.MessageID, "created", len(p.Data.Created), "errors", len(p.Data.Errors))
	return nil
}
