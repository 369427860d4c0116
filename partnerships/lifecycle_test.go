package partnerships

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

var testOrigin = Origin{IP: "198.51.100.9:5555", UserAgent: "partner-cli/1.0"}

// lastAudit returns the customer's newest audit event.
func (e *env) lastAudit(customerID string) AuditEvent {
	e.tb.Helper()
	evs, err := e.s.Audit(e.ctx, customerID, 1)
	if err != nil || len(evs) != 1 {
		e.tb.Fatalf("Audit = %v, %v", evs, err)
	}
	return evs[0]
}

func TestCreateInvitationAlreadyRelated(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	w := e.world()
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
		t.Fatal(err)
	}
	rel, err := e.s.Relationship(e.ctx, w.customer.ID, w.partner.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The same type again: refused, naming the relationship, changing nothing.
	before := snapshot(t, e.rdb)
	_, err = e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: w.partner.ID, Email: w.billing, Type: DelegatedAdmin, Locale: "en", TTL: time.Hour})
	var related *RelatedError
	if !errors.Is(err, ErrAlreadyRelated) || !errors.As(err, &related) {
		t.Fatalf("err = %v, want a *RelatedError", err)
	}
	want := Relationship{CustomerID: w.customer.ID, PartnerID: w.partner.ID, Types: []RelationshipType{DelegatedAdmin}, Roles: []Role{}, Since: rel.Since}
	if diff := cmp.Diff(want, related.Relationship); diff != "" {
		t.Errorf("RelatedError.Relationship (-want +got):\n%s", diff)
	}
	unchanged(t, e.rdb, before)

	// A new type for the same partner: a plain invitation; accepting it adds the type.
	inv := e.invite(w.partner.ID, w.admin, MPSA)
	_, got, err := e.s.Accept(e.ctx, acceptInput(inv, w.admin))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Types, []RelationshipType{DelegatedAdmin, MPSA}) || !got.Since.Equal(rel.Since) {
		t.Errorf("relationship after the second type = %+v", got)
	}
}

func TestRevokeInvitation(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	w := e.world()
	e.clock.Advance(time.Minute)
	got, err := e.s.RevokeInvitation(e.ctx, w.partner.ID, w.inv.ID, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusRevoked || got.DecidedBy != w.partner.ID || !got.DecidedAt.Equal(e.clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("revoked invitation = %+v", got)
	}
	ev := e.lastAudit(w.customer.ID)
	if ev.Action != ActionInvitationRevoked || ev.Actor != w.partner.ID || ev.IP != "198.51.100.9" || ev.UserAgent != "partner-cli/1.0" || ev.InvitationID != w.inv.ID {
		t.Errorf("audit = %+v", ev)
	}
	// The link no longer works.
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); !errors.Is(err, ErrNotOpen) {
		t.Errorf("accept after revoke: err = %v, want ErrNotOpen", err)
	}
}

func TestRevokeInvitationRefusals(t *testing.T) {
	parallel(t)
	tests := []struct {
		name  string
		setup func(e *env, w world) (partnerID, id string)
		want  error
	}{
		{"another partner's", func(e *env, w world) (string, string) {
			other, _ := e.partner("rival")
			return other.ID, w.inv.ID
		}, ErrNotFound},
		{"unknown", func(e *env, w world) (string, string) {
			return w.partner.ID, w.inv.ID[:len(w.inv.ID)-4] + "aaaa"
		}, ErrNotFound},
		{"malformed", func(e *env, w world) (string, string) { return w.partner.ID, "in_x" }, ErrNotFound},
		{"already revoked", func(e *env, w world) (string, string) {
			if _, err := e.s.RevokeInvitation(e.ctx, w.partner.ID, w.inv.ID, testOrigin); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.inv.ID
		}, ErrNotOpen},
		{"accepted", func(e *env, w world) (string, string) {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.inv.ID
		}, ErrNotOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			partnerID, id := tt.setup(e, w)
			before := snapshot(t, e.rdb)
			if _, err := e.s.RevokeInvitation(e.ctx, partnerID, id, testOrigin); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			unchanged(t, e.rdb, before)
		})
	}
}

