package partnerships

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// TestCreateInvitationRoundTrips: CreateInvitation costs 2 round trips on one
// server (the reads in one pipeline; the derived indexes and the script in
// another, run in that order), 1 with a Recipient read with the API key, which
// itself costs 1 once the key was seen (2 the first time). On a Redis Cluster
// the indexes go first on their own: one more (TestOnThreeNodeCluster runs it there).
func TestCreateInvitationRoundTrips(t *testing.T) {
	e := newEnv(t)
	p, key := e.partner("contoso")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	e.user(c.ID, "billing@fabrikam.example", BillingAdmin)
	in := NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: Reseller, Locale: "en", TTL: time.Hour}
	if _, err := e.s.CreateInvitation(e.ctx, in); err != nil { // loads the script
		t.Fatal(err)
	}
	rt := testredis.CountRoundTrips(e.rdb)
	check := func(what string, want int64) {
		t.Helper()
		if n := rt.N(); n != want {
			t.Errorf("%s: %d round trips, want %d", what, n, want)
		}
		rt.Reset()
	}

	if _, err := e.s.CreateInvitation(e.ctx, in); err != nil {
		t.Fatal(err)
	}
	check("CreateInvitation", 2)

	if _, err := e.s.PartnerByAPIKey(e.ctx, key); err != nil {
		t.Fatal(err)
	}
	check("PartnerByAPIKey, a key not seen before", 2)
	if _, err := e.s.PartnerByAPIKey(e.ctx, key); err != nil {
		t.Fatal(err)
	}
	check("PartnerByAPIKey, a key seen before", 1)

	got, rc, err := e.s.PartnerByAPIKeyWith(e.ctx, key, WithAPIKey{RecipientEmail: " Admin@Fabrikam.example "})
	if err != nil || got.ID != p.ID || rc == nil {
		t.Fatalf("PartnerByAPIKeyWith = %v, %+v, %v", got, rc, err)
	}
	check("PartnerByAPIKeyWith", 1)
	in.Recipient = rc
	in.Type = Advisor
	inv, err := e.s.CreateInvitation(e.ctx, in)
	if err != nil || inv.CustomerID != c.ID || inv.Email != "admin@fabrikam.example" {
		t.Fatalf("CreateInvitation with a Recipient = %+v, %v", inv, err)
	}
	check("CreateInvitation with a Recipient", 1)

	// Refusals from the Recipient: before anything is written, no round trip.
	if _, err := e.s.SuppressComplaint(e.ctx, "billing@fabrikam.example", "test"); err != nil {
		t.Fatal(err)
	}
	for email, want := range map[string]error{"nobody@fabrikam.example": ErrUnknownRecipient, "billing@fabrikam.example": ErrSuppressed} {
		_, rc, err := e.s.PartnerByAPIKeyWith(e.ctx, key, WithAPIKey{RecipientEmail: email})
		if err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, e.rdb)
		rt.Reset()
		if _, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: email, Type: Reseller, Locale: "en", TTL: time.Hour, Recipient: rc}); !errors.Is(err, want) {
			t.Errorf("CreateInvitation(%s): err = %v, want %v", email, err, want)
		}
		check("a refused CreateInvitation with a Recipient", 0)
		unchanged(t, e.rdb, before)
	}

	// Also's commands ride in the partner record's round trip, seen key or not.
	for name, st := range map[string]*Store{"seen key": e.s, "new key": NewStore(e.rdb)} {
		var gotID string
		var echo *redis.StringCmd
		rt.Reset()
		if _, _, err := st.PartnerByAPIKeyWith(e.ctx, key, WithAPIKey{Also: func(p redis.Pipeliner, id string) {
			gotID, echo = id, p.Echo(e.ctx, "also")
		}}); err != nil {
			t.Fatal(err)
		}
		if gotID != p.ID || echo == nil || echo.Val() != "also" {
			t.Errorf("%s: Also got %q and answered %v; want %s and \"also\"", name, gotID, echo, p.ID)
		}
		check(name+" with Also", map[string]int64{"seen key": 1, "new key": 2}[name])
	}

	// An unknown key reads no recipient and runs no Also.
	if _, _, err := e.s.PartnerByAPIKeyWith(e.ctx, newAPIKey(), WithAPIKey{Also: func(redis.Pipeliner, string) {
		t.Error("Also ran for an unknown key")
	}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: %v, want ErrNotFound", err)
	}
	if _, rc, err := e.s.PartnerByAPIKeyWith(e.ctx, newAPIKey(), WithAPIKey{RecipientEmail: "admin@fabrikam.example"}); !errors.Is(err, ErrNotFound) || rc != nil {
		t.Errorf("unknown key: %+v, %v; want ErrNotFound and no Recipient", rc, err)
	}
}

// TestCreateInvitationRecipientOfAnotherCall: a Recipient read for another
// address or partner is not used; CreateInvitation reads afresh.
func TestCreateInvitationRecipientOfAnotherCall(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	q, _ := e.partner("rival")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	forged := "cu_" + "aaaaaaaaaaaaaaaa"
	for name, rc := range map[string]*Recipient{
		"another address": {partnerID: p.ID, email: "someone@else.example", customerID: forged},
		"another partner": {partnerID: q.ID, email: "admin@fabrikam.example", customerID: forged},
	} {
		inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example",
			Type: Reseller, Locale: "en", TTL: time.Hour, Recipient: rc, IdempotencyKey: name})
		if err != nil || inv.CustomerID != c.ID {
			t.Errorf("%s: CreateInvitation = %+v, %v; want an invitation to %s", name, inv, err, c.ID)
		}
	}
	// And an unknown partner is still refused.
	if _, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: "pa_aaaaaaaaaaaaaaaa", Email: "admin@fabrikam.example",
		Type: Reseller, Locale: "en", TTL: time.Hour, Recipient: &Recipient{partnerID: p.ID, email: "admin@fabrikam.example", customerID: c.ID}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown partner with another partner's Recipient: err = %v, want ErrNotFound", err)
	}
}

// TestCreateInvitationDirectoryAhead: an address the directory names but the
// customer's users hash does not hold (AddCustomerUser cut between its steps) is
// refused with ErrUnknownRecipient, by the script, and the due entries and the
// partner's index entry written before it are taken back: nothing changes.
func TestCreateInvitationDirectoryAhead(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	if err := e.rdb.HSet(e.ctx, emailsKey(), "new@fabrikam.example", c.ID).Err(); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.rdb)
	_, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "new@fabrikam.example", Type: Reseller, Locale: "en", TTL: time.Hour})
	if !errors.Is(err, ErrUnknownRecipient) {
		t.Fatalf("err = %v, want ErrUnknownRecipient", err)
	}
	unchanged(t, e.rdb, before)
}
