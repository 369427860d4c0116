package partnerships

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAccept(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	if _, err := e.s.MarkSent(e.ctx, w.inv.ID, "<in.1@partnerlink.example>"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	at := e.clock.Now().Truncate(time.Millisecond)

	in := acceptInput(w.inv, "Billing@Fabrikam.example")
	in.IP = "[2001:db8::1]:443"
	in.UserAgent = strings.Repeat("ü", 300) // 600 bytes
	acc, rel, err := e.s.Accept(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	wantAcc := Acceptance{
		ID: acc.ID, CustomerID: w.customer.ID, PartnerID: w.partner.ID, InvitationID: w.inv.ID,
		AgreementVersion: "2026-01", AgreementLocale: "de", AgreementSHA256: testAgreement.SHA256,
		UserEmail: w.billing, UserRole: BillingAdmin, AcceptedAt: at,
		IP: "2001:db8::1", UserAgent: strings.Repeat("ü", 256),
	}
	if diff := cmp.Diff(wantAcc, acc); diff != "" {
		t.Errorf("Accept acceptance (-want +got):\n%s", diff)
	}
	if !validAcceptanceID(acc.ID) {
		t.Errorf("acceptance id %q: want ac_ + 16 base32 chars", acc.ID)
	}
	wantRel := Relationship{
		CustomerID: w.customer.ID, PartnerID: w.partner.ID, Types: []RelationshipType{DelegatedAdmin},
		Roles: []Role{GlobalAdmin, HelpdeskAdmin}, Since: at, UpdatedAt: at, AcceptanceID: acc.ID,
	}
	if diff := cmp.Diff(wantRel, rel); diff != "" {
		t.Errorf("Accept relationship (-want +got):\n%s", diff)
	}

	inv, err := e.s.Invitation(e.ctx, w.inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != StatusAccepted || !inv.DecidedAt.Equal(at) || inv.DecidedBy != w.billing || inv.AcceptanceID != acc.ID {
		t.Errorf("accepted invitation = %+v", inv)
	}
	if got, err := e.s.Acceptance(e.ctx, w.customer.ID, acc.ID); err != nil || !cmp.Equal(acc, got) {
		t.Errorf("Acceptance = %+v, %v; want %+v", got, err, acc)
	}
	if got, err := e.s.Acceptances(e.ctx, w.customer.ID); err != nil || !cmp.Equal([]Acceptance{acc}, got) {
		t.Errorf("Acceptances = %+v, %v", got, err)
	}
	if got, err := e.s.Relationship(e.ctx, w.customer.ID, w.partner.ID); err != nil || !cmp.Equal(rel, got) {
		t.Errorf("Relationship = %+v, %v; want %+v", got, err, rel)
	}

	events, err := e.s.Audit(e.ctx, w.customer.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantEvents := []AuditEvent{
		{At: at, Action: ActionAgreementSigned, Actor: w.billing, PartnerID: w.partner.ID, InvitationID: w.inv.ID,
			IP: "2001:db8::1", UserAgent: acc.UserAgent,
			Detail: "acceptance_id=" + acc.ID + " version=2026-01 locale=de sha256=" + testAgreement.SHA256},
		{At: at, Action: ActionInvitationAccepted, Actor: w.billing, PartnerID: w.partner.ID, InvitationID: w.inv.ID,
			IP: "2001:db8::1", UserAgent: acc.UserAgent,
			Detail: "type=delegated_admin roles=global_admin,helpdesk_admin user_role=billing_admin"},
	}
	if diff := cmp.Diff(wantEvents, events, ignoreEventIDs); diff != "" {
		t.Errorf("Audit (-want +got):\n%s", diff)
	}
	all, err := e.s.Audit(e.ctx, w.customer.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{
		ActionInvitationCreated: 1, ActionInvitationSent: 1, ActionInvitationAccepted: 1, ActionAgreementSigned: 1,
	}, countActions(all)); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}

	// A second invitation of the same partner extends the relationship; Since stays.
	e.clock.Advance(24 * time.Hour)
	later := e.clock.Now().Truncate(time.Millisecond)
	lob := e.invite(w.partner.ID, w.admin, LineOfBusiness)
	acc2, rel2, err := e.s.Accept(e.ctx, acceptInput(lob, w.admin))
	if err != nil {
		t.Fatal(err)
	}
	wantRel = Relationship{
		CustomerID: w.customer.ID, PartnerID: w.partner.ID,
		Types: []RelationshipType{DelegatedAdmin, LineOfBusiness},
		Roles: []Role{ApplicationAdmin, GlobalAdmin, HelpdeskAdmin}, Since: at, UpdatedAt: later, AcceptanceID: acc2.ID,
	}
	if diff := cmp.Diff(wantRel, rel2); diff != "" {
		t.Errorf("second Accept relationship (-want +got):\n%s", diff)
	}
	if acc2.UserRole != GlobalAdmin {
		t.Errorf("second acceptance role = %s, want %s", acc2.UserRole, GlobalAdmin)
	}

	// Another partner, accepted later still: Relationships sorted by Since.
	e.clock.Advance(time.Hour)
	q, _ := e.partner("northwind")
	_, relQ, err := e.s.Accept(e.ctx, acceptInput(e.invite(q.ID, w.admin, Reseller), w.admin))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Role{}, relQ.Roles); diff != "" {
		t.Errorf("reseller relationship roles (-want +got):\n%s", diff)
	}
	rels, err := e.s.Relationships(e.ctx, w.customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Relationship{rel2, relQ}, rels); diff != "" {
		t.Errorf("Relationships (-want +got):\n%s", diff)
	}
	accs, err := e.s.Acceptances(e.ctx, w.customer.ID)
	if err != nil || len(accs) != 3 || accs[0].ID != acc.ID || accs[1].ID != acc2.ID {
		t.Errorf("Acceptances = %+v, %v; want 3, oldest first", accs, err)
	}
}

func TestAcceptRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(e *env, w world) AcceptInput // runs before the snapshot
		want   error
		inText string
	}{
		{"malformed invitation id", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.InvitationID = "in_nope"
			return in
		}, ErrNotFound, ""},
		{"unknown invitation", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.InvitationID = newInvitationID(w.customer.ID)
			return in
		}, ErrNotFound, ""},
		{"invitation id naming another customer", func(e *env, w world) AcceptInput {
			other := e.customer("northwind", "admin@northwind.example")
			in := acceptInput(w.inv, w.admin)
			in.InvitationID = "in_" + other.ID[3:] + w.inv.ID[19:]
			return in
		}, ErrNotFound, ""},
		{"wrong token", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.TokenID = newTokenID()
			return in
		}, ErrTokenSuperseded, ""},
		{"no token", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.TokenID = ""
			return in
		}, ErrTokenSuperseded, ""},
		{"already accepted", func(e *env, w world) AcceptInput {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.billing)); err != nil {
				e.tb.Fatal(err)
			}
			return acceptInput(w.inv, w.admin)
		}, ErrAlreadyAccepted, "billing@"},
		{"failed", func(e *env, w world) AcceptInput {
			if _, err := e.s.MarkFailed(e.ctx, w.inv.ID, "550 unknown"); err != nil {
				e.tb.Fatal(err)
			}
			return acceptInput(w.inv, w.admin)
		}, ErrNotOpen, "failed"},
		{"declined", setStatus(StatusDeclined), ErrNotOpen, "declined"},
		{"revoked", setStatus(StatusRevoked), ErrNotOpen, "revoked"},
		{"marked expired", setStatus(StatusExpired), ErrNotOpen, "expired"},
		{"expired by time", func(e *env, w world) AcceptInput {
			e.clock.Advance(15 * 24 * time.Hour)
			return acceptInput(w.inv, w.admin)
		}, ErrExpired, ""},
		{"expires this instant", func(e *env, w world) AcceptInput {
			e.clock.Advance(w.inv.ExpiresAt.Sub(e.clock.Now()))
			return acceptInput(w.inv, w.admin)
		}, ErrExpired, ""},
		{"helpdesk admin", func(e *env, w world) AcceptInput {
			return acceptInput(w.inv, w.helpdesk)
		}, ErrNotAdmin, "helpdesk_admin"},
		{"plain user", func(e *env, w world) AcceptInput {
			e.user(w.customer.ID, "bob@fabrikam.example", User)
			return acceptInput(w.inv, "bob@fabrikam.example")
		}, ErrNotAdmin, ""},
		{"not a user", func(e *env, w world) AcceptInput {
			return acceptInput(w.inv, "nobody@fabrikam.example")
		}, ErrNotAdmin, "not a user"},
		{"admin of another customer", func(e *env, w world) AcceptInput {
			e.customer("northwind", "admin@northwind.example")
			return acceptInput(w.inv, "admin@northwind.example")
		}, ErrNotAdmin, "not a user"},
		// Order of the checks.
		{"wrong token beats accepted", func(e *env, w world) AcceptInput {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			in := acceptInput(w.inv, w.admin)
			in.TokenID = newTokenID()
			return in
		}, ErrTokenSuperseded, ""},
		{"accepted beats expired", func(e *env, w world) AcceptInput {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			e.clock.Advance(30 * 24 * time.Hour)
			return acceptInput(w.inv, w.admin)
		}, ErrAlreadyAccepted, ""},
		{"not open beats expired", func(e *env, w world) AcceptInput {
			setStatus(StatusRevoked)(e, w)
			e.clock.Advance(30 * 24 * time.Hour)
			return acceptInput(w.inv, w.admin)
		}, ErrNotOpen, "revoked"},
		{"expired beats not admin", func(e *env, w world) AcceptInput {
			e.clock.Advance(30 * 24 * time.Hour)
			return acceptInput(w.inv, w.helpdesk)
		}, ErrExpired, ""},
		// Input checked before anything else.
		{"bad agreement hash", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.Agreement.SHA256 = strings.ToUpper(in.Agreement.SHA256)
			return in
		}, ErrInvalidInput, "agreement.sha256"},
		{"short agreement hash", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.Agreement.SHA256 = in.Agreement.SHA256[:63]
			return in
		}, ErrInvalidInput, "agreement.sha256"},
		{"no agreement version", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.Agreement.Version = ""
			return in
		}, ErrInvalidInput, "agreement.version"},
		{"bad agreement locale", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.Agreement.Locale = "de DE"
			return in
		}, ErrInvalidInput, "agreement.locale"},
		{"no IP", func(e *env, w world) AcceptInput {
			in := acceptInput(w.inv, w.admin)
			in.IP = " "
			return in
		}, ErrInvalidInput, "ip"},
		{"bad user email", func(e *env, w world) AcceptInput {
			return acceptInput(w.inv, "admin")
		}, ErrInvalidInput, "user_email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			e := newEnv(t)
			w := e.world()
			in := tc.setup(e, w)
			before := snapshot(t, e.rdb)
			acc, rel, err := e.s.Accept(e.ctx, in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "partnerships: ") || !strings.Contains(err.Error(), tc.inText) {
				t.Errorf("error %q: want the package prefix and %q", err, tc.inText)
			}
			if acc != (Acceptance{}) || !cmp.Equal(rel, Relationship{}) {
				t.Errorf("a refused Accept returned %+v, %+v", acc, rel)
			}
			unchanged(t, e.rdb, before)
		})
	}
}

