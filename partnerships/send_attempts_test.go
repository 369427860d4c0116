package partnerships

import (
	"context"
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
