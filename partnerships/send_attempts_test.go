package partnerships

import (
	"context"
	"errors"
	"testing"
)

// TestSendAttemptStates walks one Message-ID through its states: a first attempt
// finds nothing, a redelivery before the answer was recorded finds "attempt", and
// after MarkSent every later call finds "accepted" and records nothing more.
func TestSendAttemptStates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, _ := e.partner("contoso")
	e.customer("fabrikam", "admin@fabrikam.example")
	inv := e.invite(p.ID, "admin@fabrikam.example", ResellerDelegatedAdmin)
	const mid = "<in.1@partnerlink.test>"
	steps := []struct {
		name     string
		markSent bool
		want     SendAttemptRecord
	}{
		{"first attempt", false, SendAttemptRecord{State: SendNotTried, Attempts: 0}},
		{"redelivered after a kill", false, SendAttemptRecord{State: SendAttempt, Attempts: 1}},
		{"after the server accepted", true, SendAttemptRecord{State: SendAccepted, Attempts: 2}},
		{"redelivered once more", false, SendAttemptRecord{State: SendAccepted, Attempts: 2}},
	}
	for _, st := range steps {
		if st.markSent {
			if _, err := e.s.MarkSent(ctx, inv.ID, mid); err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.s.RecordSendAttempt(ctx, inv.ID, mid)
		if err != nil || got != st.want {
			t.Errorf("%s: RecordSendAttempt = %+v, %v; want %+v", st.name, got, err, st.want)
		}
	}
	for _, bad := range []string{"", "<a b@x>", "<é@x>"} {
		if _, err := e.s.RecordSendAttempt(ctx, inv.ID, bad); err == nil {
			t.Errorf("RecordSendAttempt(%q) accepted a bad Message-ID", bad)
		}
	}
}

// TestSendAttemptNotOpen: an invitation closed after the worker read it (here
// revoked… failed) is refused by send_attempt, which records nothing.
func TestSendAttemptNotOpen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, _ := e.partner("contoso")
	e.customer("fabrikam", "admin@fabrikam.example")
	inv := e.invite(p.ID, "admin@fabrikam.example", Reseller)
	if _, err := e.s.MarkFailed(ctx, inv.ID, "closed meanwhile"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := e.s.RecordSendAttempt(ctx, inv.ID, "<in.1@partnerlink.test>")
		if err != nil || got != (SendAttemptRecord{State: SendNotOpen}) {
			t.Errorf("RecordSendAttempt on a failed invitation = %+v, %v; want not_open after 0 attempts", got, err)
		}
	}
	if n, err := e.rdb.HExists(ctx, invitationKey(inv.CustomerID, inv.ID), "attempt_count").Result(); err != nil || n {
		t.Errorf("attempt recorded on a closed invitation: %t, %v", n, err)
	}
}

// TestRecordSent: RecordSent changes the invitation exactly as MarkSent does,
// with the same errors, and answers without the invitation.
func TestRecordSent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, _ := e.partner("contoso")
	e.customer("fabrikam", "admin@fabrikam.example")
	a := e.invite(p.ID, "admin@fabrikam.example", Reseller)
	b := e.invite(p.ID, "admin@fabrikam.example", Advisor)
	const mid = "<in.1@partnerlink.test>"
	want, err := e.s.MarkSent(ctx, a.ID, mid)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.RecordSent(ctx, b.ID, mid); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.Invitation(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusSent || got.MessageID != mid || !got.SentAt.Equal(want.SentAt) {
		t.Errorf("after RecordSent: status %s, message id %s, sent at %s; want sent, %s, %s", got.Status, got.MessageID, got.SentAt, mid, want.SentAt)
	}
	if ev := e.lastAudit(b.CustomerID); ev.Action != ActionInvitationSent || ev.InvitationID != b.ID {
		t.Errorf("last audit event = %+v, want invitation.sent of %s", ev, b.ID)
	}
	if err := e.s.RecordSent(ctx, b.ID, mid); err != nil {
		t.Errorf("RecordSent again = %v, want nil (already sent)", err)
	}
	if _, err := e.s.MarkFailed(ctx, a.ID, "bounced"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.RecordSent(ctx, a.ID, mid); !errors.Is(err, ErrNotOpen) {
		t.Errorf("RecordSent of a failed invitation = %v, want ErrNotOpen", err)
	}
	if err := e.s.RecordSent(ctx, "in_"+a.CustomerID[3:]+"_aaaaaaaaaaaaaaaa", mid); !errors.Is(err, ErrNotFound) {
		t.Errorf("RecordSent of a missing invitation = %v, want ErrNotFound", err)
	}
	if err := e.s.RecordSent(ctx, b.ID, "not a message id"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("RecordSent with a bad Message-ID = %v, want ErrInvalidInput", err)
	}
}
