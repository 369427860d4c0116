package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/partnerships"
)

// TestSendNotPending runs the task of invitations that are no longer pending: it
// succeeds without sending and leaves the invitation as it was.
func TestSendNotPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		status partnerships.Status
		settle func(inv partnerships.Invitation) error // brings a pending invitation to status
	}{
		{"sent", partnerships.StatusSent, func(inv partnerships.Invitation) error {
			_, err := e.store.MarkSent(ctx, inv.ID, "<invitation.earlier@partnerlink.test>")
			return err
		}},
		{"failed", partnerships.StatusFailed, func(inv partnerships.Invitation) error {
			_, err := e.store.MarkFailed(ctx, inv.ID, "550 5.1.1 no such user")
			return err
		}},
		{"accepted", partnerships.StatusAccepted, func(inv partnerships.Invitation) error {
			_, _, err := e.store.Accept(ctx, partnerships.AcceptInput{
				InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: adminEmail, IP: "127.0.0.1", UserAgent: "test",
				Agreement: partnerships.AgreementRef{Version: "2024-06", Locale: "en", SHA256: strings.Repeat("ab", 32)},
			})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := e.invite(t, partnerships.DelegatedAdmin, "en")
			if err := tt.settle(inv); err != nil {
				t.Fatal(err)
			}
			before := e.invitation(t, inv.ID)
			if before.Status != tt.status {
				t.Fatalf("status %s, want %s", before.Status, tt.status)
			}
			if err := e.sender.ProcessTask(ctx, task(t, inv.ID)); err != nil {
				t.Errorf("ProcessTask = %v, want nil", err)
			}
			if diff := cmp.Diff(before, e.invitation(t, inv.ID)); diff != "" {
				t.Errorf("invitation changed (-before +after):\n%s", diff)
			}
		})
	}
	e.noMessages(t)
	if n := e.sink.Connections(); n != 0 {
		t.Errorf("%d SMTP connections, want none", n)
	}
}

// TestSendBadTask runs tasks whose payload is broken or names no invitation: they
// are not retried, and nothing is sent.
func TestSendBadTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	customer := strings.TrimPrefix(e.customer.ID, "cu_")
	tests := []struct {
		name         string
		payload      string
		wantNotFound bool // the error wraps partnerships.ErrNotFound
	}{
		{"empty payload", "", false},
		{"not JSON", "not json", false},
		{"JSON array", `["in_x"]`, false},
		{"no invitation id", `{}`, false},
		{"empty invitation id", `{"invitation_id":""}`, false},
		{"id not a string", `{"invitation_id":42}`, false},
		{"malformed id", `{"invitation_id":"in_nope"}`, true},
		{"unknown invitation", `{"invitation_id":"in_` + customer + `_aaaaaaaaaaaaaaaa"}`, true},
		{"unknown customer", `{"invitation_id":"in_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaa"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.sender.ProcessTask(context.Background(), asynq.NewTask(TypeSendInvitation, []byte(tt.payload)))
			if !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("ProcessTask = %v, want an error wrapping asynq.SkipRetry", err)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), "jobs: ") || strings.Contains(err.Error(), "<nil>")) {
				t.Errorf("error %q: want it prefixed \"jobs: \", without <nil>", err)
			}
			if errors.Is(err, partnerships.ErrNotFound) != tt.wantNotFound {
				t.Errorf("ProcessTask = %v; wraps ErrNotFound: %t, want %t", err, !tt.wantNotFound, tt.wantNotFound)
			}
		})
	}
	e.noMessages(t)
}
