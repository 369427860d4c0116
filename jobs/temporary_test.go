package jobs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendTemporaryFailure has the SMTP server refuse the recipient with 4xx:
// the handler's error is retried (not SkipRetry) and the invitation stays pending.
func TestSendTemporaryFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, r := range []refusal{
		{"451 local error", 451, smtp.EnhancedCode{4, 3, 0}, "local error, try again"},
		{"452 mailbox full", 452, smtp.EnhancedCode{4, 2, 2}, "mailbox full"},
		{"450 mailbox busy", 450, smtp.EnhancedCode{4, 2, 1}, "mailbox busy"},
	} {
		t.Run(r.name, func(t *testing.T) {
			got, err := e.sendRefused(t, r)
			if err == nil || errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("ProcessTask = %v, want an error asynq retries", err)
			}
			var se *mailer.SendError
			if !errors.As(err, &se) || !se.Temporary || se.Code != r.code || !strings.Contains(se.Reply, r.text) {
				t.Errorf("ProcessTask = %v, want a temporary *mailer.SendError %d %q", err, r.code, r.text)
			}
			if got.Status != partnerships.StatusPending || got.FailureReason != "" || got.MessageID != "" {
				t.Errorf("invitation = {Status:%s FailureReason:%q MessageID:%q}, want pending and untouched", got.Status, got.FailureReason, got.MessageID)
			}
		})
	}
	e.noMessages(t)
}

// TestSendTemporaryFailureRetried runs the real worker: a send refused with 451
// puts the task in the retry set with the invitation pending; once the server
// accepts again, running the task sends the invitation.
func TestSendTemporaryFailureRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	inv := e.invite(t, partnerships.MPSA, "en")
	e.sink.FailWith(smtpReply(451, smtp.EnhancedCode{4, 3, 0}, "local error, try again"))
	if err := NewEnqueuer(e.client(t)).SendInvitation(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t)
	insp := e.inspector(t)

	info := e.taskInfo(t, insp, inv.ID, asynq.TaskStateRetry)
	if info.Retried < 1 || !strings.Contains(info.LastErr, "local error, try again") || info.MaxRetry != SendMaxRetry {
		t.Errorf("retry task = {Retried:%d MaxRetry:%d LastErr:%q}, want retried >= 1 of %d, the server's reply",
			info.Retried, info.MaxRetry, info.LastErr, SendMaxRetry)
	}
	retry, err := insp.ListRetryTasks(QueueMail)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(retry, func(i *asynq.TaskInfo) bool { return i.ID == sendTaskID(inv.ID) }) {
		t.Errorf("retry set lacks %s", sendTaskID(inv.ID))
	}
	if got := e.invitation(t, inv.ID); got.Status != partnerships.StatusPending {
		t.Errorf("status after a temporary failure = %s, want pending", got.Status)
	}
	e.noMessages(t)

	e.sink.FailWith(nil)
	if err := insp.RunTask(QueueMail, sendTaskID(inv.ID)); err != nil {
		t.Fatal(err)
	}
	msgs := e.messages(t, 1)
	if want := mailer.MessageID(inv.ID, "invitation", testDomain); msgs[0].MessageID != want {
		t.Errorf("Message-ID = %s, want %s", msgs[0].MessageID, want)
	}
	_, token := inviteLink(t, msgs[0].Text)
	e.checkToken(t, token, inv)
	e.status(t, inv.ID, partnerships.StatusSent)
	e.taskGone(t, insp, inv.ID)
}
