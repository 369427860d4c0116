package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// TypeNotify is the task that tells a partner (by email and, when it has one, by
// its webhook) or a customer's administrators (by email) that something happened
// to their relationship.
const TypeNotify = "relationship:notify"

// Event kinds. Who is told follows from the kind (see Audience).
const (
	EventInvitationAccepted  = "invitation.accepted"  // partner
	EventInvitationDeclined  = "invitation.declined"  // partner
	EventInvitationExpired   = "invitation.expired"   // partner
	EventAgreementSigned     = "agreement.signed"     // partner
	EventRolesRemoved        = "roles.removed"        // partner
	EventRelationshipEnded   = "relationship.ended"   // customer: the partner ended it
	EventRelationshipEnding  = "relationship.ending"  // partner and customer: a time-bound relationship ends soon
	EventRelationshipExpired = "relationship.expired" // partner and customer: a time-bound relationship ended, roles removed
)

// Event is one thing to tell a partner or a customer. It names the records; the
// handler reads them when it runs, so a retried task tells the current truth.
type Event struct {
	Kind         string    `json:"kind"`
	PartnerID    string    `json:"partner_id"`
	CustomerID   string    `json:"customer_id"`
	InvitationID string    `json:"invitation_id,omitempty"`
	AcceptanceID string    `json:"acceptance_id,omitempty"`
	Actor        string    `json:"actor,omitempty"`  // who did it: a user's email, a partner id, "system"
	At           time.Time `json:"at"`               // when it happened (the store's time)
	Detail       string    `json:"detail,omitempty"` // e.g. the roles removed, "7d" before the end
}

// NotifyRetention keeps a finished notification task so the same event enqueued
// again (a retried request, two schedulers) is refused instead of told twice.
const NotifyRetention = 7 * 24 * time.Hour

const notifyMaxRetry = 10

// notifyTaskID names an event: the same event always gets the same id.
func notifyTaskID(ev Event) string {
	return "notify:" + ev.Kind + ":" + ev.CustomerID + ":" + ev.PartnerID + ":" + ev.InvitationID + ":" +
		ev.Detail + ":" + strconv.FormatInt(ev.At.UnixMilli(), 10)
}

// NewNotifyTask returns the task that delivers ev.
func NewNotifyTask(ev Event) (*asynq.Task, error) {
	if ev.Kind == "" || ev.PartnerID == "" || ev.CustomerID == "" || ev.At.IsZero() {
		return nil, fmt.Errorf("jobs: notify: event needs kind, partner, customer and time: %+v", ev)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("jobs: notify: %w", err)
	}
	return asynq.NewTask(TypeNotify, payload,
		asynq.TaskID(notifyTaskID(ev)),
		asynq.Queue(QueueMail),
		asynq.MaxRetry(notifyMaxRetry),
		asynq.Timeout(2*time.Minute),
		asynq.Retention(NotifyRetention),
	), nil
}

// Notify enqueues the delivery of ev. The same event enqueued again while its task
// is queued or retained returns an error wrapping ErrAlreadyQueued.
func (e *Enqueuer) Notify(ctx context.Context, ev Event) error {
	task, err := NewNotifyTask(ev)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, notifyTaskID(ev))
}
