package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/partnerships"
)

// recorder is a Mailer that keeps every message it is asked to send and sends it
// with the real mailer, so a test sees attempts the SMTP server refused too.
type recorder struct {
	next Mailer
	mu   sync.Mutex
	msgs []mailer.Message
}

func (r *recorder) Send(ctx context.Context, msg mailer.Message) error {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
	return r.next.Send(ctx, msg)
}

func (r *recorder) sent() []mailer.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]mailer.Message(nil), r.msgs...)
}

// TestSendRetryIsIdentical fails the first attempts temporarily and lets the next
// one through: every attempt carries the same message (Message-ID, link, text) as
// a control rendering by another Sender, the one delivered included, and the
// invitation is sent exactly once.
func TestSendRetryIsIdentical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		failures int
		reply    func(string) *smtp.SMTPError
	}{
		{"one 451", 1, smtpReply(451, smtp.EnhancedCode{4, 3, 0}, "try again later")},
		{"two 452", 2, smtpReply(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ctx := context.Background()
			inv := e.invite(t, partnerships.DelegatedAdmin, "en")
			sc, err := e.store.SendContext(ctx, inv.ID, inv.PartnerID, inv.Email)
			if err != nil {
				t.Fatal(err)
			}
			control, err := NewSender(e.store, e.tpl, nil, e.ring, e.links, testDomain, e.log).compose(sc)
			if err != nil {
				t.Fatal(err)
			}
			_, controlToken := inviteLink(t, control.Text)
			rec := &recorder{next: e.mail}
			s := e.newSender(rec)
			e.sink.FailWith(failTimes(tt.failures, tt.reply))

			for i := range tt.failures {
				err := s.ProcessTask(ctx, task(t, inv.ID))
				if err == nil || errors.Is(err, asynq.SkipRetry) || !errors.Is(err, mailer.ErrTemporary) {
					t.Fatalf("attempt %d: ProcessTask = %v, want a temporary error that is retried", i+1, err)
				}
				if got := e.invitation(t, inv.ID); got.Status != partnerships.StatusPending {
					t.Fatalf("attempt %d: status %s, want pending", i+1, got.Status)
				}
			}
			if err := s.ProcessTask(ctx, task(t, inv.ID)); err != nil {
				t.Fatalf("last attempt: ProcessTask = %v", err)
			}
			// A late duplicate of the task sends nothing.
			if err := s.ProcessTask(ctx, task(t, inv.ID)); err != nil {
				t.Fatalf("duplicate: ProcessTask = %v", err)
			}

			attempts := rec.sent()
			if len(attempts) != tt.failures+1 {
				t.Fatalf("%d send attempts, want %d", len(attempts), tt.failures+1)
			}
			for i, m := range attempts {
				if diff := cmp.Diff(control, m); diff != "" {
					t.Errorf("attempt %d differs from the control rendering (-control +attempt):\n%s", i+1, diff)
				}
			}
			msgs := e.messages(t, 1)
			if len(msgs) != 1 {
				t.Fatalf("sink holds %d messages, want 1", len(msgs))
			}
			if msgs[0].MessageID != control.MessageID {
				t.Errorf("delivered Message-ID = %s, want %s", msgs[0].MessageID, control.MessageID)
			}
			if _, token := inviteLink(t, msgs[0].Text); token != controlToken {
				t.Errorf("delivered link token = %s, want %s", token, controlToken)
			} else {
				e.checkToken(t, token, inv)
			}

			got := e.invitation(t, inv.ID)
			if got.Status != partnerships.StatusSent || got.MessageID != control.MessageID {
				t.Errorf("invitation = {Status:%s MessageID:%s}, want {sent %s}", got.Status, got.MessageID, control.MessageID)
			}
			events, err := e.store.Audit(ctx, inv.CustomerID, 100)
			if err != nil {
				t.Fatal(err)
			}
			sent := 0
			for _, ev := range events {
				if ev.InvitationID == inv.ID && ev.Action == partnerships.ActionInvitationSent {
					sent++
				}
			}
			if sent != 1 {
				t.Errorf("%d %s audit events, want 1", sent, partnerships.ActionInvitationSent)
			}
		})
	}
}
