package jobs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendRoundTrips holds a send to its Redis budget, asynq's own commands
// aside (they go over asynq's connection, not the store's): one pipeline that
// reads the invitation, partner, customer and suppression and records the
// attempt (send_attempt) before SMTP, and the mark_sent script after. A task
// without the partner, address and send number (queued by an older version)
// costs two more; one queued before a resend records the attempt again, with
// the new send's Message-ID; a duplicate of a task whose invitation was sent costs
// the pipeline alone.
func TestSendRoundTrips(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	rt := testredis.CountRoundTrips(e.rdb)
	// Load the scripts first: a script's first run costs an EVALSHA miss more.
	if err := e.sender.ProcessTask(ctx, task(t, e.invite(t, partnerships.Reseller, "en").ID)); err != nil {
		t.Fatal(err)
	}
	sendTask := func(inv partnerships.Invitation) *asynq.Task {
		tk, err := NewSendTask(SendPayload(inv))
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	stale := e.invite(t, partnerships.Reseller, "en")
	stale.PartnerID, stale.Email = "pa_aaaaaaaaaaaaaaaa", "someone.else@fabrikam.example"

	inv := e.invite(t, partnerships.DelegatedAdmin, "en")
	resent := e.invite(t, partnerships.Advisor, "en")
	queuedBefore := sendTask(resent) // for send 1
	if r, err := e.store.ResendInvitation(ctx, e.partner.ID, resent.ID, 24*time.Hour, partnerships.Origin{}); err != nil || r.Invitation.Sends != 2 {
		t.Fatalf("ResendInvitation = %+v, %v", r, err)
	}
	resent2 := e.invite(t, partnerships.Advisor, "en")
	if r, err := e.store.ResendInvitation(ctx, e.partner.ID, resent2.ID, 24*time.Hour, partnerships.Origin{}); err != nil {
		t.Fatal(err)
	} else {
		resent2 = r.Invitation
	}
	tests := []struct {
		name string
		task *asynq.Task
		max  int64
	}{
		{"open invitation, full payload", sendTask(inv), 2},
		{"the same task again, invitation sent", sendTask(inv), 1},
		{"open invitation, payload with just the id", task(t, e.invite(t, partnerships.Advisor, "de").ID), 4},
		{"payload naming another partner and address", sendTask(stale), 4},
		{"payload for the send before a resend", queuedBefore, 3},
		{"the resend's own task", resendTask(t, resent2), 2},
	}
	for _, tt := range tests {
		rt.Reset()
		if err := e.sender.ProcessTask(ctx, tt.task); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n := rt.N(); n > tt.max {
			t.Errorf("%s: %d round trips to Redis, want at most %d", tt.name, n, tt.max)
		} else {
			t.Logf("%s: %d round trips", tt.name, n)
		}
	}
	// Each was sent once, to the right address and from the right partner.
	msgs := e.messages(t, 6)
	if len(msgs) != 6 {
		t.Fatalf("sink holds %d messages, want 6", len(msgs))
	}
	if id := msgs[4].Header.Get("Message-ID"); !strings.Contains(id, "invitation2."+resent.ID) {
		t.Errorf("the resent invitation went out as %s, want its second send's Message-ID", id)
	}
	if got := e.invitation(t, resent.ID); got.Status != partnerships.StatusSent || got.Sends != 2 {
		t.Errorf("resent invitation = %s, sends %d; want sent, 2", got.Status, got.Sends)
	}
	for _, m := range msgs {
		if len(m.To) != 1 || m.To[0] != adminEmail {
			t.Errorf("message to %v, want %s", m.To, adminEmail)
		}
	}
	if got := e.invitation(t, stale.ID); got.Status != partnerships.StatusSent {
		t.Errorf("invitation queued with a stale payload is %s, want sent", got.Status)
	}
}

func resendTask(t *testing.T, inv partnerships.Invitation) *asynq.Task {
	t.Helper()
	tk, err := NewResendTask(SendPayload(inv))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestNotifyRoundTrips holds a notification to its Redis budget: one pipelined
// read (partner, profile, customer, invitation, relationship, admins and what was
// delivered already), then one write per channel delivered.
func TestNotifyRoundTrips(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(hook.Close)
	e.setWebhook(t, hook.URL)
	ctx := context.Background()
	rt := testredis.CountRoundTrips(e.rdb)
	n := e.notifier()
	at := time.Now().UTC().Truncate(time.Millisecond)
	tests := []struct {
		name     string
		ev       Event
		channels int64
	}{
		// The partner's contact and its webhook, twice: accepted and agreement signed.
		{"invitation accepted", Event{Kind: EventInvitationAccepted, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
			InvitationID: e.invite(t, partnerships.DelegatedAdmin, "de").ID, At: at}, 3},
		// The partner (mail, webhook) and the customer's one admin.
		{"relationship ending", Event{Kind: EventRelationshipEnding, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
			At: at, Detail: "7d"}, 3},
		// The customer's admin alone.
		{"relationship ended", Event{Kind: EventRelationshipEnded, PartnerID: e.partner.ID, CustomerID: e.customer.ID,
			At: at}, 1},
	}
	for _, tt := range tests {
		tk, err := NewNotifyTask(tt.ev)
		if err != nil {
			t.Fatal(err)
		}
		rt.Reset()
		if err := n.ProcessTask(ctx, tk); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got, want := rt.N(), 1+tt.channels; got > want {
			t.Errorf("%s: %d round trips to Redis, want at most %d (one read, one record per channel)", tt.name, got, want)
		} else {
			t.Logf("%s: %d round trips", tt.name, got)
		}
		// Redelivered, it finds every channel done: the read alone.
		rt.Reset()
		if err := n.ProcessTask(ctx, tk); err != nil {
			t.Fatalf("%s, again: %v", tt.name, err)
		}
		if got := rt.N(); got != 1 {
			t.Errorf("%s, again: %d round trips to Redis, want 1", tt.name, got)
		}
	}
	if got := len(e.messages(t, 4)); got != 4 {
		t.Errorf("sink holds %d messages, want 4", got)
	}
}
