package partnerships

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreateInvitation(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	e.user(c.ID, "bob@fabrikam.example", User)
	now := e.clock.Now()

	inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{
		PartnerID: p.ID, Email: "Bob@Fabrikam.example", Type: ResellerDelegatedAdmin,
		Locale: "en", Message: "Hello,\nplease accept.", TTL: 7*24*time.Hour + 1500*time.Millisecond,
		IP: "198.51.100.4:40000", UserAgent: "curl/8.5.0",
	})
	if err != nil {
		t.Fatal(err)
	}
	created := now.Truncate(time.Second)
	want := Invitation{
		ID: inv.ID, PartnerID: p.ID, CustomerID: c.ID, Email: "bob@fabrikam.example",
		Type: ResellerDelegatedAdmin, Roles: []Role{GlobalAdmin, HelpdeskAdmin}, Locale: "en",
		Message: "Hello,\nplease accept.", Status: StatusPending, TokenID: inv.TokenID,
		CreatedAt: created, ExpiresAt: created.Add(7*24*time.Hour + time.Second), Sends: 1,
	}
	if diff := cmp.Diff(want, inv); diff != "" {
		t.Errorf("CreateInvitation (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`^in_[a-z2-7]{16}_[a-z2-7]{16}$`).MatchString(inv.ID) || inv.ID[3:19] != c.ID[3:] {
		t.Errorf("invitation id %q: want in_<customer's 16 chars>_<16 random>", inv.ID)
	}
	if cu, err := CustomerOfInvitation(inv.ID); err != nil || cu != c.ID {
		t.Errorf("CustomerOfInvitation(%s) = %q, %v; want %s", inv.ID, cu, err, c.ID)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(inv.TokenID) {
		t.Errorf("token id %q: want 32 lowercase hex chars", inv.TokenID)
	}
	got, err := e.s.Invitation(e.ctx, inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inv, got); diff != "" {
		t.Errorf("Invitation (-created +read):\n%s", diff)
	}

	events, err := e.s.Audit(e.ctx, c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEvents := []AuditEvent{{
		At: now.Truncate(time.Second), Action: ActionInvitationCreated, Actor: p.ID, PartnerID: p.ID, InvitationID: inv.ID,
		IP: "198.51.100.4", UserAgent: "curl/8.5.0",
		Detail: "type=reseller_delegated_admin roles=global_admin,helpdesk_admin expires_at=2026-03-09T09:30:16Z",
	}}
	if diff := cmp.Diff(wantEvents, events, ignoreEventIDs); diff != "" {
		t.Errorf("Audit (-want +got):\n%s", diff)
	}

	// More invitations: roles, listing order.
	e.clock.Advance(time.Second)
	sub, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example",
		Type: DelegatedAdmin, Roles: []Role{HelpdeskAdmin, HelpdeskAdmin}, Locale: "de", TTL: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Role{HelpdeskAdmin}, sub.Roles); diff != "" {
		t.Errorf("requested roles (-want +got):\n%s", diff)
	}
	e.clock.Advance(time.Second)
	res := e.invite(p.ID, "admin@fabrikam.example", Reseller)
	if diff := cmp.Diff([]Role{}, res.Roles); diff != "" {
		t.Errorf("reseller roles (-want +got):\n%s", diff)
	}
	e.clock.Advance(time.Second)
	none, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example",
		Type: Advisor, Roles: []Role{}, Locale: "de", TTL: time.Hour})
	if err != nil || len(none.Roles) != 0 {
		t.Errorf("explicitly no roles: %v, %v", none.Roles, err)
	}
	list, err := e.s.InvitationsByCustomer(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Invitation{inv, sub, res, none}, list); diff != "" {
		t.Errorf("InvitationsByCustomer (-want +got):\n%s", diff)
	}
	other := e.customer("northwind", "admin@northwind.example")
	if list, err := e.s.InvitationsByCustomer(e.ctx, other.ID); err != nil || len(list) != 0 {
		t.Errorf("InvitationsByCustomer(other) = %v, %v; want none", list, err)
	}
	if _, err := e.s.InvitationsByCustomer(e.ctx, "cu_aaaaaaaaaaaaaaaa"); !errors.Is(err, ErrNotFound) {
		t.Errorf("InvitationsByCustomer(unknown): err = %v, want ErrNotFound", err)
	}
}

var ignoreEventIDs = cmp.FilterPath(func(p cmp.Path) bool {
	return p.Last().String() == ".ID"
}, cmp.Ignore())

