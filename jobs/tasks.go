package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types.
const (
	TypeSendInvitation = "invitation:send"
)

// QueueMail is the queue of every task that sends an email.
const QueueMail = "mail"

// SendMaxRetry is how often a temporarily failing send is retried before the
// invitation is marked failed; with RetryDelay that spans about a day.
const SendMaxRetry = 20

// SendInvitationPayload is the payload of an invitation:send task.
type SendInvitationPayload struct {
	InvitationID string `json:"invitation_id"`
}

// NewSendInvitationTask returns the task that sends invitation id. Its TaskID is
// derived from the invitation, so enqueueing it twice while the first is still
// queued is refused by asynq.
func NewSendInvitationTask(id string) (*asynq.Task, error) {
	if id == "" {
		return nil, fmt.Errorf("jobs: send invitation: empty invitation id")
	}
	payload, err := json.Marshal(SendInvitationPayload{InvitationID: id})
	if err != nil {
		return nil, fmt.Errorf("jobs: send invitation: %w", err)
	}
	return asynq.NewTask(TypeSendInvitation, payload,
		asynq.TaskID(sendTaskID(id)),
		asynq.Queue(QueueMail),
		asynq.MaxRetry(SendMaxRetry),
		asynq.Timeout(2*time.Minute),
	), nil
}

func sendTaskID(invitationID string) string { return "send:" + invitationID }

// RetryDelay is the backoff between attempts: 10s, 20s, 40s … capped at two hours.
func RetryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := 10 * time.Second
	for i := 0; i < n && d < 2*time.Hour; i++ {
		d *= 2
	}
	return min(d, 2*time.Hour)
}

// invitationIDOf reads the invitation id of a task whose payload names one
// (invitation:send, invitation:bounce-notice); a bad payload is never retried.
func invitationIDOf(t *asynq.Task) (string, error) {
	var p struct {
		InvitationID string `json:"invitation_id"`
	}
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return "", fmt.Errorf("jobs: %s: bad payload %q: %w: %w", t.Type(), t.Payload(), err, asynq.SkipRetry)
	}
	if p.InvitationID == "" {
		return "", fmt.Errorf("jobs: %s: bad payload %q: no invitation id: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p.InvitationID, nil
}
