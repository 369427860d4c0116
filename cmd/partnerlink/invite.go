package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/requests"
)

// refusedError is an invitation the store refused (unknown customer, already
// related, suppressed), or a bulk run with refused rows; the process exits with 3.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

const inviteSummary = `Invites a customer on behalf of a partner: stores the invitation and queues its
email for a running worker. With --csv, invites every row of a CSV file whose
header row names the columns customer_email, relationship_type (required), roles
(separated by ";" or "|"), locale, message, duration, auto_extend (optional), the
format of the CSV attachment of a request email. Every row is invited at most once
in 30 days, even when the file is given again (after a crash, or with the refused
rows fixed): rows invited before are counted as "already invited".

Exit codes: 0 all invited; 1 runtime error (Redis unreachable…); 2 usage or
configuration error, or a CSV file that cannot be read (nothing is written);
3 the invitation was refused, or some rows were refused (the others are invited).`

// inviteFlags are the flags of `partnerlink invite` beyond its settings.
type inviteFlags struct {
	partner, email, typ, roles, locale, message, duration, csv string
	autoExtend, dryRun                                         bool
}

func runInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("invite", inviteSummary, stdout, "redis-url", "invite-ttl", "reminders")
	var in inviteFlags
	f.fs.StringVar(&in.partner, "partner", "", "id of the partner who invites, pa_… (required; partnerlink partners list)")
	f.fs.StringVar(&in.email, "email", "", "email address of a user of the customer to invite (required without --csv)")
	f.fs.StringVar(&in.typ, "type", "", "relationship type (required without --csv): "+typeNames())
	f.fs.StringVar(&in.roles, "roles", "", "comma list of roles the type grants (default: all of them; none: none)")
	f.fs.StringVar(&in.locale, "locale", "en", "language of the invitation: en or de")
	f.fs.StringVar(&in.message, "message", "", "personal note in the invitation, at most 2000 characters")
	f.fs.StringVar(&in.duration, "duration", "", "how long the relationship lasts once accepted, 1 day to 2 years: 720h, 30d or 30 (default: open-ended)")
	f.fs.BoolVar(&in.autoExtend, "auto-extend", false, "extend the relationship by 180 days at each end (needs --duration; not with global_admin)")
	f.fs.StringVar(&in.csv, "csv", "", "CSV file of invitations to send in bulk, one a row (instead of --email, --type…)")
	f.fs.BoolVar(&in.dryRun, "dry-run", false, "check every invitation (and, with the store, the customer) without writing or queueing anything")
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	if in.partner == "" {
		return configErrorf("--partner is required: the id of the partner who invites (partnerlink partners list)")
	}
	if in.csv != "" {
		set := map[string]bool{}
		f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		for _, n := range []string{"email", "type", "roles", "locale", "message", "duration", "auto-extend"} {
			if set[n] {
				return configErrorf("--%s cannot be used with --csv: the file's columns say it for each row", n)
			}
		}
		return inviteCSV(ctx, cfg, in, stdout, stderr)
	}
	return inviteOne(ctx, cfg, in, stdout)
}

// inviter creates invitations and queues their sends.
type inviter struct {
	store   *partnerships.Store
	enq     *jobs.Enqueuer
	partner string
	cfg     config
	close   func()
}

// openInviter connects to Redis and checks that the partner exists.
func openInviter(ctx context.Context, cfg config, partner string) (*inviter, error) {
	rdb, connOpt, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return nil, err
	}
	client := asynq.NewClient(connOpt)
	iv := &inviter{
		store: partnerships.NewStore(rdb, partnerships.WithReminders(cfg.Reminders)),
		enq:   jobs.NewEnqueuer(client), partner: partner, cfg: cfg,
		close: func() { client.Close(); rdb.Close() },
	}
	if _, err := iv.store.Partner(ctx, partner); err != nil {
		iv.close()
		if errors.Is(err, partnerships.ErrNotFound) || errors.Is(err, partnerships.ErrInvalidInput) {
			return nil, configErrorf("--partner %q: no such partner (partnerlink partners list)", partner)
		}
		return nil, err
	}
	return iv, nil
}

// newInvitation is req as the store takes it.
func (iv *inviter) newInvitation(req requests.Request, key string) partnerships.NewInvitation {
	return partnerships.NewInvitation{
		PartnerID: iv.partner, Email: req.CustomerEmail, Type: req.Type, Roles: req.Roles,
		Locale: req.Locale, Message: req.Message, TTL: iv.cfg.InviteTTL,
		Duration: req.Duration, AutoExtend: req.AutoExtend,
		IdempotencyKey: key, UserAgent: "partnerlink invite",
	}
}

