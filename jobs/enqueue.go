package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// ErrAlreadyQueued reports that the task for this invitation is already queued.
var ErrAlreadyQueued = errors.New("jobs: task already queued")

// Enqueuer puts tasks on the queue.
type Enqueuer struct {
	client *asynq.Client
}

// NewEnqueuer returns an Enqueuer that uses client.
func NewEnqueuer(client *asynq.Client) *Enqueuer { return &Enqueuer{client: client} }

// SendInvitation enqueues the send of invitation id. A second call while the first
// task is still queued returns an error wrapping ErrAlreadyQueued. When the caller
// has the invitation, SendInvitationOf makes the send cheaper.
func (e *Enqueuer) SendInvitation(ctx context.Context, id string) error {
	return e.sendInvitation(ctx, SendInvitationPayload{InvitationID: id})
}

// SendInvitationOf enqueues the send of inv, as SendInvitation does, with the
// invitation's partner and address in the task: the worker then reads all it
// needs in one Redis round trip.
func (e *Enqueuer) SendInvitationOf(ctx context.Context, inv partnerships.Invitation) error {
	return e.sendInvitation(ctx, SendPayload(inv))
}

func (e *Enqueuer) sendInvitation(ctx context.Context, p SendInvitationPayload) error {
	task, err := NewSendTask(p)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, fmt.Sprintf("send of invitation %s", p.InvitationID))
}

// enqueue puts task on the queue; what names it in errors. A task whose TaskID is
// queued or retained already gives an error wrapping ErrAlreadyQueued.
func (e *Enqueuer) enqueue(ctx context.Context, task *asynq.Task, what string) error {
	if _, err := e.client.EnqueueContext(ctx, task); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			return fmt.Errorf("%w: %s", ErrAlreadyQueued, what)
		}
		return fmt.Errorf("jobs: enqueue %s: %w", what, err)
	}
	return nil
}
