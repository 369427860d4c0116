package jobs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
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
	// PartnerID and Email are the invitation's when it was queued, so the handler
	// reads the partner and the address's suppression together with the
	// invitation, in one round trip. Optional: tasks queued without them (by
	// older versions, or by SendInvitation with just an id) cost one round trip
	// more. The handler always goes by what the stored invitation says.
	PartnerID string `json:"partner_id,omitempty"`
	Email     string `json:"email,omitempty"`
	// Sends is the invitation's send count when it was queued: the handler makes
	// that send's Message-ID before reading and records the attempt in the same
	// round trip. Optional, like the two above; a resend since is noticed.
	Sends int `json:"sends,omitempty"`
}

// SendPayload returns the payload of the task that sends inv.
func SendPayload(inv partnerships.Invitation) SendInvitationPayload {
	return SendInvitationPayload{InvitationID: inv.ID, PartnerID: inv.PartnerID, Email: inv.Email, Sends: inv.Sends}
}

// NewSendInvitationTask returns the task that sends invitation id. Its TaskID is
// derived from the invitation, so enqueueing it twice while the first is still
// queued is refused by asynq. NewSendTask makes the same task with a fuller
// payload.
func NewSendInvitationTask(id string) (*asynq.Task, error) {
	return NewSendTask(SendInvitationPayload{InvitationID: id})
}

// NewSendTask returns the task that sends invitation p.InvitationID (see
// NewSendInvitationTask); the rest of p saves the handler a round trip.
func NewSendTask(p SendInvitationPayload) (*asynq.Task, error) {
	id := p.InvitationID
	if id == "" {
		return nil, fmt.Errorf("jobs: send invitation: empty invitation id")
	}
	return newSendTask(p, sendTaskID(id), "send invitation")
}

// newSendTask is the invitation:send task with payload p and TaskID taskID, a first
// send's or a resend's; what names it in errors.
func newSendTask(p SendInvitationPayload, taskID, what string) (*asynq.Task, error) {
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("jobs: %s: %w", what, err)
	}
	return asynq.NewTask(TypeSendInvitation, payload,
		asynq.TaskID(taskID),
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

// sendPayloadOf reads an invitation:send task's payload (or the invitation id of
// another task's, see invitationIDOf); a bad payload is never retried.
func sendPayloadOf(t *asynq.Task) (SendInvitationPayload, error) {
	var p SendInvitationPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return p, fmt.Errorf("jobs: %s: bad payload %q: %w: %w", t.Type(), t.Payload(), err, asynq.SkipRetry)
	}
	if p.InvitationID == "" {
		return p, fmt.Errorf("jobs: %s: bad payload %q: no invitation id: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p, nil
}

// invitationIDOf reads the invitation id of a task whose payload names one
// (invitation:bounce-notice); a bad payload is never retried.
func invitationIDOf(t *asynq.Task) (string, error) {
	p, err := sendPayloadOf(t)
	if err != nil {
		return "", err
	}
	return p.InvitationID, nil
}
