package partnerships

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMarkBounced(t *testing.T) {
	for _, sent := range []bool{false, true} {
		name := map[bool]string{false: "pending", true: "sent"}[sent]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			if sent {
				if _, err := e.s.MarkSent(e.ctx, w.inv.ID, "<invitation."+w.inv.ID+"@partnerlink.example>"); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Advance(time.Minute)
			at := e.clock.Now().Truncate(time.Millisecond)
			inv, err := e.s.MarkBounced(e.ctx, w.inv.ID, "  550 5.1.1 user unknown\n")
			if err != nil {
				t.Fatal(err)
			}
			if inv.Status != StatusBounced || inv.FailureReason != "550 5.1.1 user unknown" || inv.Status.Open() {
				t.Errorf("bounced invitation = %+v", inv)
			}
			if stored, err := e.s.Invitation(e.ctx, w.inv.ID); err != nil || !cmp.Equal(stored, inv) {
				t.Errorf("stored = %+v, %v; want %+v", stored, err, inv)
			}
			events, err := e.s.Audit(e.ctx, w.customer.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := []AuditEvent{{At: at, Action: ActionInvitationBounced, Actor: "system", PartnerID: w.partner.ID,
				InvitationID: w.inv.ID, Detail: "550 5.1.1 user unknown"}}
			if diff := cmp.Diff(want, events, ignoreEventIDs); diff != "" {
				t.Errorf("Audit (-want +got):\n%s", diff)
			}

			// Idempotent: a second bounce changes nothing, not even the audit.
			before := snapshot(t, e.rdb)
			again, err := e.s.MarkBounced(e.ctx, w.inv.ID, "another reason")
			if err != nil || !cmp.Equal(again, inv) {
				t.Errorf("second MarkBounced = %+v, %v; want %+v", again, err, inv)
			}
			unchanged(t, e.rdb, before)

			// A bounced invitation can no longer be accepted or declined.
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); !errors.Is(err, ErrNotOpen) {
				t.Errorf("accept after bounce: err = %v, want ErrNotOpen", err)
			}
		})
	}
}

func TestMarkBouncedRefusals(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(e *env, w world) string // returns the invitation id
		reason string
		want   error
	}{
		{"accepted", func(e *env, w world) string {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			return w.inv.ID
		}, "550", ErrNotOpen},
		{"declined", func(e *env, w world) string {
			if _, err := e.s.Decline(e.ctx, declineInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			return w.inv.ID
		}, "550", ErrNotOpen},
		{"failed", func(e *env, w world) string {
			if _, err := e.s.MarkFailed(e.ctx, w.inv.ID, "550 refused at RCPT"); err != nil {
				e.tb.Fatal(err)
			}
			return w.inv.ID
		}, "550", ErrNotOpen},
		{"unknown invitation", func(e *env, w world) string {
			return w.inv.ID[:len(w.inv.ID)-16] + "aaaaaaaaaaaaaaaa"
		}, "550", ErrNotFound},
		{"malformed id", func(e *env, w world) string { return "in_nope" }, "550", ErrNotFound},
		{"empty reason", func(e *env, w world) string { return w.inv.ID }, " \n", ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			id := tt.setup(e, w)
			before := snapshot(t, e.rdb)
			inv, err := e.s.MarkBounced(e.ctx, id, tt.reason)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if errors.Is(err, ErrNotOpen) && inv.ID != id {
				t.Errorf("refusal returned invitation %q, want %q", inv.ID, id)
			}
			unchanged(t, e.rdb, before)
		})
	}
}

