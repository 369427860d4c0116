package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/metrics"
	"github.com/partnerlink/partnerlink/partnerships"
)

// EventQueue enqueues relationship notifications; *Enqueuer is one.
type EventQueue interface {
	Notify(ctx context.Context, ev Event) error
}

// notify enqueues ev, taking an event already queued as done.
func notify(ctx context.Context, n EventQueue, ev Event) error {
	if err := n.Notify(ctx, ev); err != nil && !errors.Is(err, ErrAlreadyQueued) {
		return err
	}
	return nil
}

// Expirer handles invitation:expire: an open invitation past its expiry becomes
// expired and its partner is told (EventInvitationExpired).
type Expirer struct {
	store  *partnerships.Store
	notify EventQueue
	log    *slog.Logger

	metrics *metrics.Metrics // Observability (metrics); nil: not counted
}

// NewExpirer returns the invitation:expire handler.
func NewExpirer(store *partnerships.Store, n EventQueue, log *slog.Logger) *Expirer {
	return &Expirer{store: store, notify: n, log: log}
}

// ProcessTask implements asynq.Handler.
func (x *Expirer) ProcessTask(ctx context.Context, t *asynq.Task) error {
	d, err := dueOf(t, partnerships.DueExpire)
	if err != nil {
		return err
	}
	log := taskLog(ctx, x.log, t).With("invitation_id", d.InvitationID)
	inv, err := x.store.ExpireInvitation(ctx, d.InvitationID)
	switch {
	case err == nil:
		x.metrics.Invitation(metrics.StatusExpired)
		log.Info("invitation expired")
	case errors.Is(err, partnerships.ErrNotOpen) && inv.Status == partnerships.StatusExpired:
		// An earlier attempt expired it; make sure the partner is told.
	case errors.Is(err, partnerships.ErrNotOpen), errors.Is(err, partnerships.ErrNotDue), errors.Is(err, partnerships.ErrNotFound):
		log.Info("nothing to expire", "reason", err)
		return nil
	default:
		return fmt.Errorf("jobs: expire %s: %w", d.InvitationID, err)
	}
	return notify(ctx, x.notify, Event{
		Kind: EventInvitationExpired, PartnerID: inv.PartnerID, CustomerID: inv.CustomerID,
		InvitationID: inv.ID, Actor: "system", At: inv.ExpiresAt,
	})
}

// TermKeeper handles relationship:ending (tells both sides a time-bound
// relationship ends in 30, 7 or 1 days) and relationship:end (removes its roles,
// or with auto-extend moves its end on, and tells both sides).
type TermKeeper struct {
	store  *partnerships.Store
	notify EventQueue
	log    *slog.Logger
}

// NewTermKeeper returns the relationship:ending and relationship:end handler.
func NewTermKeeper(store *partnerships.Store, n EventQueue, log *slog.Logger) *TermKeeper {
	return &TermKeeper{store: store, notify: n, log: log}
}

// ProcessTask implements asynq.Handler.
func (k *TermKeeper) ProcessTask(ctx context.Context, t *asynq.Task) error {
	if t.Type() == TypeRelationshipEnding {
		return k.ending(ctx, t)
	}
	return k.end(ctx, t)
}

func (k *TermKeeper) ending(ctx context.Context, t *asynq.Task) error {
	d, err := dueOf(t, partnerships.DueEnding)
	if err != nil {
		return err
	}
	log := k.log.With("customer_id", d.CustomerID, "partner_id", d.PartnerID, "notice", d.Notice)
	rel, err := k.store.Relationship(ctx, d.CustomerID, d.PartnerID)
	if errors.Is(err, partnerships.ErrNotFound) {
		log.Info("relationship gone, no notice")
		return nil
	} else if err != nil {
		return fmt.Errorf("jobs: relationship ending: %w", err)
	}
	if !rel.EndsAt.Equal(d.EndsAt) || !rel.ExpiredAt.IsZero() {
		log.Info("relationship's end changed, no notice", "ends_at", rel.EndsAt)
		return nil
	}
	return notify(ctx, k.notify, Event{
		Kind: EventRelationshipEnding, PartnerID: d.PartnerID, CustomerID: d.CustomerID,
		AcceptanceID: rel.AcceptanceID, Actor: "system", At: d.At, Detail: d.Notice,
	})
}

func (k *TermKeeper) end(ctx context.Context, t *asynq.Task) error {
	d, err := dueOf(t, partnerships.DueEnd)
	if err != nil {
		return err
	}
	log := k.log.With("customer_id", d.CustomerID, "partner_id", d.PartnerID, "ends_at", d.EndsAt)
	rel, extended, err := k.store.EndTerm(ctx, d.CustomerID, d.PartnerID, d.EndsAt)
	switch {
	case err == nil:
		log.Info("relationship term ended", "extended", extended)
	case errors.Is(err, partnerships.ErrStaleSchedule):
		// An earlier attempt may have ended or extended it: tell both sides then.
		rel, err = k.store.Relationship(ctx, d.CustomerID, d.PartnerID)
		if err != nil {
			return fmt.Errorf("jobs: relationship end: %w", err)
		}
		switch {
		case rel.EndsAt.Equal(d.EndsAt) && !rel.ExpiredAt.IsZero():
		case rel.AutoExtend && rel.EndsAt.Equal(d.EndsAt.Add(partnerships.ExtendBy)):
			extended = true
		default:
			log.Info("relationship's end changed, nothing to do", "ends_at", rel.EndsAt)
			return nil
		}
	case errors.Is(err, partnerships.ErrNotFound), errors.Is(err, partnerships.ErrNotDue):
		log.Info("nothing to end", "reason", err)
		return nil
	default:
		return fmt.Errorf("jobs: relationship end: %w", err)
	}
	detail := "roles removed"
	if extended {
		detail = "extended to " + rel.EndsAt.Format("2006-01-02T15:04:05Z07:00")
	}
	return notify(ctx, k.notify, Event{
		Kind: EventRelationshipExpired, PartnerID: d.PartnerID, CustomerID: d.CustomerID,
		AcceptanceID: rel.AcceptanceID, Actor: "system", At: d.EndsAt, Detail: detail,
	})
}

// DueRoutes are the scheduler's task handlers for NewMux.
func DueRoutes(reminder *Reminder, expirer *Expirer, terms *TermKeeper) []Route {
	return []Route{
		{Type: TypeRemind, Handler: reminder},
		{Type: TypeExpire, Handler: expirer},
		{Type: TypeRelationshipEnding, Handler: terms},
		{Type: TypeRelationshipEnd, Handler: terms},
	}
}
