package partnerships

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// errText makes errors comparable: nil or its message.
func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// sendView is a SendContext (or what the single-record methods say) made comparable.
type sendView struct {
	Invitation                             Invitation
	Partner                                Partner
	Customer                               Customer
	Suppressed                             bool
	Err, PartnerErr, CustomerErr, SuppdErr string
}

func viewOf(sc SendContext, err error) sendView {
	return sendView{sc.Invitation, sc.Partner, sc.Customer, sc.Suppressed,
		errText(err), errText(sc.PartnerErr), errText(sc.CustomerErr), errText(sc.SuppressedErr)}
}

// sendByMethods is what SendContext must equal: the single-record methods one
// after the other.
func sendByMethods(e *env, id string) sendView {
	inv, err := e.s.Invitation(e.ctx, id)
	if err != nil {
		return viewOf(SendContext{}, err)
	}
	sc := SendContext{Invitation: inv}
	sc.Partner, sc.PartnerErr = e.s.Partner(e.ctx, inv.PartnerID)
	sc.Customer, sc.CustomerErr = e.s.Customer(e.ctx, inv.CustomerID)
	sc.Suppressed, sc.SuppressedErr = e.s.Suppressed(e.ctx, inv.Email)
	return viewOf(sc, nil)
}

// checkReadContexts checks SendContext and NotifyContext against the methods they
// stand for, and their round trips, on e (a single server or a cluster).
func checkReadContexts(t *testing.T, e *env) {
	t.Helper()
	rt := testredis.CountRoundTrips(e.rdb)
	p, _ := e.partner("contoso")
	other, _ := e.partner("litware")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	e.user(c.ID, "billing@fabrikam.example", BillingAdmin)
	e.user(c.ID, "helpdesk@fabrikam.example", HelpdeskAdmin)
	inv := e.invite(p.ID, "admin@fabrikam.example", ResellerDelegatedAdmin)
	bounced := e.invite(p.ID, "billing@fabrikam.example", Reseller)
	for _, key := range []string{"b1", "b2"} {
		if _, _, err := e.s.RecordHardBounce(e.ctx, bounced.Email, key); err != nil {
			t.Fatal(err)
		}
	}
	q, _ := e.partner("gone")
	orphan := e.invite(q.ID, "helpdesk@fabrikam.example", Reseller)
	if err := e.rdb.Del(e.ctx, partnerKey(q.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	missing := "in_" + c.ID[3:] + "_aaaaaaaaaaaaaaaa"
	// A damaged record: no partner, no address.
	blank := e.invite(p.ID, "admin@fabrikam.example", Reseller)
	if err := e.rdb.HSet(e.ctx, invitationKey(c.ID, blank.ID), "partner_id", "", "email", "").Err(); err != nil {
		t.Fatal(err)
	}

	sends := []struct {
		name               string
		id, partner, email string
		trips              int64
	}{
		{"the invitation's own partner and address", inv.ID, inv.PartnerID, inv.Email, 1},
		{"just the id", inv.ID, "", "", 2},
		{"another partner", inv.ID, other.ID, inv.Email, 2},
		{"another address", inv.ID, inv.PartnerID, "billing@fabrikam.example", 2},
		{"a malformed partner and address", inv.ID, "pa_x", "not an address", 2},
		{"a suppressed address", bounced.ID, bounced.PartnerID, bounced.Email, 1},
		{"a partner that is gone", orphan.ID, orphan.PartnerID, orphan.Email, 1},
		{"no such invitation", missing, p.ID, inv.Email, 1},
		{"an invitation without partner and address", blank.ID, "", "", 1},
		{"an invitation without partner and address, guessed", blank.ID, p.ID, inv.Email, 1}, // nothing to read again
		{"a malformed invitation id", "in_nope", p.ID, inv.Email, 0},
	}
	for _, tt := range sends {
		want := sendByMethods(e, tt.id)
		rt.Reset()
		got := viewOf(e.s.SendContext(e.ctx, tt.id, tt.partner, tt.email))
		if n := rt.N(); n != tt.trips {
			t.Errorf("SendContext, %s: %d round trips, want %d", tt.name, n, tt.trips)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("SendContext, %s: differs from the single reads (-want +got):\n%s", tt.name, d)
		}
	}
	if _, err := e.s.SendContext(e.ctx, missing, "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("SendContext of a missing invitation: err = %v, want ErrNotFound", err)
	}
	if sc, _ := e.s.SendContext(e.ctx, bounced.ID, "", ""); !sc.Suppressed {
		t.Error("SendContext of a suppressed address: not suppressed")
	}
	if sc, _ := e.s.SendContext(e.ctx, orphan.ID, "", ""); !errors.Is(sc.PartnerErr, ErrNotFound) {
		t.Errorf("SendContext of an orphan: PartnerErr = %v, want ErrNotFound", sc.PartnerErr)
	}

	const task = "notify:test"
	if err := e.s.RecordDelivered(e.ctx, task, "mail:sales@contoso.example", time.Hour); err != nil {
		t.Fatal(err)
	}
	notifies := []struct {
		name string
		r    NotifyRead
	}{
		{"everything", NotifyRead{PartnerID: p.ID, CustomerID: c.ID, InvitationID: inv.ID, Task: task, Relationship: true, Admins: true}},
		{"partner and customer", NotifyRead{PartnerID: p.ID, CustomerID: c.ID, Task: "notify:other"}},
		{"a missing invitation", NotifyRead{PartnerID: p.ID, CustomerID: c.ID, InvitationID: missing, Task: task}},
		{"a partner that is gone", NotifyRead{PartnerID: q.ID, CustomerID: c.ID, Task: task, Admins: true}},
		{"a missing customer", NotifyRead{PartnerID: p.ID, CustomerID: "cu_aaaaaaaaaaaaaaaa", Task: task, Relationship: true, Admins: true}},
		{"malformed ids", NotifyRead{PartnerID: "pa_x", CustomerID: "cu_x", InvitationID: "in_x", Task: task, Relationship: true, Admins: true}},
	}
	for _, tt := range notifies {
		r := tt.r
		var want NotifyContext
		want.Profile, want.PartnerErr = e.s.PartnerProfile(e.ctx, r.PartnerID)
		want.Partner, _ = e.s.Partner(e.ctx, r.PartnerID)
		want.Customer, want.CustomerErr = e.s.Customer(e.ctx, r.CustomerID)
		if r.InvitationID != "" {
			want.Invitation, want.InvitationErr = e.s.Invitation(e.ctx, r.InvitationID)
		}
		if r.Relationship {
			want.Relationship, want.RelationshipErr = e.s.Relationship(e.ctx, r.CustomerID, r.PartnerID)
		}
		if r.Admins {
			want.Admins, want.AdminsErr = e.s.Admins(e.ctx, r.CustomerID)
		}
		want.Delivered, want.DeliveredErr = e.s.Delivered(e.ctx, r.Task)
		rt.Reset()
		got := e.s.NotifyContext(e.ctx, r)
		if n := rt.N(); n != 1 {
			t.Errorf("NotifyContext, %s: %d round trips, want 1", tt.name, n)
		}
		if d := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return errText(a) == errText(b) })); d != "" {
			t.Errorf("NotifyContext, %s: differs from the single reads (-want +got):\n%s", tt.name, d)
		}
	}
	if got := e.s.NotifyContext(e.ctx, notifies[0].r); len(got.Admins) != 2 || !got.Delivered["mail:sales@contoso.example"] ||
		got.Invitation.ID != inv.ID || got.Profile.PartnerID != p.ID || got.Customer.ID != c.ID {
		t.Errorf("NotifyContext(everything) = %+v", got)
	}
}

// TestReadContexts checks SendContext and NotifyContext on one redis-server.
func TestReadContexts(t *testing.T) {
	t.Parallel()
	checkReadContexts(t, newEnv(t))
}

// TestReadContextsOnThreeNodeCluster checks them where their keys live on
// different nodes: go-redis splits each pipeline per node.
func TestReadContextsOnThreeNodeCluster(t *testing.T) {
	c := testredis.StartCluster(t, 3)
	checkReadContexts(t, newEnvOn(t, c.Nodes[0], c.Client()))
}