func setStatus(s Status) func(e *env, w world) AcceptInput {
	return func(e *env, w world) AcceptInput {
		if err := e.rdb.HSet(e.ctx, invitationKey(w.customer.ID, w.inv.ID), "status", string(s)).Err(); err != nil {
			e.tb.Fatal(err)
		}
		return acceptInput(w.inv, w.admin)
	}
}

func TestAcceptIP(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:54321", "192.0.2.1"},
		{"[2001:DB8::1]:443", "2001:db8::1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"@", "@"},
		{"fe80::1%" + strings.Repeat("x", 100), ("fe80::1%" + strings.Repeat("x", 100))[:64]},
		{"a\x00b", "a b"},
	} {
		got, err := cleanIP(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("cleanIP(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestAcceptJustBeforeExpiry(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	e.clock.Advance(w.inv.ExpiresAt.Sub(e.clock.Now()) - time.Millisecond)
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
		t.Fatalf("Accept 1ms before expiry: %v", err)
	}
}

func TestAcceptConcurrent(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			admin := w.admin
			if i%2 == 1 {
				admin = w.billing
			}
			_, _, errs[i] = e.s.Accept(e.ctx, acceptInput(w.inv, admin))
		})
	}
	close(start)
	wg.Wait()

	ok, already := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrAlreadyAccepted):
			already++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || already != n-1 {
		t.Errorf("%d successes and %d ErrAlreadyAccepted, want 1 and %d", ok, already, n-1)
	}
	accs, err := e.s.Acceptances(e.ctx, w.customer.ID)
	if err != nil || len(accs) != 1 {
		t.Errorf("Acceptances = %d, %v; want exactly 1", len(accs), err)
	}
	if keys := scanKeys(t, e, customerTag(w.customer.ID)+"acc:*"); len(keys) != 1 {
		t.Errorf("%d acceptance hashes, want 1", len(keys))
	}
	rels, err := e.s.Relationships(e.ctx, w.customer.ID)
	if err != nil || len(rels) != 1 {
		t.Errorf("Relationships = %d, %v; want exactly 1", len(rels), err)
	}
	events, err := e.s.Audit(e.ctx, w.customer.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if c := countActions(events); c[ActionInvitationAccepted] != 1 || c[ActionAgreementSigned] != 1 {
		t.Errorf("audit actions %v, want one acceptance and one signature", c)
	}
}

