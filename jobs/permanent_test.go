package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendPermanentFailure has the SMTP server refuse the recipient with 5xx: the
// handler skips retries and the invitation fails with the server's reply.
func TestSendPermanentFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, r := range []refusal{
		{"550 no such user", 550, smtp.EnhancedCode{5, 1, 1}, "no such user here"},
		{"553 bad address", 553, smtp.EnhancedCode{5, 1, 3}, "mailbox name not allowed"},
		{"554 policy", 554, smtp.EnhancedCode{5, 7, 1}, "rejected by policy"},
	} {
		t.Run(r.name, func(t *testing.T) {
			got, err := e.sendRefused(t, r)
			if !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, mailer.ErrPermanent) {
				t.Fatalf("ProcessTask = %v, want a permanent error wrapping asynq.SkipRetry", err)
			}
			if got.Status != partnerships.StatusFailed || !strings.Contains(got.FailureReason, r.text) {
				t.Errorf("invitation = {Status:%s FailureReason:%q}, want failed with %q", got.Status, got.FailureReason, r.text)
			}
			if strings.HasPrefix(got.FailureReason, "gave up") {
				t.Errorf("FailureReason = %q: a permanent failure is not giving up", got.FailureReason)
			}
		})
	}
	e.noMessages(t)
}

// TestSendPermanentFailureArchived runs the real worker: a send refused with 550
// archives the task at once, without retries, and fails the invitation.
func TestSendPermanentFailureArchived(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const reply = "no such user here"
	inv := e.invite(t, partnerships.Advisor, "en")
	e.sink.FailWith(smtpReply(550, smtp.EnhancedCode{5, 1, 1}, reply))
	if err := NewEnqueuer(e.client(t)).SendInvitation(context.Background(), inv.ID); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t)
	insp := e.inspector(t)

	info := e.taskInfo(t, insp, inv.ID, asynq.TaskStateArchived)
	if info.Retried != 0 || !strings.Contains(info.LastErr, reply) {
		t.Errorf("archived task = {Retried:%d LastErr:%q}, want not retried, the server's reply", info.Retried, info.LastErr)
	}
	archived, err := insp.ListArchivedTasks(QueueMail)
	if err != nil {
		t.Fatal(err)
	}
	if len(archived) != 1 || archived[0].ID != sendTaskID(inv.ID) {
		t.Errorf("archived tasks = %d, want just %s", len(archived), sendTaskID(inv.ID))
	}
	if retry, err := insp.ListRetryTasks(QueueMail); err != nil || len(retry) != 0 {
		t.Errorf("ListRetryTasks = %d tasks, %v; want none", len(retry), err)
	}
	got := e.status(t, inv.ID, partnerships.StatusFailed)
	if !strings.Contains(got.FailureReason, reply) {
		t.Errorf("FailureReason = %q, want the server's reply %q", got.FailureReason, reply)
	}
	e.noMessages(t)
}