func TestSuppression(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	addr := "Admin@Fabrikam.example"
	if s, err := e.s.Suppressed(e.ctx, addr); err != nil || s {
		t.Fatalf("Suppressed before any bounce = %t, %v", s, err)
	}
	n, s, err := e.s.RecordHardBounce(e.ctx, addr, "in_1")
	if err != nil || n != 1 || s {
		t.Fatalf("first RecordHardBounce = %d, %t, %v; want 1, false", n, s, err)
	}
	if _, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: w.partner.ID, Email: w.admin, Type: Reseller, Locale: "en", TTL: time.Hour}); err != nil {
		t.Fatalf("CreateInvitation after one bounce: %v", err)
	}
	e.clock.Advance(time.Hour)
	since := e.clock.Now().Truncate(time.Millisecond)
	if n, s, err := e.s.RecordHardBounce(e.ctx, addr, "in_1"); err != nil || n != 1 || s {
		t.Fatalf("the first bounce again = %d, %t, %v; want it counted once: 1, false", n, s, err)
	}
	n, s, err = e.s.RecordHardBounce(e.ctx, addr, "in_2")
	if err != nil || n != 2 || !s {
		t.Fatalf("second RecordHardBounce = %d, %t, %v; want 2, true", n, s, err)
	}
	e.clock.Advance(time.Hour)
	if n, s, err = e.s.RecordHardBounce(e.ctx, addr, "in_3"); err != nil || n != 3 || !s {
		t.Fatalf("third RecordHardBounce = %d, %t, %v; want 3, true", n, s, err)
	}
	if s, err := e.s.Suppressed(e.ctx, w.admin); err != nil || !s {
		t.Errorf("Suppressed = %t, %v; want true", s, err)
	}
	want := []Suppression{{Email: w.admin, Bounces: 3, Since: since}}
	if got, err := e.s.Suppressions(e.ctx); err != nil || !cmp.Equal(want, got) {
		t.Errorf("Suppressions = %v, %v; want %v (since the bounce that reached the threshold)", got, err, want)
	}

	// A suppressed address gets no invitation, and the refusal writes nothing.
	before := snapshot(t, e.rdb)
	_, err = e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: w.partner.ID, Email: addr, Type: Reseller, Locale: "en", TTL: time.Hour})
	if !errors.Is(err, ErrSuppressed) {
		t.Fatalf("CreateInvitation to a suppressed address: err = %v, want ErrSuppressed", err)
	}
	unchanged(t, e.rdb, before)

	// Lifted: invitations go out again and the count starts over.
	if err := e.s.LiftSuppression(e.ctx, addr); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.Suppressions(e.ctx); err != nil || len(got) != 0 {
		t.Errorf("Suppressions after lifting = %v, %v", got, err)
	}
	if _, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: w.partner.ID, Email: w.admin, Type: Reseller, Locale: "en", TTL: time.Hour}); err != nil {
		t.Errorf("CreateInvitation after lifting: %v", err)
	}
	if n, s, err := e.s.RecordHardBounce(e.ctx, addr, "in_4"); err != nil || n != 1 || s {
		t.Errorf("RecordHardBounce after lifting = %d, %t, %v; want 1, false", n, s, err)
	}

	// Lifting an address that is not suppressed is refused and changes nothing.
	before = snapshot(t, e.rdb)
	if err := e.s.LiftSuppression(e.ctx, addr); !errors.Is(err, ErrNotFound) {
		t.Errorf("LiftSuppression of an unsuppressed address: err = %v, want ErrNotFound", err)
	}
	if _, _, err := e.s.RecordHardBounce(e.ctx, "not an address", "in_5"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("RecordHardBounce(bad address): err = %v, want ErrInvalidInput", err)
	}
	unchanged(t, e.rdb, before)
}

func TestWithSuppressAfter(t *testing.T) {
	e := newEnv(t)
	s := NewStore(e.rdb, WithClock(e.clock.Now), WithSuppressAfter(1))
	if n, sup, err := s.RecordHardBounce(e.ctx, "x@fabrikam.example", "in_6"); err != nil || n != 1 || !sup {
		t.Errorf("RecordHardBounce with threshold 1 = %d, %t, %v; want 1, true", n, sup, err)
	}
	if got := NewStore(e.rdb, WithSuppressAfter(0)).suppressAfter; got != DefaultSuppressAfter {
		t.Errorf("WithSuppressAfter(0) threshold = %d, want the default %d", got, DefaultSuppressAfter)
	}
}
