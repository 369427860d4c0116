package jobs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestResendInvitation sends an invitation, resends it through the store and the
// Enqueuer, and has the real worker send it again: two emails with distinct
// Message-IDs, links with the same token id, the second with the later expiry.
func TestResendInvitation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	inv := e.invite(t, partnerships.Advisor, "en")
	enq := NewEnqueuer(e.client(t))
	if err := enq.SendInvitation(ctx, inv.ID); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t)
	first := e.messages(t, 1)[0]
	e.status(t, inv.ID, partnerships.StatusSent)

	res, err := e.store.ResendInvitation(ctx, e.partner.ID, inv.ID, 30*24*time.Hour, partnerships.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if err := enq.ResendInvitation(ctx, inv.ID, res.Invitation.Sends); err != nil {
		t.Fatal(err)
	}
	msgs := e.messages(t, 2)
	second := msgs[slices.IndexFunc(msgs, func(m mailsink.Message) bool { return m.MessageID != first.MessageID })]
	if first.MessageID != mailer.MessageID(inv.ID, "invitation", testDomain) ||
		second.MessageID != mailer.MessageID(inv.ID, "invitation2", testDomain) {
		t.Errorf("Message-IDs = %s, %s", first.MessageID, second.MessageID)
	}
	got := e.status(t, inv.ID, partnerships.StatusSent)
	_, token := inviteLink(t, second.Text)
	e.checkToken(t, token, got)
	if got.Sends != 2 || got.MessageID != second.MessageID || !got.ExpiresAt.After(inv.ExpiresAt) {
		t.Errorf("after resend = %+v", got)
	}
	// A send number below 2 is no resend.
	if err := enq.ResendInvitation(ctx, inv.ID, 1); err == nil || errors.Is(err, ErrAlreadyQueued) {
		t.Errorf("ResendInvitation(n=1) = %v, want a plain error", err)
	}
}