func TestCreateInvitationInvalid(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	e.customer("fabrikam", "admin@fabrikam.example")
	good := NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: DelegatedAdmin, Locale: "en", TTL: time.Hour}
	before := snapshot(t, e.rdb)
	for _, tc := range []struct {
		name  string
		edit  func(*NewInvitation)
		want  error
		field string
	}{
		{"malformed partner", func(in *NewInvitation) { in.PartnerID = "contoso" }, ErrInvalidInput, "partner_id"},
		{"unknown partner", func(in *NewInvitation) { in.PartnerID = "pa_aaaaaaaaaaaaaaaa" }, ErrNotFound, "partner"},
		{"bad email", func(in *NewInvitation) { in.Email = "admin" }, ErrInvalidInput, "email"},
		{"unknown recipient", func(in *NewInvitation) { in.Email = "nobody@fabrikam.example" }, ErrUnknownRecipient, "nobody@"},
		{"unknown type", func(in *NewInvitation) { in.Type = "owner" }, ErrInvalidType, "type"},
		{"no type", func(in *NewInvitation) { in.Type = "" }, ErrInvalidType, "type"},
		{"role of another type", func(in *NewInvitation) { in.Roles = []Role{ApplicationAdmin} }, ErrInvalidRole, "roles"},
		{"roles for reseller", func(in *NewInvitation) { in.Type, in.Roles = Reseller, []Role{GlobalAdmin} }, ErrInvalidRole, "roles"},
		{"customer role", func(in *NewInvitation) { in.Roles = []Role{BillingAdmin} }, ErrInvalidRole, "roles"},
		{"locale", func(in *NewInvitation) { in.Locale = "fr" }, ErrInvalidInput, "locale"},
		{"no locale", func(in *NewInvitation) { in.Locale = "" }, ErrInvalidInput, "locale"},
		{"long message", func(in *NewInvitation) { in.Message = strings.Repeat("ü", 2001) }, ErrInvalidInput, "message"},
		{"control char in message", func(in *NewInvitation) { in.Message = "hi\x1b[31m" }, ErrInvalidInput, "message"},
		{"invalid UTF-8 message", func(in *NewInvitation) { in.Message = "hi\xff" }, ErrInvalidInput, "message"},
		{"zero TTL", func(in *NewInvitation) { in.TTL = 0 }, ErrInvalidInput, "ttl"},
		{"negative TTL", func(in *NewInvitation) { in.TTL = -time.Hour }, ErrInvalidInput, "ttl"},
		{"sub-second TTL", func(in *NewInvitation) { in.TTL = time.Millisecond }, ErrInvalidInput, "ttl"},
		{"TTL over 90 days", func(in *NewInvitation) { in.TTL = 90*24*time.Hour + time.Second }, ErrInvalidInput, "ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			tc.edit(&in)
			_, err := e.s.CreateInvitation(e.ctx, in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "partnerships: ") || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q: want the package prefix and %q", err, tc.field)
			}
		})
	}
	unchanged(t, e.rdb, before)

	in := good
	in.Message = strings.Repeat("ü", 2000)
	if _, err := e.s.CreateInvitation(e.ctx, in); err != nil {
		t.Errorf("2000-character message: %v", err)
	}
}

func TestInvitationNotFound(t *testing.T) {
	e := newEnv(t)
	c := e.customer("fabrikam", "admin@fabrikam.example")
	missing := newInvitationID(c.ID)
	for _, id := range []string{"", "in_", missing, missing[:len(missing)-1], "in_" + strings.Repeat("{", 16) + "_" + strings.Repeat("a", 16)} {
		if _, err := e.s.Invitation(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Invitation(%q): err = %v, want ErrNotFound", id, err)
		}
		if _, err := e.s.MarkSent(e.ctx, id, "<m@x>"); !errors.Is(err, ErrNotFound) {
			t.Errorf("MarkSent(%q): err = %v, want ErrNotFound", id, err)
		}
		if _, err := e.s.MarkFailed(e.ctx, id, "550 no such user"); !errors.Is(err, ErrNotFound) {
			t.Errorf("MarkFailed(%q): err = %v, want ErrNotFound", id, err)
		}
	}
}