func TestResendOpenInvitation(t *testing.T) {
	parallel(t)
	tests := []struct {
		name    string
		advance time.Duration
		ttl     time.Duration
		wantExp func(created, now time.Time) time.Time
	}{
		{"later expiry", 24 * time.Hour, 14 * 24 * time.Hour, func(_, now time.Time) time.Time { return now.Add(14 * 24 * time.Hour) }},
		{"never beyond 90 days", 24 * time.Hour, 90 * 24 * time.Hour, func(created, _ time.Time) time.Time { return created.Add(90 * 24 * time.Hour) }},
		{"never earlier", time.Hour, time.Hour, func(created, _ time.Time) time.Time { return created.Add(14 * 24 * time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			if _, err := e.s.MarkSent(e.ctx, w.inv.ID, "<1@x>"); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(tt.advance)
			now := e.clock.Now().Truncate(time.Second)
			res, err := e.s.ResendInvitation(e.ctx, w.partner.ID, w.inv.ID, tt.ttl, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Invitation
			if res.Replaced != "" || got.ID != w.inv.ID || got.TokenID != w.inv.TokenID || got.Status != StatusPending ||
				got.Sends != 2 || !got.ResentAt.Equal(now) || !got.ExpiresAt.Equal(tt.wantExp(w.inv.CreatedAt, now)) {
				t.Errorf("resent = %+v (replaced %q); want the same invitation, pending, sends 2, expiry %v", got, res.Replaced, tt.wantExp(w.inv.CreatedAt, now))
			}
			if ev := e.lastAudit(w.customer.ID); ev.Action != ActionInvitationResent || ev.Actor != w.partner.ID || ev.IP != "198.51.100.9" {
				t.Errorf("audit = %+v", ev)
			}
			// The send job sends it again and marks it sent.
			if inv, err := e.s.MarkSent(e.ctx, w.inv.ID, "<2@x>"); err != nil || inv.Status != StatusSent || inv.MessageID != "<2@x>" {
				t.Errorf("MarkSent after resend = %+v, %v", inv, err)
			}
			// The link keeps working.
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				t.Errorf("accept after resend: %v", err)
			}
		})
	}
}

func TestResendReplaces(t *testing.T) {
	parallel(t)
	tests := []struct {
		name       string
		setup      func(e *env, w world)
		wantStatus Status // of the old one afterwards
	}{
		{"expired by time", func(e *env, w world) { e.clock.Advance(15 * 24 * time.Hour) }, StatusExpired},
		{"failed", func(e *env, w world) {
			if _, err := e.s.MarkFailed(e.ctx, w.inv.ID, "550 no"); err != nil {
				e.tb.Fatal(err)
			}
			e.clock.Advance(time.Second)
		}, StatusFailed},
		{"bounced", func(e *env, w world) {
			if _, err := e.s.MarkBounced(e.ctx, w.inv.ID, "550 5.1.1"); err != nil {
				e.tb.Fatal(err)
			}
			e.clock.Advance(time.Second)
		}, StatusBounced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			tt.setup(e, w)
			now := e.clock.Now().Truncate(time.Second)
			res, err := e.s.ResendInvitation(e.ctx, w.partner.ID, w.inv.ID, 7*24*time.Hour, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			n := res.Invitation
			want := Invitation{
				ID: n.ID, PartnerID: w.partner.ID, CustomerID: w.customer.ID, Email: w.inv.Email, Type: w.inv.Type,
				Roles: w.inv.Roles, Locale: w.inv.Locale, Message: w.inv.Message, Status: StatusPending, TokenID: n.TokenID,
				CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour), Sends: 1, Replaces: w.inv.ID,
			}
			if diff := cmp.Diff(want, n); diff != "" {
				t.Errorf("new invitation (-want +got):\n%s", diff)
			}
			if res.Replaced != w.inv.ID || n.ID == w.inv.ID || n.TokenID == w.inv.TokenID || len(n.TokenID) != 32 {
				t.Errorf("resend = %+v, want a new id and token replacing %s", res, w.inv.ID)
			}
			if stored, err := e.s.Invitation(e.ctx, n.ID); err != nil || !cmp.Equal(stored, n) {
				t.Errorf("stored new invitation = %+v, %v", stored, err)
			}
			old, err := e.s.Invitation(e.ctx, w.inv.ID)
			if err != nil || old.ReplacedBy != n.ID || old.Status != tt.wantStatus {
				t.Errorf("old invitation = %+v, %v; want replaced_by %s, status %s", old, err, n.ID, tt.wantStatus)
			}
			evs, _ := e.s.Audit(e.ctx, w.customer.ID, 2)
			if len(evs) != 2 || evs[0].Action != ActionInvitationCreated || evs[0].InvitationID != n.ID ||
				evs[1].Action != ActionInvitationReplaced || evs[1].InvitationID != w.inv.ID || evs[1].Detail == "" {
				t.Errorf("audit = %+v", evs)
			}
			list, _, err := e.s.PartnerInvitations(e.ctx, w.partner.ID, InvitationFilter{Limit: 10})
			if err != nil || len(list) != 2 || list[0].ID != n.ID {
				t.Errorf("PartnerInvitations = %v, %v; want the new one first of two", list, err)
			}
			if _, _, err := e.s.Accept(e.ctx, acceptInput(n, w.admin)); err != nil {
				t.Errorf("accepting the new one: %v", err)
			}
		})
	}
}

