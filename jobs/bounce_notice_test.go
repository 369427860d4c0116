package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
)

// bounced stores an invitation that was sent and then bounced.
func (e *env) bounced(tb testing.TB, reason string) partnerships.Invitation {
	tb.Helper()
	ctx := context.Background()
	inv := e.invite(tb, partnerships.DelegatedAdmin, "de")
	if _, err := e.store.MarkSent(ctx, inv.ID, mailer.MessageID(inv.ID, "invitation", testDomain)); err != nil {
		tb.Fatal(err)
	}
	inv, err := e.store.MarkBounced(ctx, inv.ID, reason)
	if err != nil {
		tb.Fatal(err)
	}
	return inv
}

// TestBounceNotice enqueues a notice through the Enqueuer and has the real worker,
// routed as cmd/ wires it, send it to the partner; a second notice of the same
// invitation is refused for a day, also after the first one ran.
func TestBounceNotice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	inv := e.bounced(t, "550 5.1.1 <ada@fabrikam.example>: Recipient address rejected: User unknown")
	enq := NewEnqueuer(e.client(t))
	if err := enq.BounceNotice(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	srv := NewServer(e.conn, ServerConfig{Concurrency: 2, ShutdownTimeout: 2 * time.Second}, e.log)
	notifier := NewBounceNotifier(e.store, e.tpl, e.mail, testDomain, e.log)
	if err := srv.Start(NewMux(e.sender, Route{Type: TypeBounceNotice, Handler: notifier})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)

	m := e.messages(t, 1)[0]
	if len(m.To) != 1 || m.To[0] != e.partner.ContactEmail {
		t.Errorf("envelope recipients = %v, want [%s]", m.To, e.partner.ContactEmail)
	}
	if want := mailer.MessageID(inv.ID, "bounce-notice", testDomain); m.MessageID != want {
		t.Errorf("Message-ID = %q, want %q", m.MessageID, want)
	}
	if got := m.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if m.ParseErr != "" {
		t.Errorf("notice did not parse: %s", m.ParseErr)
	}
	if want := "Your invitation to " + adminEmail + " bounced"; m.Subject != want {
		t.Errorf("subject = %q, want %q (English, whatever the invitation's locale)", m.Subject, want)
	}
	text := strings.Join(strings.Fields(m.Text), " ")
	for _, want := range []string{inv.ID, "Recipient address rejected: User unknown", "Fabrikam, Inc.", "Delegated administrator"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.Text)
		}
	}

	insp := e.inspector(t)
	eventually(t, "notice task completed", func() bool {
		info, err := insp.GetTaskInfo(QueueMail, bounceNoticeTaskID(inv.ID))
		return err == nil && info.State == asynq.TaskStateCompleted
	})
	info, err := insp.GetTaskInfo(QueueMail, bounceNoticeTaskID(inv.ID))
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != TypeBounceNotice || info.Retention != BounceNoticeRetention || string(info.Payload) != `{"invitation_id":"`+inv.ID+`"}` {
		t.Errorf("task = {Type:%s Retention:%s Payload:%s}", info.Type, info.Retention, info.Payload)
	}
	if err := enq.BounceNotice(ctx, inv.ID); !errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("second BounceNotice = %v, want ErrAlreadyQueued", err)
	}
	if err := enq.BounceNotice(ctx, ""); err == nil || errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("BounceNotice(\"\") = %v, want an error", err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(e.sink.Messages()); n != 1 {
		t.Errorf("sink holds %d messages, want 1", n)
	}
}

// TestBounceNoticeOutcomes calls the handler directly.
func TestBounceNoticeOutcomes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	notifier := NewBounceNotifier(e.store, e.tpl, e.mail, testDomain, e.log)
	run := func(id string) error {
		task, err := NewBounceNoticeTask(id)
		if err != nil {
			t.Fatal(err)
		}
		return notifier.ProcessTask(ctx, task)
	}

	// Not bounced: no notice, no error.
	sent := e.invite(t, partnerships.Reseller, "en")
	if err := run(sent.ID); err != nil {
		t.Errorf("notice of a pending invitation = %v, want nil", err)
	}
	// Unknown invitation and bad payloads: not retried.
	unknown := sent.ID[:len(sent.ID)-16] + "aaaaaaaaaaaaaaaa"
	if err := run(unknown); !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, partnerships.ErrNotFound) {
		t.Errorf("notice of an unknown invitation = %v, want ErrNotFound and SkipRetry", err)
	}
	if err := notifier.ProcessTask(ctx, asynq.NewTask(TypeBounceNotice, []byte(`{`))); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("bad payload = %v, want SkipRetry", err)
	}
	e.noMessages(t)

	// The SMTP server refuses the partner's address for good: not retried.
	inv := e.bounced(t, "550 5.1.1 user unknown")
	e.sink.FailWith(smtpReply(550, [3]int{5, 1, 1}, "no such user"))
	if err := run(inv.ID); !errors.Is(err, asynq.SkipRetry) || !errors.Is(err, mailer.ErrPermanent) {
		t.Errorf("refused notice = %v, want ErrPermanent and SkipRetry", err)
	}
	// Temporarily: retried.
	e.sink.FailWith(smtpReply(451, [3]int{4, 3, 0}, "try later"))
	if err := run(inv.ID); err == nil || errors.Is(err, asynq.SkipRetry) || !errors.Is(err, mailer.ErrTemporary) {
		t.Errorf("temporarily refused notice = %v, want ErrTemporary, retried", err)
	}
	e.sink.FailWith(nil)
	if err := run(inv.ID); err != nil {
		t.Errorf("notice = %v", err)
	}
	e.messages(t, 1)
}
