package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

// Customer portal emails: the one-time sign-in link, and a partner's request that
// the customer's admins sign the customer agreement. Route both to a PortalMailer.
const (
	TypeSignInLink       = "portal:signin-link"
	TypeAgreementRequest = "portal:agreement-request"
)

// portalMailMaxRetry bounds the attempts of a temporarily failing portal email; a
// sign-in link is worthless after its 15 minutes anyway.
const portalMailMaxRetry = 5

// LinkToken is what a portal email's signed link is rebuilt from: the token is
// never stored in the queue, only its claims, and Issue signs deterministically.
type LinkToken struct {
	ID        string    `json:"token_id"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// SignInLinkPayload is the payload of a portal:signin-link task.
type SignInLinkPayload struct {
	Email      string    `json:"email"` // the admin, the token's recipient and subject
	CustomerID string    `json:"customer_id"`
	Locale     string    `json:"locale"`
	Token      LinkToken `json:"token"`
}

// AgreementRequestPayload is the payload of a portal:agreement-request task: one
// email to one admin.
type AgreementRequestPayload struct {
	Email      string    `json:"email"` // the admin, the token's recipient
	CustomerID string    `json:"customer_id"`
	PartnerID  string    `json:"partner_id"`
	Version    string    `json:"agreement_version"`
	Locale     string    `json:"locale"`
	Token      LinkToken `json:"token"` // subject: AgreementSubject(customer, partner)
}

// AgreementSubject is the subject of an agreement token: the relationship.
func AgreementSubject(customerID, partnerID string) string { return customerID + "/" + partnerID }

// NewSignInLinkTask returns the task that emails p's sign-in link. Its TaskID names
// the admin and the minute the link was issued in, so an admin gets at most one
// sign-in email a minute however often it is asked for.
func NewSignInLinkTask(p SignInLinkPayload) (*asynq.Task, error) {
	if p.Email == "" || p.CustomerID == "" || p.Token.ID == "" {
		return nil, fmt.Errorf("jobs: sign-in link: email, customer and token are required")
	}
	return portalTask(TypeSignInLink, signInTaskID(p), p, time.Until(p.Token.ExpiresAt))
}

func signInTaskID(p SignInLinkPayload) string {
	return "signin-link:" + p.Email + ":" + strconv.FormatInt(p.Token.IssuedAt.Unix()/60, 10)
}

// agreementRequestTaskID names the admin, the relationship and the hour the request
// was made in: a partner's repeated requests email each admin at most once an hour.
func agreementRequestTaskID(p AgreementRequestPayload) string {
	return "agreement-request:" + p.CustomerID + ":" + p.PartnerID + ":" + p.Email + ":" +
		strconv.FormatInt(p.Token.IssuedAt.Unix()/3600, 10)
}

// NewAgreementRequestTask returns the task that emails p's agreement request.
func NewAgreementRequestTask(p AgreementRequestPayload) (*asynq.Task, error) {
	if p.Email == "" || p.CustomerID == "" || p.PartnerID == "" || p.Token.ID == "" {
		return nil, fmt.Errorf("jobs: agreement request: email, customer, partner and token are required")
	}
	return portalTask(TypeAgreementRequest, agreementRequestTaskID(p), p, time.Hour)
}

func portalTask(typ, id string, payload any, retention time.Duration) (*asynq.Task, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("jobs: %s: %w", typ, err)
	}
	return asynq.NewTask(typ, b,
		asynq.TaskID(id),
		asynq.Queue(QueueMail),
		asynq.MaxRetry(portalMailMaxRetry),
		asynq.Timeout(2*time.Minute),
		asynq.Retention(max(retention, time.Minute)),
	), nil
}

// SendSignInLink enqueues the sign-in email of p. Within the minute of another
// link to the same admin it returns an error wrapping ErrAlreadyQueued.
func (e *Enqueuer) SendSignInLink(ctx context.Context, p SignInLinkPayload) error {
	task, err := NewSignInLinkTask(p)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, signInTaskID(p))
}

// SendAgreementRequest enqueues the agreement request email of p. Within the hour
// of another to the same admin for the same partner it returns an error wrapping
// ErrAlreadyQueued.
func (e *Enqueuer) SendAgreementRequest(ctx context.Context, p AgreementRequestPayload) error {
	task, err := NewAgreementRequestTask(p)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, agreementRequestTaskID(p))
}

// PortalMailer handles portal:signin-link and portal:agreement-request.
type PortalMailer struct {
	store  *partnerships.Store
	tpl    *templates.Set
	mail   Mailer
	ring   *tokens.Ring
	links  *links.Builder
	domain string
	log    *slog.Logger
}

// NewPortalMailer returns the handler of both portal email tasks.
func NewPortalMailer(store *partnerships.Store, tpl *templates.Set, m Mailer, ring *tokens.Ring, lb *links.Builder, domain string, log *slog.Logger) *PortalMailer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &PortalMailer{store: store, tpl: tpl, mail: m, ring: ring, links: lb, domain: domain, log: log}
}

// Routes are the two task types this handler takes, for NewMux.
func (p *PortalMailer) Routes() []Route {
	return []Route{{Type: TypeSignInLink, Handler: p}, {Type: TypeAgreementRequest, Handler: p}}
}

// ProcessTask implements asynq.Handler. A link that expired before it could be
// sent is dropped; a bad payload or a message the SMTP server refuses for good is
// not retried.
func (p *PortalMailer) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var (
		msg mailer.Message
		err error
	)
	switch t.Type() {
	case TypeSignInLink:
		var pl SignInLinkPayload
		if err := json.Unmarshal(t.Payload(), &pl); err != nil {
			return fmt.Errorf("jobs: %s: bad payload: %w: %w", t.Type(), err, asynq.SkipRetry)
		}
		if !time.Now().Before(pl.Token.ExpiresAt) {
			p.log.Warn("sign-in link expired before it was sent", "customer_id", pl.CustomerID)
			return nil
		}
		msg, err = p.signIn(ctx, pl)
	case TypeAgreementRequest:
		var pl AgreementRequestPayload
		if err := json.Unmarshal(t.Payload(), &pl); err != nil {
			return fmt.Errorf("jobs: %s: bad payload: %w: %w", t.Type(), err, asynq.SkipRetry)
		}
		msg, err = p.agreementRequest(ctx, pl)
	default:
		return fmt.Errorf("jobs: portal mailer got task %s: %w", t.Type(), asynq.SkipRetry)
	}
	if err != nil {
		return err
	}
	if err := p.mail.Send(ctx, msg); err != nil {
		if errors.Is(err, mailer.ErrTemporary) {
			return fmt.Errorf("jobs: %s: %w", t.Type(), err)
		}
		p.log.Error("portal email refused", "task", t.Type(), "err", err)
		return fmt.Errorf("jobs: %s: %w: %w", t.Type(), err, asynq.SkipRetry)
	}
	p.log.Info("portal email sent", "task", t.Type(), "message_id", msg.MessageID)
	return nil
}

func (p *PortalMailer) link(purpose tokens.Purpose, subject, recipient string, lt LinkToken, path string) (string, error) {
	token, _, err := p.ring.Issue(tokens.Claims{ID: lt.ID, Purpose: purpose, Subject: subject, Recipient: recipient,
		IssuedAt: lt.IssuedAt, ExpiresAt: lt.ExpiresAt})
	if err != nil {
		return "", fmt.Errorf("jobs: sign %s link: %w: %w", purpose, err, asynq.SkipRetry)
	}
	return p.links.URL(path, token), nil
}

func (p *PortalMailer) signIn(ctx context.Context, pl SignInLinkPayload) (mailer.Message, error) {
	c, err := p.store.Customer(ctx, pl.CustomerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: sign-in link: customer: %w", permanentIfGone(err))
	}
	link, err := p.link(tokens.PurposeSignIn, pl.Email, pl.Email, pl.Token, "signin")
	if err != nil {
		return mailer.Message{}, err
	}
	m, err := p.tpl.SignInLink(pl.Locale, templates.SignInLinkData{CustomerName: c.Name, RecipientEmail: pl.Email, Link: link, ExpiresAt: pl.Token.ExpiresAt})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: sign-in link: render: %w: %w", err, asynq.SkipRetry)
	}
	return mailer.Message{To: pl.Email, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		MessageID: mailer.MessageID(pl.Token.ID, "signin-link", p.domain),
		Headers:   KindHeaders(templates.KindSignInLink)}, nil
}

func (p *PortalMailer) agreementRequest(ctx context.Context, pl AgreementRequestPayload) (mailer.Message, error) {
	partner, err := p.store.Partner(ctx, pl.PartnerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: agreement request: partner: %w", permanentIfGone(err))
	}
	c, err := p.store.Customer(ctx, pl.CustomerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: agreement request: customer: %w", permanentIfGone(err))
	}
	rel, err := p.store.Relationship(ctx, pl.CustomerID, pl.PartnerID)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: agreement request: relationship: %w", permanentIfGone(err))
	}
	link, err := p.link(tokens.PurposeAgreement, AgreementSubject(pl.CustomerID, pl.PartnerID), pl.Email, pl.Token, "agreement")
	if err != nil {
		return mailer.Message{}, err
	}
	m, err := p.tpl.AgreementRequest(pl.Locale, templates.AgreementRequestData{
		PartnerName: partner.Name, PartnerEmail: partner.ContactEmail, CustomerName: c.Name, RecipientEmail: pl.Email,
		Types: rel.Types, AgreementVersion: pl.Version, Link: link, ExpiresAt: pl.Token.ExpiresAt,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("jobs: agreement request: render: %w: %w", err, asynq.SkipRetry)
	}
	return mailer.Message{To: pl.Email, Subject: m.Subject, Text: m.Text, HTML: m.HTML,
		MessageID: mailer.MessageID(pl.Token.ID, "agreement-request", p.domain),
		Headers:   KindHeaders(templates.KindAgreementRequest)}, nil
}