func TestMarkSent(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	e.clock.Advance(90 * time.Second)
	sentAt := e.clock.Now().Truncate(time.Millisecond)

	before := snapshot(t, e.rdb)
	for _, id := range []string{"", "<a b@x>", "<ä@x>", "<a@x>\r\nBcc: evil@x", strings.Repeat("a", 999)} {
		if _, err := e.s.MarkSent(e.ctx, w.inv.ID, id); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("MarkSent(Message-ID %.20q): err = %v, want ErrInvalidInput", id, err)
		}
	}
	unchanged(t, e.rdb, before)

	sent, err := e.s.MarkSent(e.ctx, w.inv.ID, "<in.1@partnerlink.example>")
	if err != nil {
		t.Fatal(err)
	}
	want := w.inv
	want.Status, want.SentAt, want.MessageID = StatusSent, sentAt, "<in.1@partnerlink.example>"
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Errorf("MarkSent (-want +got):\n%s", diff)
	}

	// Idempotent: a second call (say, a retried job) changes nothing and succeeds.
	e.clock.Advance(time.Minute)
	before = snapshot(t, e.rdb)
	again, err := e.s.MarkSent(e.ctx, w.inv.ID, "<in.2@partnerlink.example>")
	if err != nil {
		t.Fatalf("second MarkSent: %v", err)
	}
	if diff := cmp.Diff(sent, again); diff != "" {
		t.Errorf("second MarkSent (-first +second):\n%s", diff)
	}
	unchanged(t, e.rdb, before)

	events, err := e.s.Audit(e.ctx, w.customer.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if n := countActions(events)[ActionInvitationSent]; n != 1 {
		t.Errorf("%d %s events, want 1", n, ActionInvitationSent)
	}
	if ev := events[0]; ev.Action != ActionInvitationSent || ev.Actor != "system" || !ev.At.Equal(sentAt) ||
		ev.InvitationID != w.inv.ID || ev.PartnerID != w.partner.ID || ev.Detail != "message_id=<in.1@partnerlink.example>" {
		t.Errorf("newest event = %+v, want the send", ev)
	}

	// Not open: the caller gets the invitation and ErrNotOpen, nothing changes.
	failed := e.invite(w.partner.ID, w.admin, Advisor)
	if _, err := e.s.MarkFailed(e.ctx, failed.ID, "550 5.1.1 mailbox unknown"); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, e.rdb)
	got, err := e.s.MarkSent(e.ctx, failed.ID, "<x@y>")
	if !errors.Is(err, ErrNotOpen) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("MarkSent of a failed invitation: err = %v, want ErrNotOpen naming the status", err)
	}
	if got.ID != failed.ID || got.Status != StatusFailed {
		t.Errorf("MarkSent of a failed invitation returned %+v, want it", got)
	}
	unchanged(t, e.rdb, before)
}

func countActions(events []AuditEvent) map[string]int {
	n := map[string]int{}
	for _, ev := range events {
		n[ev.Action]++
	}
	return n
}

func TestMarkFailed(t *testing.T) {
	e := newEnv(t)
	w := e.world()

	got, err := e.s.MarkFailed(e.ctx, w.inv.ID, " 550 5.1.1 <admin@fabrikam.example>:\r\nmailbox unknown ")
	if err != nil {
		t.Fatal(err)
	}
	want := w.inv
	want.Status, want.FailureReason = StatusFailed, "550 5.1.1 <admin@fabrikam.example>:  mailbox unknown"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MarkFailed pending (-want +got):\n%s", diff)
	}

	sent := e.invite(w.partner.ID, w.admin, Advisor)
	if _, err := e.s.MarkSent(e.ctx, sent.ID, "<a@b>"); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 1000)
	got, err = e.s.MarkFailed(e.ctx, sent.ID, long)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusFailed || got.FailureReason != strings.Repeat("é", 500) || got.MessageID != "<a@b>" {
		t.Errorf("MarkFailed sent = status %s, reason %d bytes, message id %q", got.Status, len(got.FailureReason), got.MessageID)
	}
	events, err := e.s.Audit(e.ctx, w.customer.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if n := countActions(events)[ActionInvitationFailed]; n != 2 {
		t.Errorf("%d %s events, want 2", n, ActionInvitationFailed)
	}

	accepted := e.invite(w.partner.ID, w.admin, MPSA)
	if _, _, err := e.s.Accept(e.ctx, acceptInput(accepted, w.admin)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, e.rdb)
	for _, id := range []string{w.inv.ID, accepted.ID} {
		got, err := e.s.MarkFailed(e.ctx, id, "550 again")
		if !errors.Is(err, ErrNotOpen) || got.ID != id {
			t.Errorf("MarkFailed(%s) = %s, %v; want it with ErrNotOpen", id, got.Status, err)
		}
	}
	if _, err := e.s.MarkFailed(e.ctx, sent.ID, " \t "); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("MarkFailed with an empty reason: err = %v, want ErrInvalidInput", err)
	}
	unchanged(t, e.rdb, before)
}
