package mailroom

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/partnerlink/partnerlink/bounces"
	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// Config says which mail to trust.
type Config struct {
	// Address is where partners send requests, e.g. partnerlink@example.com; a
	// partner's secret plus-address is partnerlink+<secret>@example.com.
	Address string
	// TrustedAuthServ lists the authserv-ids whose Authentication-Results headers
	// count (the receiving mail servers of Address).
	TrustedAuthServ []string
	// InviteTTL is how long invitations requested by mail stay valid.
	InviteTTL time.Duration
}

// Router is the inbox.Handler of partnerlink's inbox.
type Router struct {
	cfg   Config
	store *partnerships.Store
	enq   *jobs.Enqueuer
	log   *slog.Logger

	metrics *metrics.Metrics // Observability (metrics); nil: not counted
}

// New returns the router.
func New(cfg Config, store *partnerships.Store, enq *jobs.Enqueuer, log *slog.Logger) *Router {
	return &Router{cfg: cfg, store: store, enq: enq, log: log}
}

// Handle sorts one message. A returned error is temporary (Redis unreachable): the
// message stays in the inbox and comes again with the same key; every effect is
// keyed by it, so acting twice changes nothing.
func (r *Router) Handle(ctx context.Context, key string, m *inbox.Message) (inbox.Decision, error) {
	d, err := r.handle(ctx, key, m)
	if err == nil {
		r.observeLag(m, d)
	}
	return d, err
}

func (r *Router) handle(ctx context.Context, key string, m *inbox.Message) (inbox.Decision, error) {
	log := r.log.With("mail", key)
	rep, err := bounces.Parse(m.Raw)
	if err != nil {
		return reject(log, "unreadable message: %v", err), nil
	}
	if rep.Complaint { // deliver: abuse reports (ARF)
		return r.complaint(ctx, log, rep)
	}
	if rep.Bounce {
		return r.bounce(ctx, log, rep)
	}
	return r.request(ctx, log, key, m)
}

func reject(log *slog.Logger, format string, args ...any) inbox.Decision {
	reason := fmt.Sprintf(format, args...)
	log.Info("mail rejected", "reason", reason)
	return inbox.Decision{Folder: inbox.Rejected, Reason: reason}
}

func processed(log *slog.Logger, format string, args ...any) inbox.Decision {
	reason := fmt.Sprintf(format, args...)
	log.Info("mail processed", "outcome", reason)
	return inbox.Decision{Folder: inbox.Processed, Reason: reason}
}

// queued treats "already queued" as done: the effect is keyed, so a second try
// of the same mail finds its task in place.
func queued(err error) error {
	if errors.Is(err, jobs.ErrAlreadyQueued) {
		return nil
	}
	return err
}
