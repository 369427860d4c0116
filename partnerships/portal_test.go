package partnerships

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// accepted is the world with its invitation accepted by the global admin: a
// delegated admin relationship holding global and helpdesk admin roles.
func (e *env) accepted() (world, Acceptance) {
	e.tb.Helper()
	w := e.world()
	acc, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin))
	if err != nil {
		e.tb.Fatal(err)
	}
	return w, acc
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	tokenID := strings.Repeat("b", 32)
	in := StartSessionInput{Email: "Billing@Fabrikam.example", SignInTokenID: tokenID, SignInExpires: e.clock.Now().Add(15 * time.Minute)}

	// Refusals change nothing.
	before := snapshot(t, e.rdb)
	for _, tc := range []struct {
		name string
		in   StartSessionInput
		want error
	}{
		{"helpdesk admin", StartSessionInput{Email: w.helpdesk}, ErrNotAdmin},
		{"unknown address", StartSessionInput{Email: "nobody@fabrikam.example"}, ErrUnknownRecipient},
		{"bad token id", StartSessionInput{Email: w.admin, SignInTokenID: "../x", SignInExpires: e.clock.Now().Add(time.Minute)}, ErrInvalidInput},
		{"link expired", StartSessionInput{Email: w.admin, SignInTokenID: strings.Repeat("c", 32), SignInExpires: e.clock.Now().Add(-time.Second)}, ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.s.StartSession(e.ctx, tc.in); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if diff := cmp.Diff(before, snapshot(t, e.rdb)); diff != "" {
		t.Fatalf("refused StartSession changed Redis (-before +after):\n%s", diff)
	}

	sess, err := e.s.StartSession(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if sess.CustomerID != w.customer.ID || sess.Email != w.billing || sess.Role != BillingAdmin || len(sess.ID) != 43 {
		t.Errorf("session = %+v", sess)
	}
	got, err := e.s.Session(e.ctx, sess.ID)
	if err != nil || got != sess {
		t.Errorf("Session = %+v, %v; want %+v", got, err, sess)
	}
	ttl := e.rdb.PTTL(e.ctx, sessionKey(sessionDigest(sess.ID))).Val()
	if ttl <= 7*time.Hour || ttl > SessionTTL {
		t.Errorf("session TTL = %s, want about %s", ttl, SessionTTL)
	}
	if ttl := e.rdb.PTTL(e.ctx, usedSignInKey(tokenID)).Val(); ttl <= 14*time.Minute || ttl > 15*time.Minute {
		t.Errorf("used-link marker TTL = %s, want about 15m", ttl)
	}
	// The cookie value alone is never stored.
	if n := e.rdb.Exists(e.ctx, portalTag+"session:"+sess.ID).Val(); n != 0 {
		t.Error("session stored under its id, not its digest")
	}
	if used, err := e.s.SignInUsed(e.ctx, tokenID); err != nil || !used {
		t.Errorf("SignInUsed = %v, %v; want true", used, err)
	}
	if used, err := e.s.SignInUsed(e.ctx, strings.Repeat("d", 32)); err != nil || used {
		t.Errorf("SignInUsed of an unused link = %v, %v", used, err)
	}
	// The same link again: refused, no second session.
	if _, err := e.s.StartSession(e.ctx, in); !errors.Is(err, ErrTokenUsed) {
		t.Errorf("link used twice: err = %v, want ErrTokenUsed", err)
	}
	if keys := e.rdb.Keys(e.ctx, portalTag+"session:*").Val(); len(keys) != 1 {
		t.Errorf("sessions after a reused link: %v, want 1", keys)
	}

	if err := e.s.EndSession(e.ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{sess.ID, "short", strings.Repeat("x", 43)} {
		if _, err := e.s.Session(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Session(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestRemoveRoles(t *testing.T) {
	e := newEnv(t)
	w, _ := e.accepted()
	actor := ActorInput{CustomerID: w.customer.ID, PartnerID: w.partner.ID, UserEmail: w.billing, IP: "203.0.113.9:4431", UserAgent: "UA"}

	before := snapshot(t, e.rdb)
	for _, tc := range []struct {
		name string
		mod  func(*ActorInput)
		want error
	}{
		{"helpdesk admin", func(a *ActorInput) { a.UserEmail = w.helpdesk }, ErrNotAdmin},
		{"not a user", func(a *ActorInput) { a.UserEmail = "eve@evil.example" }, ErrNotAdmin},
		{"no relationship", func(a *ActorInput) { a.PartnerID = "pa_" + strings.Repeat("a", 16) }, ErrNotFound},
		{"bad partner id", func(a *ActorInput) { a.PartnerID = "x}" }, ErrNotFound},
		{"no ip", func(a *ActorInput) { a.IP = "" }, ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := actor
			tc.mod(&in)
			if _, _, err := e.s.RemoveRoles(e.ctx, in); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if diff := cmp.Diff(before, snapshot(t, e.rdb)); diff != "" {
		t.Fatalf("refused RemoveRoles changed Redis (-before +after):\n%s", diff)
	}

	e.clock.Advance(time.Hour)
	removed, rel, err := e.s.RemoveRoles(e.ctx, actor)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Role{GlobalAdmin, HelpdeskAdmin}, removed); diff != "" {
		t.Errorf("removed:\n%s", diff)
	}
	if len(rel.Roles) != 0 || !cmp.Equal(rel.Types, []RelationshipType{DelegatedAdmin}) || rel.AcceptanceID == "" {
		t.Errorf("relationship after = %+v; want types kept, no roles, signature kept", rel)
	}
	hist, err := e.s.PartnerHistory(e.ctx, w.customer.ID, w.partner.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := hist[0]
	want := AuditEvent{ID: got.ID, At: e.clock.Now().Truncate(time.Millisecond), Action: ActionRolesRemoved, Actor: w.billing,
		PartnerID: w.partner.ID, IP: "203.0.113.9", UserAgent: "UA", Detail: "roles=global_admin,helpdesk_admin user_role=billing_admin"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit event:\n%s", diff)
	}

	// A second removal: nothing left to remove, nothing changes.
	before = snapshot(t, e.rdb)
	if _, _, err := e.s.RemoveRoles(e.ctx, actor); !errors.Is(err, ErrNoRoles) {
		t.Errorf("second RemoveRoles = %v, want ErrNoRoles", err)
	}
	if diff := cmp.Diff(before, snapshot(t, e.rdb)); diff != "" {
		t.Fatalf("second RemoveRoles changed Redis:\n%s", diff)
	}
}

// unsigned is a relationship without a signature (as migrated from before
// signatures were recorded): the world accepted, then its acceptance_id cleared.
func (e *env) unsigned() world {
	e.tb.Helper()
	w, _ := e.accepted()
	if err := e.rdb.HDel(e.ctx, relationshipKey(w.customer.ID, w.partner.ID), "acceptance_id").Err(); err != nil {
		e.tb.Fatal(err)
	}
	return w
}

func TestSignAgreement(t *testing.T) {
	e := newEnv(t)
	w := e.unsigned()
	next := AgreementRef{Version: "2027-01", Locale: "en", SHA256: strings.Repeat("e", 64)}
	in := SignAgreementInput{
		ActorInput: ActorInput{CustomerID: w.customer.ID, PartnerID: w.partner.ID, UserEmail: w.admin, IP: "198.51.100.4", UserAgent: "UA"},
		Agreement:  next,
	}
	before := snapshot(t, e.rdb)
	for _, tc := range []struct {
		name string
		mod  func(*SignAgreementInput)
		want error
	}{
		{"helpdesk admin", func(in *SignAgreementInput) { in.UserEmail = w.helpdesk }, ErrNotAdmin},
		{"no relationship", func(in *SignAgreementInput) { in.PartnerID = "pa_" + strings.Repeat("b", 16) }, ErrNotFound},
		{"bad hash", func(in *SignAgreementInput) { in.Agreement.SHA256 = "abc" }, ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := in
			tc.mod(&c)
			if _, err := e.s.SignAgreement(e.ctx, c); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if diff := cmp.Diff(before, snapshot(t, e.rdb)); diff != "" {
		t.Fatalf("refused SignAgreement changed Redis:\n%s", diff)
	}

	acc, err := e.s.SignAgreement(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.s.Acceptance(e.ctx, w.customer.ID, acc.ID)
	if err != nil || stored != acc {
		t.Errorf("stored acceptance = %+v, %v; want %+v", stored, err, acc)
	}
	if acc.InvitationID != "" || acc.UserRole != GlobalAdmin || acc.AgreementVersion != "2027-01" || acc.AgreementSHA256 != next.SHA256 {
		t.Errorf("acceptance = %+v", acc)
	}
	rel, _ := e.s.Relationship(e.ctx, w.customer.ID, w.partner.ID)
	if rel.AcceptanceID != acc.ID || len(rel.Roles) != 2 {
		t.Errorf("relationship = %+v", rel)
	}
	hist, _ := e.s.PartnerHistory(e.ctx, w.customer.ID, w.partner.ID, 10)
	if hist[0].Action != ActionAgreementSigned || hist[0].InvitationID != "" || !strings.Contains(hist[0].Detail, "version=2027-01") {
		t.Errorf("newest event = %+v", hist[0])
	}

	// Signed for this version: refused, nothing changes; a newer version may be signed.
	before = snapshot(t, e.rdb)
	if _, err := e.s.SignAgreement(e.ctx, in); !errors.Is(err, ErrAlreadySigned) {
		t.Errorf("second SignAgreement = %v, want ErrAlreadySigned", err)
	}
	if err := e.s.RequestAgreement(e.ctx, RequestAgreementInput{CustomerID: w.customer.ID, PartnerID: w.partner.ID, Version: "2027-01", IP: "192.0.2.8"}); !errors.Is(err, ErrAlreadySigned) {
		t.Errorf("RequestAgreement when signed = %v, want ErrAlreadySigned", err)
	}
	if diff := cmp.Diff(before, snapshot(t, e.rdb)); diff != "" {
		t.Fatalf("refusals changed Redis:\n%s", diff)
	}
	in.Agreement.Version = "2028-01"
	if _, err := e.s.SignAgreement(e.ctx, in); err != nil {
		t.Errorf("signing a newer version: %v", err)
	}
}

func TestRequestAgreement(t *testing.T) {
	e := newEnv(t)
	w := e.unsigned()
	in := RequestAgreementInput{CustomerID: w.customer.ID, PartnerID: w.partner.ID, Version: "2026-01", IP: "192.0.2.8", UserAgent: "curl"}
	before := snapshot(t, e.rdb)
	for _, tc := range []struct {
		name string
		mod  func(*RequestAgreementInput)
		want error
	}{
		{"other partner", func(in *RequestAgreementInput) { in.PartnerID = "pa_" + strings.Repeat("c", 16) }, ErrNotFound},
		{"bad customer", func(in *RequestAgreementInput) { in.CustomerID = "cu_}" }, ErrNotFound},
		{"bad version", func(in *RequestAgreementInput) { in.Version = "a b" }, ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := in
			tc.mod(&c)
			if err := e.s.RequestAgreement(e.ctx, c); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if diff := cmp.Diff(before, snapshot(t, e.rdb)); diff != "" {
		t.Fatalf("refused RequestAgreement changed Redis:\n%s", diff)
	}
	if err := e.s.RequestAgreement(e.ctx, in); err != nil {
		t.Fatal(err)
	}
	hist, _ := e.s.PartnerHistory(e.ctx, w.customer.ID, w.partner.ID, 10)
	if hist[0].Action != ActionAgreementRequested || hist[0].Actor != w.partner.ID || hist[0].Detail != "version=2026-01" {
		t.Errorf("newest event = %+v", hist[0])
	}
	// A signature of an older version does not count as signed.
	w2e := newEnv(t)
	w2, _ := w2e.accepted() // signed 2026-01 (testAgreement)
	if err := w2e.s.RequestAgreement(w2e.ctx, RequestAgreementInput{CustomerID: w2.customer.ID, PartnerID: w2.partner.ID, Version: "2027-01", IP: "192.0.2.8"}); err != nil {
		t.Errorf("request of a newer version: %v", err)
	}
}

func TestPartnerHistoryFilters(t *testing.T) {
	e := newEnv(t)
	w, _ := e.accepted()
	other, _ := e.partner("northwind")
	e.invite(other.ID, w.admin, Reseller)
	hist, err := e.s.PartnerHistory(e.ctx, w.customer.ID, w.partner.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range hist {
		actions = append(actions, ev.Action)
	}
	want := []string{ActionAgreementSigned, ActionInvitationAccepted, ActionInvitationCreated}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("history of the partner (-want +got):\n%s", diff)
	}
}