func TestResendRefusals(t *testing.T) {
	parallel(t)
	tests := []struct {
		name  string
		setup func(e *env, w world) (partnerID, id string)
		want  error
	}{
		{"another partner's", func(e *env, w world) (string, string) {
			other, _ := e.partner("rival")
			return other.ID, w.inv.ID
		}, ErrNotFound},
		{"malformed", func(e *env, w world) (string, string) { return w.partner.ID, "nope" }, ErrNotFound},
		{"accepted", func(e *env, w world) (string, string) {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.inv.ID
		}, ErrNotOpen},
		{"declined", func(e *env, w world) (string, string) {
			if _, err := e.s.Decline(e.ctx, declineInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.inv.ID
		}, ErrNotOpen},
		{"revoked", func(e *env, w world) (string, string) {
			if _, err := e.s.RevokeInvitation(e.ctx, w.partner.ID, w.inv.ID, testOrigin); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.inv.ID
		}, ErrNotOpen},
		{"replaced already", func(e *env, w world) (string, string) {
			e.clock.Advance(15 * 24 * time.Hour)
			if _, err := e.s.ResendInvitation(e.ctx, w.partner.ID, w.inv.ID, time.Hour, testOrigin); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.inv.ID
		}, ErrReplaced},
		{"expired, but the type was granted meanwhile", func(e *env, w world) (string, string) {
			other := e.invite(w.partner.ID, w.billing, DelegatedAdmin)
			if _, _, err := e.s.Accept(e.ctx, acceptInput(other, w.billing)); err != nil {
				e.tb.Fatal(err)
			}
			e.clock.Advance(15 * 24 * time.Hour)
			return w.partner.ID, w.inv.ID
		}, ErrAlreadyRelated},
		{"expired, recipient left the customer", func(e *env, w world) (string, string) {
			e.clock.Advance(15 * 24 * time.Hour)
			if err := e.rdb.HDel(e.ctx, usersKey(w.customer.ID), w.admin).Err(); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.inv.ID
		}, ErrUnknownRecipient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			partnerID, id := tt.setup(e, w)
			before := snapshot(t, e.rdb)
			if _, err := e.s.ResendInvitation(e.ctx, partnerID, id, time.Hour, testOrigin); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			unchanged(t, e.rdb, before)
		})
	}
}

