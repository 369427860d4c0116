package jobs

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// NewResendInvitationTask returns the task that sends invitation id for the n-th
// time (n ≥ 2, the invitation's Sends after a resend). It is an invitation:send
// task like the first; its TaskID "send:<id>:<n>" differs from the first send's
// "send:<id>", so a resend is queued even while an earlier send is, and the same
// resend queued twice is refused. The handler sends only a pending invitation and
// MarkSent treats an already-sent one as done, so each send still happens once.
func NewResendInvitationTask(id string, n int) (*asynq.Task, error) {
	return NewResendTask(SendInvitationPayload{InvitationID: id, Sends: n})
}

// NewResendTask is NewResendInvitationTask for payload p, send number p.Sends;
// with the partner and address in p (SendPayload) the worker reads everything,
// and records the attempt, in one round trip.
func NewResendTask(p SendInvitationPayload) (*asynq.Task, error) {
	id, n := p.InvitationID, p.Sends
	if id == "" || n < 2 {
		return nil, fmt.Errorf("jobs: resend invitation: need an invitation id and a send number ≥ 2, got %q, %d", id, n)
	}
	return newSendTask(p, sendTaskID(id)+":"+strconv.Itoa(n), "resend invitation")
}

// ResendInvitation enqueues send number n of invitation id. The same n again while
// its task is queued returns an error wrapping ErrAlreadyQueued.
func (e *Enqueuer) ResendInvitation(ctx context.Context, id string, n int) error {
	return e.resend(ctx, SendInvitationPayload{InvitationID: id, Sends: n})
}

// ResendInvitationOf is ResendInvitation of inv's send number inv.Sends, for an
// invitation at hand: its task carries the partner and address as well.
func (e *Enqueuer) ResendInvitationOf(ctx context.Context, inv partnerships.Invitation) error {
	return e.resend(ctx, SendPayload(inv))
}

func (e *Enqueuer) resend(ctx context.Context, p SendInvitationPayload) error {
	task, err := NewResendTask(p)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, task, fmt.Sprintf("send %d of invitation %s", p.Sends, p.InvitationID))
}

// invitationMessageKind is the Message-ID kind of an invitation's n-th email:
// "invitation" for the first (bounces.InvitationFromMessageID reads it), then
// "invitation<n>", so a mailbox does not drop a resent email as a duplicate of the
// first. Bounces of any send still find the invitation by its VERP Return-Path.
func invitationMessageKind(sends int) string {
	if sends <= 1 {
		return "invitation"
	}
	return "invitation" + strconv.Itoa(sends)
}
