package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/tokens"
)

// Task types of the scheduler's due work (sched).
const (
	TypeRemind             = "invitation:remind"
	TypeExpire             = "invitation:expire"
	TypeRelationshipEnding = "relationship:ending"
	TypeRelationshipEnd    = "relationship:end"
)

// DueRetention keeps a finished due task so the same entry enqueued again (two
// schedulers, a sweep that stopped before removing its entries) is refused.
const DueRetention = 7 * 24 * time.Hour

const dueMaxRetry = 10

// duePayload names the due entry a task is for; the handler reads the records
// when it runs.
type duePayload struct {
	Entry string `json:"entry"`
}

var dueTypes = map[string]string{
	partnerships.DueRemind: TypeRemind,
	partnerships.DueExpire: TypeExpire,
	partnerships.DueEnding: TypeRelationshipEnding,
	partnerships.DueEnd:    TypeRelationshipEnd,
}

// dueTaskID names a due entry's task: the same entry always gets the same id.
func dueTaskID(member string) string { return "due:" + member }

// NewDueTask returns the task that does due entry d.
func NewDueTask(d partnerships.Due) (*asynq.Task, error) {
	typ, ok := dueTypes[d.Kind]
	if !ok {
		return nil, fmt.Errorf("jobs: due entry %q: unknown kind", d.Member)
	}
	payload, err := json.Marshal(duePayload{Entry: d.Member})
	if err != nil {
		return nil, fmt.Errorf("jobs: due entry %q: %w", d.Member, err)
	}
	return asynq.NewTask(typ, payload,
		asynq.TaskID(dueTaskID(d.Member)),
		asynq.Queue(QueueMail),
		asynq.MaxRetry(dueMaxRetry),
		asynq.Timeout(2*time.Minute),
		asynq.Retention(DueRetention),
	), nil
}

// EnqueueDue enqueues the task of due entry d. The same entry enqueued again while
// its task is queued or retained returns an error wrapping ErrAlreadyQueued.
func (e *Enqueuer) EnqueueDue(ctx context.Context, d partnerships.Due) error {
	task, err := NewDueTask(d)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, dueTaskID(d.Member))
}

// dueOf reads the due entry of a scheduler task; a bad payload is never retried.
func dueOf(t *asynq.Task, kind string) (partnerships.Due, error) {
	var p duePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return partnerships.Due{}, fmt.Errorf("jobs: %s: bad payload %q: %w: %w", t.Type(), t.Payload(), err, asynq.SkipRetry)
	}
	d, err := partnerships.ParseDue(p.Entry)
	if err != nil || d.Kind != kind {
		return partnerships.Due{}, fmt.Errorf("jobs: %s: bad entry %q: %w", t.Type(), p.Entry, asynq.SkipRetry)
	}
	return d, nil
}

// StopRemindersClaims are the claims of an invitation's stop-reminders link. Its
// id is derived from the invitation's token id, so the link is the same in every
// reminder and is refused once a new link replaced the invitation's token.
func StopRemindersClaims(inv partnerships.Invitation) tokens.Claims {
	sum := sha256.Sum256([]byte("stop-reminders\n" + inv.TokenID))
	return tokens.Claims{
		ID:        hex.EncodeToString(sum[:16]),
		Purpose:   tokens.PurposeStopReminders,
		Subject:   inv.ID,
		Recipient: inv.Email,
		IssuedAt:  inv.CreatedAt,
		ExpiresAt: inv.ExpiresAt,
	}
}