func TestRelationshipAndAcceptanceNotFound(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	for _, tc := range []struct{ customer, partner string }{
		{w.customer.ID, w.partner.ID}, // no acceptance yet
		{"cu_aaaaaaaaaaaaaaaa", w.partner.ID},
		{w.customer.ID, "pa_{aaaaaaaaaaaaaa"},
		{"", ""},
	} {
		if _, err := e.s.Relationship(e.ctx, tc.customer, tc.partner); !errors.Is(err, ErrNotFound) {
			t.Errorf("Relationship(%q, %q): err = %v, want ErrNotFound", tc.customer, tc.partner, err)
		}
	}
	for _, tc := range []struct{ customer, id string }{
		{w.customer.ID, newAcceptanceID()},
		{"cu_aaaaaaaaaaaaaaaa", newAcceptanceID()},
		{w.customer.ID, "ac_x"},
	} {
		if _, err := e.s.Acceptance(e.ctx, tc.customer, tc.id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Acceptance(%q, %q): err = %v, want ErrNotFound", tc.customer, tc.id, err)
		}
	}
	for name, f := range map[string]func(string) error{
		"Relationships": func(id string) error { _, err := e.s.Relationships(e.ctx, id); return err },
		"Acceptances":   func(id string) error { _, err := e.s.Acceptances(e.ctx, id); return err },
		"Audit":         func(id string) error { _, err := e.s.Audit(e.ctx, id, 10); return err },
	} {
		if err := f("cu_aaaaaaaaaaaaaaaa"); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s(unknown customer): err = %v, want ErrNotFound", name, err)
		}
		if err := f(w.customer.ID); err != nil {
			t.Errorf("%s(customer): %v", name, err)
		}
	}
	if rels, err := e.s.Relationships(e.ctx, w.customer.ID); err != nil || len(rels) != 0 {
		t.Errorf("Relationships before any acceptance = %v, %v", rels, err)
	}
}

