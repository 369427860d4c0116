package partnerships

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func declineInput(inv Invitation, email string) DeclineInput {
	return DeclineInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: email, IP: "203.0.113.7:5555", UserAgent: "Mozilla/5.0 (test)"}
}

func TestDecline(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	e.clock.Advance(time.Minute)
	at := e.clock.Now().Truncate(time.Millisecond)
	inv, err := e.s.Decline(e.ctx, declineInput(w.inv, "Admin@Fabrikam.example"))
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != StatusDeclined || !inv.DecidedAt.Equal(at) || inv.DecidedBy != w.admin || inv.AcceptanceID != "" {
		t.Errorf("declined invitation = %+v", inv)
	}
	if rels, err := e.s.Relationships(e.ctx, w.customer.ID); err != nil || len(rels) != 0 {
		t.Errorf("a decline granted something: %v, %v", rels, err)
	}
	events, err := e.s.Audit(e.ctx, w.customer.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []AuditEvent{{At: at, Action: ActionInvitationDeclined, Actor: w.admin, PartnerID: w.partner.ID,
		InvitationID: w.inv.ID, IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (test)", Detail: "user_role=global_admin"}}
	if diff := cmp.Diff(want, events, ignoreEventIDs); diff != "" {
		t.Errorf("Audit (-want +got):\n%s", diff)
	}
	// Decided once: neither a second decline nor an accept changes it.
	if _, err := e.s.Decline(e.ctx, declineInput(w.inv, w.admin)); !errors.Is(err, ErrNotOpen) {
		t.Errorf("second decline: err = %v, want ErrNotOpen", err)
	}
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); !errors.Is(err, ErrNotOpen) {
		t.Errorf("accept after decline: err = %v, want ErrNotOpen", err)
	}
}

func TestDeclineRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env, w world) DeclineInput
		want  error
	}{
		{"unknown invitation", func(e *env, w world) DeclineInput {
			in := declineInput(w.inv, w.admin)
			last := "a"
			if strings.HasSuffix(w.inv.ID, "a") {
				last = "b"
			}
			in.InvitationID = w.inv.ID[:len(w.inv.ID)-1] + last
			return in
		}, ErrNotFound},
		{"superseded token", func(e *env, w world) DeclineInput {
			in := declineInput(w.inv, w.admin)
			in.TokenID = "00000000000000000000000000000000"
			return in
		}, ErrTokenSuperseded},
		{"already accepted", func(e *env, w world) DeclineInput {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.billing)); err != nil {
				e.tb.Fatal(err)
			}
			return declineInput(w.inv, w.admin)
		}, ErrAlreadyAccepted},
		{"failed", func(e *env, w world) DeclineInput {
			if _, err := e.s.MarkFailed(e.ctx, w.inv.ID, "550 no such user"); err != nil {
				e.tb.Fatal(err)
			}
			return declineInput(w.inv, w.admin)
		}, ErrNotOpen},
		{"expired", func(e *env, w world) DeclineInput {
			e.clock.Advance(15 * 24 * time.Hour)
			return declineInput(w.inv, w.admin)
		}, ErrExpired},
		{"not an admin", func(e *env, w world) DeclineInput { return declineInput(w.inv, w.helpdesk) }, ErrNotAdmin},
		{"user of another customer", func(e *env, w world) DeclineInput {
			e.customer("northwind", "admin@northwind.example")
			return declineInput(w.inv, "admin@northwind.example")
		}, ErrNotAdmin},
		{"no IP", func(e *env, w world) DeclineInput {
			in := declineInput(w.inv, w.admin)
			in.IP = ""
			return in
		}, ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			in := tt.setup(e, w)
			before := snapshot(t, e.rdb)
			if _, err := e.s.Decline(e.ctx, in); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if diff := cmp.Diff(before, snapshot(t, e.rdb)); diff != "" {
				t.Errorf("a refused decline changed Redis (-before +after):\n%s", diff)
			}
		})
	}
}
