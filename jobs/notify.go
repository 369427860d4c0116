package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
)

// Who an event kind tells.
var (
	partnerEvents  = []string{EventInvitationAccepted, EventInvitationDeclined, EventInvitationExpired, EventAgreementSigned, EventRolesRemoved, EventRelationshipEnding, EventRelationshipExpired}
	customerEvents = []string{EventRelationshipEnded, EventRelationshipEnding, EventRelationshipExpired}
)

// EventKinds lists every event kind.
func EventKinds() []string {
	return []string{EventInvitationAccepted, EventInvitationDeclined, EventInvitationExpired, EventAgreementSigned,
		EventRolesRemoved, EventRelationshipEnded, EventRelationshipEnding, EventRelationshipExpired}
}

// TellsPartner reports whether an event of kind is told to the partner (by email
// and webhook); TellsCustomer whether to the customer's global and billing admins.
func TellsPartner(kind string) bool  { return slices.Contains(partnerEvents, kind) }
func TellsCustomer(kind string) bool { return slices.Contains(customerEvents, kind) }

// WebhookTimeout bounds one webhook POST.
const WebhookTimeout = 10 * time.Second

// SignatureHeader carries a webhook's signature: t=<unix seconds>,v1=<hex HMAC-SHA256
// of "<t>.<body>" keyed with the partner's webhook secret>.
const SignatureHeader = "Partnerlink-Signature"

// deliveredTTL keeps the record of what a notification task delivered a little
// longer than the task itself is retained.
const deliveredTTL = NotifyRetention + 24*time.Hour

// WebhookPayload is the JSON body POSTed to a partner's webhook.
type WebhookPayload struct {
	ID           string    `json:"id"` // the same on every attempt: receivers can drop repeats
	Kind         string    `json:"kind"`
	PartnerID    string    `json:"partner_id"`
	CustomerID   string    `json:"customer_id"`
	InvitationID string    `json:"invitation_id,omitempty"`
	At           time.Time `json:"at"`
	Detail       string    `json:"detail,omitempty"`
}

// Sign returns the Partnerlink-Signature value of body sent at t with secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Notifier handles relationship:notify: it emails the partner's contact and POSTs
// to its webhook, or emails the customer's global and billing admins, as the
// event's kind says. Each channel is delivered once across retries: what went out
// is recorded in Redis under the task's id, and a retry sends only the rest.
type Notifier struct {
	store  *partnerships.Store
	tpl    *templates.Set
	mail   Mailer
	http   *http.Client
	domain string
	now    func() time.Time
	log    *slog.Logger
}

