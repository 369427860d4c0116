package partnerships

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSuppressComplaint(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	since := e.clock.Now().Truncate(time.Millisecond)
	newly, err := e.s.SuppressComplaint(e.ctx, "Admin@Fabrikam.example", "abuse")
	if err != nil || !newly {
		t.Fatalf("SuppressComplaint = %t, %v; want newly suppressed", newly, err)
	}
	want := []Suppression{{Email: w.admin, Since: since, Reason: "complaint: abuse"}}
	if got, err := e.s.Suppressions(e.ctx); err != nil || !cmp.Equal(want, got) {
		t.Errorf("Suppressions = %v, %v; want %v", got, err, want)
	}
	if _, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: w.partner.ID, Email: w.admin, Type: Reseller, Locale: "en", TTL: time.Hour}); !errors.Is(err, ErrSuppressed) {
		t.Errorf("CreateInvitation to a complainer: err = %v, want ErrSuppressed", err)
	}

	// The same report again, a bounce-suppressed address, and bad input change nothing.
	e.clock.Advance(time.Hour)
	before := snapshot(t, e.rdb)
	if newly, err := e.s.SuppressComplaint(e.ctx, w.admin, "abuse"); err != nil || newly {
		t.Errorf("SuppressComplaint again = %t, %v; want false, nil", newly, err)
	}
	for _, tt := range []struct{ email, detail, field string }{
		{"not an address", "abuse", "email"},
		{w.admin, "abuse\r\nX-Evil: 1", "detail"},
		{w.admin, strings.Repeat("x", 201), "detail"},
	} {
		if _, err := e.s.SuppressComplaint(e.ctx, tt.email, tt.detail); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("SuppressComplaint(%q, %.20q): err = %v, want ErrInvalidInput naming %s", tt.email, tt.detail, err, tt.field)
		}
	}
	unchanged(t, e.rdb, before)

	// Lifted: the reason goes with it.
	if err := e.s.LiftSuppression(e.ctx, w.admin); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.Suppressions(e.ctx); err != nil || len(got) != 0 {
		t.Errorf("Suppressions after lifting = %v, %v", got, err)
	}
	if n, err := e.rdb.HLen(e.ctx, suppressionReasonsKey()).Result(); err != nil || n != 0 {
		t.Errorf("reasons left after lifting: %d, %v", n, err)
	}
}