func TestAuditLimit(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	for range 3 {
		e.clock.Advance(time.Second)
		e.invite(w.partner.ID, w.admin, Advisor)
	}
	events, err := e.s.Audit(e.ctx, w.customer.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || !events[0].At.After(events[1].At) {
		t.Errorf("Audit(limit 2) = %+v; want the 2 newest, newest first", events)
	}
	for _, limit := range []int{0, -1} {
		if _, err := e.s.Audit(e.ctx, w.customer.ID, limit); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Audit(limit %d): err = %v, want ErrInvalidInput", limit, err)
		}
	}
	if events, err := e.s.Audit(e.ctx, w.customer.ID, 1<<30); err != nil || len(events) != 4 {
		t.Errorf("Audit(huge limit) = %d events, %v; want 4", len(events), err)
	}
}

// An invitation hash missing a field the writes need is refused before any write.
func TestAcceptIncompleteInvitation(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	if err := e.rdb.HDel(e.ctx, invitationKey(w.customer.ID, w.inv.ID), "roles").Err(); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.rdb)
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err == nil || !strings.HasPrefix(err.Error(), "partnerships: accept: CORRUPT") {
		t.Errorf("Accept of an incomplete invitation: err = %v", err)
	}
	unchanged(t, e.rdb, before)
}
