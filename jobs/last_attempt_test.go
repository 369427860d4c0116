package jobs

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendLastAttempt runs the real worker on tasks with few retries against an
// SMTP server that always answers 451: each attempt but the last is retried, the
// last archives the task and fails the invitation with "gave up after N attempts".
// asynq's own context carries the retry counts, so this is the path production
// takes; TestJudgeFailure covers the decision in detail.
func TestSendLastAttempt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		maxRetry int
	}{
		{"no retries", 0},
		{"two retries", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			const reply = "greylisted, come back later"
			inv := e.invite(t, partnerships.Reseller, "en")
			e.sink.FailWith(smtpReply(451, smtp.EnhancedCode{4, 7, 1}, reply))
			tk := task(t, inv.ID)
			if _, err := e.client(t).Enqueue(tk, asynq.MaxRetry(tt.maxRetry)); err != nil {
				t.Fatal(err)
			}
			e.startWorker(t)
			insp := e.inspector(t)

			for retried := 1; retried <= tt.maxRetry; retried++ {
				var info *asynq.TaskInfo
				eventually(t, "retry "+strconv.Itoa(retried), func() bool {
					var err error
					info, err = insp.GetTaskInfo(QueueMail, sendTaskID(inv.ID))
					return err == nil && info.State == asynq.TaskStateRetry && info.Retried == retried
				})
				if got := e.invitation(t, inv.ID); got.Status != partnerships.StatusPending {
					t.Fatalf("after %d attempts: status %s, want pending", retried, got.Status)
				}
				if err := insp.RunTask(QueueMail, sendTaskID(inv.ID)); err != nil {
					t.Fatal(err)
				}
			}
			info := e.taskInfo(t, insp, inv.ID, asynq.TaskStateArchived)
			if info.Retried != tt.maxRetry {
				t.Errorf("archived after %d retries, want %d", info.Retried, tt.maxRetry)
			}
			got := e.status(t, inv.ID, partnerships.StatusFailed)
			wantPrefix := "gave up after " + strconv.Itoa(tt.maxRetry+1) + " attempts: "
			if !strings.HasPrefix(got.FailureReason, wantPrefix) || !strings.Contains(got.FailureReason, reply) {
				t.Errorf("FailureReason = %q, want %q… with the server's reply %q", got.FailureReason, wantPrefix, reply)
			}
			e.noMessages(t)
		})
	}
}

// TestSendLastAttemptTimeout lets the task's deadline pass while the SMTP server
// has not answered, on the last attempt: the invitation is still marked failed,
// though the task's context has ended by then.
func TestSendLastAttemptTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inv := e.invite(t, partnerships.Reseller, "en")
	release := make(chan struct{})
	e.sink.FailWith(func(string) *smtp.SMTPError {
		<-release // past the task's deadline
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "too late"}
	})
	t.Cleanup(func() { close(release) }) // before the sink closes
	if _, err := e.client(t).Enqueue(task(t, inv.ID), asynq.MaxRetry(0), asynq.Timeout(time.Second)); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t)

	e.taskInfo(t, e.inspector(t), inv.ID, asynq.TaskStateArchived)
	got := e.status(t, inv.ID, partnerships.StatusFailed)
	if !strings.HasPrefix(got.FailureReason, "gave up after 1 attempts: ") || !strings.Contains(got.FailureReason, "deadline exceeded") {
		t.Errorf("FailureReason = %q, want it to give up after the deadline", got.FailureReason)
	}
	e.noMessages(t)
}