// queue queues the send of inv unless it has left pending (sent before).
func (iv *inviter) queue(ctx context.Context, inv partnerships.Invitation) error {
	if inv.Status != partnerships.StatusPending {
		return nil
	}
	if err := iv.enq.SendInvitationOf(ctx, inv); err != nil && !errors.Is(err, jobs.ErrAlreadyQueued) {
		return fmt.Errorf("invitation %s is stored but its send could not be queued (running the same command again queues it): %w", inv.ID, err)
	}
	return nil
}

// refusal explains a store error that refuses this one invitation, or returns ""
// for an error that is not about the invitation (Redis down).
func refusal(err error, email string) string {
	var related *partnerships.RelatedError
	switch {
	case errors.As(err, &related):
		return fmt.Sprintf("customer %s already has a %s relationship with this partner", related.Relationship.CustomerID, joinTypes(related.Relationship.Types))
	case errors.Is(err, partnerships.ErrAlreadyRelated):
		return "the customer already has this relationship with this partner"
	case errors.Is(err, partnerships.ErrUnknownRecipient):
		return fmt.Sprintf("no customer known to partnerlink has a user %s (partnerlink customers add-user)", email)
	case errors.Is(err, partnerships.ErrSuppressed):
		return fmt.Sprintf("invitations to %s are suppressed: it bounced repeatedly or reported our mail as spam (partnerlink suppressions lift)", email)
	case errors.Is(err, partnerships.ErrInvalidInput), errors.Is(err, partnerships.ErrInvalidRole), errors.Is(err, partnerships.ErrInvalidType):
		return strings.TrimPrefix(err.Error(), "partnerships: ")
	}
	return ""
}

func joinTypes(ts []partnerships.RelationshipType) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return strings.Join(names, "+")
}

func typeNames() string {
	var names []string
	for _, t := range partnerships.Types() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

// inviteOne creates the invitation the flags describe.
func inviteOne(ctx context.Context, cfg config, in inviteFlags, stdout io.Writer) error {
	if in.email == "" || in.typ == "" {
		return configErrorf("--email and --type are required (or --csv FILE)")
	}
	values := map[string]string{"customer_email": in.email, "relationship_type": in.typ, "locale": in.locale,
		"message": in.message, "duration": in.duration}
	if in.roles != "" {
		values["roles"] = in.roles
	}
	if in.autoExtend {
		values["auto_extend"] = "true"
	}
	req, err := requests.Check(values)
	if err != nil {
		return configErrorf("%v", err)
	}
	iv, err := openInviter(ctx, cfg, in.partner)
	if err != nil {
		return err
	}
	defer iv.close()
	if in.dryRun {
		if why, err := iv.precheck(ctx, req); err != nil {
			return err
		} else if why != "" {
			return &refusedError{msg: "refused: " + why}
		}
		fmt.Fprintf(stdout, "%s (%s) can be invited; nothing was written (--dry-run)\n", req.CustomerEmail, req.Type)
		return nil
	}
	inv, err := iv.store.CreateInvitation(ctx, iv.newInvitation(req, ""))
	if err != nil {
		if errors.Is(err, partnerships.ErrInvalidInput) || errors.Is(err, partnerships.ErrInvalidRole) || errors.Is(err, partnerships.ErrInvalidType) {
			return configErrorf("%v", err)
		}
		if why := refusal(err, req.CustomerEmail); why != "" {
			return &refusedError{msg: "refused: " + why}
		}
		return err
	}
	if err := iv.queue(ctx, inv); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "invitation %s %s: %s for %s (customer %s), send queued\n", inv.ID, inv.Status, inv.Type, inv.Email, inv.CustomerID)
	return nil
}

// precheck reads what CreateInvitation would refuse req for, without writing: an
// unknown address, a suppressed one, a relationship that already has the type.
func (iv *inviter) precheck(ctx context.Context, req requests.Request) (string, error) {
	user, err := iv.store.UserByEmail(ctx, req.CustomerEmail)
	if err != nil {
		if why := refusal(err, req.CustomerEmail); why != "" {
			return why, nil
		}
		return "", err
	}
	if suppressed, err := iv.store.Suppressed(ctx, req.CustomerEmail); err != nil {
		return "", err
	} else if suppressed {
		return refusal(partnerships.ErrSuppressed, req.CustomerEmail), nil
	}
	rel, err := iv.store.Relationship(ctx, user.CustomerID, iv.partner)
	switch {
	case errors.Is(err, partnerships.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	}
	for _, t := range rel.Types {
		if t == req.Type {
			return refusal(&partnerships.RelatedError{Relationship: rel}, req.CustomerEmail), nil
		}
	}
	return "", nil
}