func TestEndRelationship(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	w := e.world()
	if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
		t.Fatal(err)
	}
	rel, _ := e.s.Relationship(e.ctx, w.customer.ID, w.partner.ID)
	e.clock.Advance(time.Hour)
	ended, at, err := e.s.EndRelationship(e.ctx, w.partner.ID, w.customer.ID, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ended.Types, rel.Types) || !slices.Equal(ended.Roles, rel.Roles) || !ended.Since.Equal(rel.Since) || !at.Equal(e.clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("ended = %+v at %v, was %+v", ended, at, rel)
	}
	if _, err := e.s.Relationship(e.ctx, w.customer.ID, w.partner.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Relationship after end: err = %v, want ErrNotFound", err)
	}
	if rels, err := e.s.Relationships(e.ctx, w.customer.ID); err != nil || len(rels) != 0 {
		t.Errorf("Relationships after end = %v, %v", rels, err)
	}
	if rels, _, err := e.s.PartnerRelationships(e.ctx, w.partner.ID, 10, ""); err != nil || len(rels) != 0 {
		t.Errorf("PartnerRelationships after end = %v, %v", rels, err)
	}
	hist, err := e.s.RelationshipHistory(e.ctx, w.customer.ID, w.partner.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range hist {
		actions = append(actions, ev.Action)
	}
	wantActions := []string{ActionRelationshipEnded, ActionAgreementSigned, ActionInvitationAccepted, ActionInvitationCreated}
	if !slices.Equal(actions, wantActions) {
		t.Errorf("history = %v, want %v", actions, wantActions)
	}
	if hist[0].Actor != w.partner.ID || hist[0].IP != "198.51.100.9" || hist[0].UserAgent != "partner-cli/1.0" {
		t.Errorf("ended event = %+v", hist[0])
	}
	// A new invitation of the same type may be sent and starts a new relationship.
	inv := e.invite(w.partner.ID, w.admin, DelegatedAdmin)
	if _, got, err := e.s.Accept(e.ctx, acceptInput(inv, w.admin)); err != nil || got.Since.Equal(rel.Since) {
		t.Errorf("accept after end = %+v, %v; want a new relationship", got, err)
	}
}

func TestEndRelationshipRefusals(t *testing.T) {
	parallel(t)
	tests := []struct {
		name  string
		setup func(e *env, w world) (partnerID, customerID string)
	}{
		{"none", func(e *env, w world) (string, string) { return w.partner.ID, w.customer.ID }},
		{"another partner's", func(e *env, w world) (string, string) {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			other, _ := e.partner("rival")
			return other.ID, w.customer.ID
		}},
		{"already ended", func(e *env, w world) (string, string) {
			if _, _, err := e.s.Accept(e.ctx, acceptInput(w.inv, w.admin)); err != nil {
				e.tb.Fatal(err)
			}
			if _, _, err := e.s.EndRelationship(e.ctx, w.partner.ID, w.customer.ID, testOrigin); err != nil {
				e.tb.Fatal(err)
			}
			return w.partner.ID, w.customer.ID
		}},
		{"malformed customer", func(e *env, w world) (string, string) { return w.partner.ID, "cu_{x}" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.world()
			partnerID, customerID := tt.setup(e, w)
			before := snapshot(t, e.rdb)
			if _, _, err := e.s.EndRelationship(e.ctx, partnerID, customerID, testOrigin); !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			unchanged(t, e.rdb, before)
		})
	}
}

