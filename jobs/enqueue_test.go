package jobs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestEnqueueTwice enqueues with no worker running, so every task stays pending:
// a second send of the same invitation is refused with ErrAlreadyQueued, another
// invitation is not.
func TestEnqueueTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a := e.invite(t, partnerships.Reseller, "en").ID
	b := e.invite(t, partnerships.Advisor, "en").ID
	enq := NewEnqueuer(e.client(t))

	tests := []struct {
		name        string
		id          string
		wantErr     bool
		wantQueued  bool // the error wraps ErrAlreadyQueued
		wantPending []string
	}{
		{name: "first", id: a, wantPending: []string{a}},
		{name: "same again", id: a, wantErr: true, wantQueued: true, wantPending: []string{a}},
		{name: "another invitation", id: b, wantPending: []string{a, b}},
		{name: "first a third time", id: a, wantErr: true, wantQueued: true, wantPending: []string{a, b}},
		{name: "other again", id: b, wantErr: true, wantQueued: true, wantPending: []string{a, b}},
		{name: "empty id", id: "", wantErr: true, wantPending: []string{a, b}},
	}
	insp := e.inspector(t)
	for _, tt := range tests {
		// Steps build on each other: no t.Run, so a failure stops nothing.
		err := enq.SendInvitation(ctx, tt.id)
		if (err != nil) != tt.wantErr || errors.Is(err, ErrAlreadyQueued) != tt.wantQueued {
			t.Errorf("%s: SendInvitation(%q) = %v; want error %t, ErrAlreadyQueued %t", tt.name, tt.id, err, tt.wantErr, tt.wantQueued)
		}
		pending, err := insp.ListPendingTasks(QueueMail)
		if err != nil {
			t.Fatalf("%s: ListPendingTasks = %v", tt.name, err)
		}
		var ids []string
		for _, info := range pending {
			ids = append(ids, info.ID)
		}
		want := make([]string, len(tt.wantPending))
		for i, id := range tt.wantPending {
			want[i] = sendTaskID(id)
		}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("%s: pending tasks = %v, want %v", tt.name, ids, want)
		}
	}

	info, err := insp.GetTaskInfo(QueueMail, sendTaskID(a))
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != TypeSendInvitation || info.State != asynq.TaskStatePending || info.MaxRetry != SendMaxRetry ||
		info.Timeout != 2*time.Minute || string(info.Payload) != `{"invitation_id":"`+a+`"}` {
		t.Errorf("task = {Type:%s State:%s MaxRetry:%d Timeout:%s Payload:%s}, want {%s pending %d 2m0s {\"invitation_id\":%q}}",
			info.Type, info.State, info.MaxRetry, info.Timeout, info.Payload, TypeSendInvitation, SendMaxRetry, a)
	}
}

// TestSendInvitationOf enqueues with the invitation at hand: the task is the one
// SendInvitation makes (same TaskID, so each refuses the other's duplicate), with
// the partner and address in its payload.
func TestSendInvitationOf(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	inv := e.invite(t, partnerships.Reseller, "en")
	enq := NewEnqueuer(e.client(t))
	if err := enq.SendInvitationOf(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if err := enq.SendInvitation(ctx, inv.ID); !errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("SendInvitation after SendInvitationOf = %v, want ErrAlreadyQueued", err)
	}
	if err := enq.SendInvitationOf(ctx, inv); !errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("SendInvitationOf twice = %v, want ErrAlreadyQueued", err)
	}
	info, err := e.inspector(t).GetTaskInfo(QueueMail, sendTaskID(inv.ID))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"invitation_id":"` + inv.ID + `","partner_id":"` + inv.PartnerID + `","email":"` + inv.Email + `","sends":1}`
	if info.Type != TypeSendInvitation || info.MaxRetry != SendMaxRetry || string(info.Payload) != want {
		t.Errorf("task = {Type:%s MaxRetry:%d Payload:%s}, want {%s %d %s}", info.Type, info.MaxRetry, info.Payload,
			TypeSendInvitation, SendMaxRetry, want)
	}
}
