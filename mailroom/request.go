package mailroom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/requests"
	"github.com/partnerlink/partnerlink/templates"
)

// request acts on a partner's request for invitations: only from a registered
// contact whose mail a trusted server authenticated, or sent to the partner's
// secret plus-address. Each invitation is created under a key derived from the
// mail's, so handling the same mail again creates nothing new; the answer to the
// partner lists what was created and what was wrong, line by line.
func (r *Router) request(ctx context.Context, log *slog.Logger, key string, m *inbox.Message) (inbox.Decision, error) {
	sender, err := requests.Inspect(m.Raw, r.cfg.TrustedAuthServ, r.cfg.Address)
	if err != nil {
		return reject(log, "unreadable message: %v", err), nil
	}
	if sender.Loop {
		return reject(log, "mail loop: a message from partnerlink itself"), nil
	}
	if sender.AutoSubmitted {
		return reject(log, "automatic reply from %s ignored", sender.From), nil
	}
	partner, why, err := r.authenticate(ctx, sender)
	if err != nil {
		return inbox.Decision{}, err
	}
	if why != "" {
		return reject(log, "request from %s refused: %s", sender.From, why), nil
	}
	log = log.With("partner_id", partner.ID)
	parsed, err := requests.Parse(m.Raw)
	if errors.Is(err, requests.ErrNotARequest) {
		return reject(log, "not a request: %v", err), nil
	} else if err != nil {
		return reject(log, "unreadable request: %v", err), nil
	}

	data := templates.RequestReplyData{PartnerName: partner.Name, OriginalSubject: sender.Subject}
	for _, e := range parsed.Errors {
		data.Errors = append(data.Errors, e.Text)
	}
	for _, req := range parsed.Requests {
		inv, err := r.store.CreateInvitation(ctx, partnerships.NewInvitation{
			PartnerID: partner.ID, Email: req.CustomerEmail, Type: req.Type, Roles: req.Roles,
			Locale: req.Locale, Message: req.Message, TTL: r.cfg.InviteTTL,
			UserAgent: "email", IdempotencyKey: key + "#" + req.File + "#" + strconv.Itoa(req.Line),
		})
		if err != nil {
			if temporary(err) {
				return inbox.Decision{}, err
			}
			data.Errors = append(data.Errors, fmt.Sprintf("line %d: %s: %s", req.Line, req.CustomerEmail, explain(err)))
			continue
		}
		r.metrics.Invitation(metrics.StatusCreated)
		if err := queued(r.enq.SendInvitationOf(ctx, inv)); err != nil {
			return inbox.Decision{}, err
		}
		data.Created = append(data.Created, templates.ReplyInvitation{
			CustomerEmail: inv.Email, Type: string(inv.Type), ID: inv.ID, ExpiresAt: inv.ExpiresAt,
		})
	}
	reply := jobs.RequestReplyPayload{Key: key, PartnerID: partner.ID, To: sender.From, InReplyTo: sender.MessageID, Data: data}
	if err := queued(r.enq.RequestReply(ctx, key, reply)); err != nil {
		return inbox.Decision{}, err
	}
	return processed(log, "request from %s: %d invitation(s) created, %d line(s) refused",
		sender.From, len(data.Created), len(data.Errors)), nil
}

// authenticate finds the partner a request comes from, or says why it does not count.
func (r *Router) authenticate(ctx context.Context, s requests.Sender) (partnerships.Partner, string, error) {
	if s.PlusSecret != "" {
		p, err := r.store.PartnerByRequestSecret(ctx, s.PlusSecret)
		if errors.Is(err, partnerships.ErrNotFound) {
			return p, "unknown request address", nil
		}
		return p, "", err
	}
	p, err := r.store.PartnerByContact(ctx, s.From)
	if errors.Is(err, partnerships.ErrNotFound) {
		return p, "the sender is not a registered contact of any partner", nil
	} else if err != nil {
		return p, "", err
	}
	if !s.DKIMPass && !s.SPFPass {
		return p, "no passing DKIM or SPF result from a trusted server, and not sent to the partner's request address", nil
	}
	return p, "", nil
}

// temporary reports errors that are not about the request itself.
func temporary(err error) bool {
	for _, e := range []error{partnerships.ErrInvalidInput, partnerships.ErrInvalidType, partnerships.ErrInvalidRole,
		partnerships.ErrUnknownRecipient, partnerships.ErrSuppressed, partnerships.ErrNotFound,
		partnerships.ErrAlreadyRelated} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}

// explain says in a line what was wrong with one request.
func explain(err error) string {
	var related *partnerships.RelatedError
	switch {
	case errors.As(err, &related):
		rel := related.Relationship
		types := make([]string, len(rel.Types))
		for i, t := range rel.Types {
			types[i] = string(t)
		}
		return fmt.Sprintf("customer %s already has this relationship with you (types %s, since %s); nothing was sent",
			rel.CustomerID, strings.Join(types, ", "), rel.Since.Format("2006-01-02"))
	case errors.Is(err, partnerships.ErrUnknownRecipient):
		return "no customer known to partnerlink has a user with this address; " +
			"the customer's administrator must first be registered by the partnerlink operator"
	case errors.Is(err, partnerships.ErrSuppressed):
		return "this address bounced repeatedly and is suppressed"
	default:
		return err.Error()
	}
}