// NewNotifier returns the relationship:notify handler. Message-IDs are built on
// domain. The store keeps the record of what went out.
func NewNotifier(store *partnerships.Store, tpl *templates.Set, mail Mailer, domain string, log *slog.Logger) *Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{store: store, tpl: tpl, mail: mail, domain: domain, now: time.Now, log: log,
		http: &http.Client{
			Timeout:       WebhookTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
}

// ProcessTask implements asynq.Handler.
func (n *Notifier) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var ev Event
	if err := json.Unmarshal(t.Payload(), &ev); err != nil {
		return fmt.Errorf("jobs: notify: bad payload: %w: %w", err, asynq.SkipRetry)
	}
	if !slices.Contains(EventKinds(), ev.Kind) || ev.At.IsZero() {
		return fmt.Errorf("jobs: notify: unknown event %q: %w", ev.Kind, asynq.SkipRetry)
	}
	taskID := notifyTaskID(ev)
	log := n.log.With("task", t.Type(), "event", ev.Kind, "partner_id", ev.PartnerID, "customer_id", ev.CustomerID)

	// Everything the notice needs, and what an earlier attempt delivered, in one
	// round trip.
	rc := n.store.NotifyContext(ctx, partnerships.NotifyRead{
		PartnerID: ev.PartnerID, CustomerID: ev.CustomerID, InvitationID: ev.InvitationID, Task: taskID,
		// The end date the notice names: the relationship's, as it stands now.
		Relationship: ev.Kind == EventRelationshipEnding,
		Admins:       TellsCustomer(ev.Kind),
	})
	if err := rc.PartnerErr; err != nil {
		return fmt.Errorf("jobs: notify %s: partner: %w", taskID, permanentIfGone(err))
	}
	profile, partner := rc.Profile, rc.Partner
	if err := rc.CustomerErr; err != nil {
		return fmt.Errorf("jobs: notify %s: customer: %w", taskID, permanentIfGone(err))
	}
	data := templates.NotificationData{Event: ev.Kind, PartnerName: partner.Name, CustomerName: rc.Customer.Name,
		InvitationID: ev.InvitationID, At: ev.At, Detail: ev.Detail}
	locale := "en"
	if ev.InvitationID != "" {
		switch err := rc.InvitationErr; {
		case err == nil:
			data.Type, locale = rc.Invitation.Type, rc.Invitation.Locale
		case !errors.Is(err, partnerships.ErrNotFound):
			return fmt.Errorf("jobs: notify %s: invitation: %w", taskID, err)
		}
	}
	if ev.Kind == EventRelationshipEnding {
		switch err := rc.RelationshipErr; {
		case err == nil:
			data.EndsAt = rc.Relationship.EndsAt
		case !errors.Is(err, partnerships.ErrNotFound):
			return fmt.Errorf("jobs: notify %s: relationship: %w", taskID, err)
		}
	}
	if ev.Kind == EventRolesRemoved {
		for _, r := range splitComma(ev.Detail) {
			data.Roles = append(data.Roles, partnerships.Role(r))
		}
	}

	done := rc.Delivered
	if err := rc.DeliveredErr; err != nil {
		return fmt.Errorf("jobs: notify %s: %w", taskID, err)
	}
	var failures []error
	deliver := func(channel string, send func() error) {
		if done[channel] {
			return
		}
		if err := send(); err != nil {
			failures = append(failures, err)
			return
		}
		if err := n.store.RecordDelivered(ctx, taskID, channel, deliveredTTL); err != nil {
			failures = append(failures, err)
		}
	}
	if TellsPartner(ev.Kind) {
		d := data
		d.Audience, d.RecipientName = "partner", partner.Name
		deliver("mail:"+partner.ContactEmail, func() error {
			return n.email(ctx, log, taskID, "en", partner.ContactEmail, partner.Name, d)
		})
		if profile.WebhookURL != "" {
			deliver("webhook", func() error { return n.webhook(ctx, log, taskID, profile, ev) })
			// An acceptance is also the customer agreement signed: one email says
			// both, and the webhook gets both events, as the agreement alone would.
			if ev.Kind == EventInvitationAccepted {
				signed := ev
				signed.Kind = EventAgreementSigned
				deliver("webhook:"+EventAgreementSigned, func() error {
					return n.webhook(ctx, log, taskID+":"+EventAgreementSigned, profile, signed)
				})
			}
		}
	}
	if TellsCustomer(ev.Kind) {
		if err := rc.AdminsErr; err != nil {
			return fmt.Errorf("jobs: notify %s: admins: %w", taskID, permanentIfGone(err))
		}
		for _, a := range rc.Admins {
			d := data
			d.Audience, d.RecipientName = "customer", a.Name
			deliver("mail:"+a.Email, func() error { return n.email(ctx, log, taskID, locale, a.Email, a.Name, d) })
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("jobs: notify %s: %w", taskID, errors.Join(failures...))
	}
	log.Info("notification delivered")
	return nil
}

// email renders and sends the notification to one address. A permanent refusal is
// logged and counts as done: retrying would not change the answer.
func (n *Notifier) email(ctx context.Context, log *slog.Logger, taskID, locale, to, toName string, d templates.NotificationData) error {
	msg, err := n.tpl.Notification(locale, d)
	if err != nil {
		log.Error("notification not rendered", "to", to, "err", err)
		return nil // a bug or bad data no retry mends
	}
	sum := sha256.Sum256([]byte(taskID + "\x00" + to))
	m := mailer.Message{
		To: to, ToName: toName, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML,
		MessageID: mailer.MessageID(hex.EncodeToString(sum[:12]), "notify", n.domain),
		Headers:   KindHeaders(templates.KindNotification),
	}
	if err := n.mail.Send(ctx, m); err != nil {
		if errors.Is(err, mailer.ErrTemporary) {
			log.Warn("notification: temporary send failure, will retry", "to", to, "err", err)
			return fmt.Errorf("mail to %s: %w", to, err)
		}
		log.Error("notification refused by the SMTP server", "to", to, "err", err)
		return nil
	}
	log.Info("notification emailed", "to", to, "message_id", m.MessageID)
	return nil
}

// webhook POSTs the event to the partner's webhook, signed with its secret. Any
// answer but 2xx is an error, and the task is retried.
func (n *Notifier) webhook(ctx context.Context, log *slog.Logger, taskID string, p partnerships.PartnerProfile, ev Event) error {
	sum := sha256.Sum256([]byte(taskID))
	body, err := json.Marshal(WebhookPayload{ID: "ev_" + hex.EncodeToString(sum[:12]), Kind: ev.Kind,
		PartnerID: ev.PartnerID, CustomerID: ev.CustomerID, InvitationID: ev.InvitationID, At: ev.At.UTC(), Detail: ev.Detail})
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "partnerlink-webhook/1")
	req.Header.Set(SignatureHeader, Sign(p.WebhookSecret, n.now(), body))
	resp, err := n.http.Do(req)
	if err != nil {
		log.Warn("webhook failed, will retry", "err", err)
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		log.Warn("webhook answered with an error, will retry", "status", resp.StatusCode)
		return fmt.Errorf("webhook: %s answered %s", p.WebhookURL, resp.Status)
	}
	log.Info("webhook delivered", "status", resp.StatusCode)
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
