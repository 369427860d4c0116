package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"
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
// task is still queued returns an error wrapping ErrAlreadyQueued.
func (e *Enqueuer) SendInvitation(ctx context.Context, id string) error {
	task, err := NewSendInvitationTask(id)
	if err != nil {
		return err
	}
	if _, err := e.client.EnqueueContext(ctx, task); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			return fmt.Errorf("%w: send of invitation %s", ErrAlreadyQueued, id)
		}
		return fmt.Errorf("jobs: enqueue send of invitation %s: %w", id, err)
	}
	return nil
}