func TestPartnerInvitations(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	w := e.world() // w.inv is the oldest
	ids := []string{w.inv.ID}
	for range 4 {
		e.clock.Advance(time.Second)
		ids = append(ids, e.invite(w.partner.ID, w.admin, Advisor).ID)
	}
	if _, err := e.s.RevokeInvitation(e.ctx, w.partner.ID, ids[1], testOrigin); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.RevokeInvitation(e.ctx, w.partner.ID, ids[3], testOrigin); err != nil {
		t.Fatal(err)
	}
	other, _ := e.partner("rival")
	e.invite(other.ID, w.admin, Advisor)
	// A dangling entry (its script never ran) and a stale one (another partner's record).
	dangling := fmt.Sprintf("%013d:%s", e.clock.Now().UnixMilli()+5000, newInvitationID(w.customer.ID))
	stale := fmt.Sprintf("%013d:%s", e.clock.Now().UnixMilli()+6000, w.inv.ID)
	if err := e.rdb.ZAdd(e.ctx, partnerInvitationsKey(other.ID), redis.Z{Member: dangling}, redis.Z{Member: stale}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.rdb.ZAdd(e.ctx, partnerInvitationsKey(w.partner.ID), redis.Z{Member: dangling}).Err(); err != nil {
		t.Fatal(err)
	}

	idsOf := func(list []Invitation) []string {
		out := []string{}
		for _, inv := range list {
			out = append(out, inv.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		filter InvitationFilter
		pages  [][]string
	}{
		{"all in one page", InvitationFilter{Limit: 10}, [][]string{{ids[4], ids[3], ids[2], ids[1], ids[0]}}},
		{"pages of two", InvitationFilter{Limit: 2}, [][]string{{ids[4], ids[3]}, {ids[2], ids[1]}, {ids[0]}}},
		{"revoked", InvitationFilter{Status: StatusRevoked, Limit: 1}, [][]string{{ids[3]}, {ids[1]}, {}}},
		{"pending", InvitationFilter{Status: StatusPending, Limit: 5}, [][]string{{ids[4], ids[2], ids[0]}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.filter
			var got [][]string
			for {
				list, next, err := e.s.PartnerInvitations(e.ctx, w.partner.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, idsOf(list))
				if next == "" || len(got) > 10 {
					break
				}
				f.Cursor = next
			}
			if diff := cmp.Diff(tt.pages, got); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
	if list, _, err := e.s.PartnerInvitations(e.ctx, other.ID, InvitationFilter{Limit: 10}); err != nil || len(list) != 1 || list[0].PartnerID != other.ID {
		t.Errorf("other partner's list = %v, %v; want just its own one", list, err)
	}
	for _, bad := range []InvitationFilter{{Limit: 0}, {Limit: 201}, {Limit: 1, Cursor: "x"}, {Limit: 1, Status: "lost"}} {
		if _, _, err := e.s.PartnerInvitations(e.ctx, w.partner.ID, bad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("PartnerInvitations(%+v): err = %v, want ErrInvalidInput", bad, err)
		}
	}
}

func TestPartnerRelationships(t *testing.T) {
	parallel(t)
	e := newEnv(t)
	p, _ := e.partner("contoso")
	other, _ := e.partner("rival")
	var customers []string
	for _, name := range []string{"a", "b", "c"} {
		c := e.customer(name, "admin@"+name+".example")
		inv := e.invite(p.ID, "admin@"+name+".example", Advisor)
		if _, _, err := e.s.Accept(e.ctx, acceptInput(inv, "admin@"+name+".example")); err != nil {
			t.Fatal(err)
		}
		customers = append(customers, c.ID)
	}
	slices.Sort(customers)
	// A refused accept leaves no entry; the other partner sees nothing.
	inv := e.invite(other.ID, "admin@a.example", Advisor)
	before := snapshot(t, e.rdb)
	if _, _, err := e.s.Accept(e.ctx, acceptInput(inv, "nobody@a.example")); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("accept by a stranger: %v", err)
	}
	unchanged(t, e.rdb, before)
	if rels, _, err := e.s.PartnerRelationships(e.ctx, other.ID, 10, ""); err != nil || len(rels) != 0 {
		t.Errorf("other partner's relationships = %v, %v", rels, err)
	}

	var got []string
	cursor := ""
	for range 5 {
		rels, next, err := e.s.PartnerRelationships(e.ctx, p.ID, 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rels {
			got = append(got, r.CustomerID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, customers) {
		t.Errorf("relationships = %v, want %v", got, customers)
	}
	if _, _, err := e.s.PartnerRelationships(e.ctx, p.ID, 2, "bad"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad cursor: err = %v", err)
	}
}

// TestPartnerRelationshipsAfterConcurrentAccepts: however concurrent accepts of one
// invitation (some by users who may not accept) interleave, the partner's list
// ends up with the customer.
func TestPartnerRelationshipsAfterConcurrentAccepts(t *testing.T) {
	parallel(t)
	for round := range 5 {
		e := newEnv(t)
		w := e.world()
		var wg sync.WaitGroup
		for i := range 8 {
			who := w.admin
			if i%2 == 1 {
				who = w.helpdesk // refused: not an admin
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _ = e.s.Accept(e.ctx, acceptInput(w.inv, who))
			}()
		}
		wg.Wait()
		rels, _, err := e.s.PartnerRelationships(e.ctx, w.partner.ID, 10, "")
		if err != nil || len(rels) != 1 || rels[0].CustomerID != w.customer.ID {
			_, rerr := e.s.Relationship(e.ctx, w.customer.ID, w.partner.ID)
			t.Errorf("round %d: PartnerRelationships = %v, %v; want the customer (relationship: %v)", round, rels, err, rerr)
		}
	}
}
