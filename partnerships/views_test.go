package partnerships

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// acceptWithRead accepts inv as the web does: with the invitation it has just read.
func acceptWithRead(t *testing.T, e *env, inv Invitation, email string) Accepted {
	t.Helper()
	in := acceptInput(inv, email)
	in.Read = &inv
	a, err := e.s.AcceptDetailed(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// indexed reports whether customerID is in partnerID's customer index.
func indexed(t *testing.T, e *env, partnerID, customerID string) bool {
	t.Helper()
	err := e.rdb.ZScore(e.ctx, partnerCustomersKey(partnerID), customerID).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatal(err)
	}
	return err == nil
}

// TestAcceptDetailedOneRoundTrip: with the invitation read, an accept on one
// server is one round trip, records what Accept records, and returns the
// customer's partner ids.
func TestAcceptDetailedOneRoundTrip(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	other, _ := e.partner("northwind")
	first := acceptWithRead(t, e, e.invite(other.ID, w.admin, Reseller), w.admin) // loads the script

	trips := testredis.CountRoundTrips(e.rdb)
	e.clock.Advance(time.Second)
	a := acceptWithRead(t, e, w.inv, w.billing)
	if n := trips.N(); n != 1 {
		t.Errorf("accept with the invitation read: %d round trips, want 1", n)
	}
	if want := []string{other.ID, w.partner.ID}; !slices.Equal(a.PartnerIDs, want) {
		t.Errorf("PartnerIDs = %v, want %v", a.PartnerIDs, want)
	}
	if got, err := e.s.Acceptance(e.ctx, w.customer.ID, a.Acceptance.ID); err != nil || !cmp.Equal(a.Acceptance, got) {
		t.Errorf("stored acceptance %+v, %v; returned %+v", got, err, a.Acceptance)
	}
	rel, err := e.s.Relationship(e.ctx, w.customer.ID, w.partner.ID)
	if err != nil || rel.AcceptanceID != a.Acceptance.ID || !slices.Equal(rel.Types, a.Relationship.Types) || !rel.Since.Equal(a.Relationship.Since) {
		t.Errorf("stored relationship %+v, %v; returned %+v", rel, err, a.Relationship)
	}
	if !indexed(t, e, w.partner.ID, w.customer.ID) || !indexed(t, e, other.ID, w.customer.ID) {
		t.Error("the partners' customer index lacks the customer")
	}
	if first.Acceptance.UserRole != GlobalAdmin || a.Acceptance.UserRole != BillingAdmin {
		t.Errorf("roles %s, %s", first.Acceptance.UserRole, a.Acceptance.UserRole)
	}

	// A refusal in the same round trip takes back the index entry it wrote.
	c2 := e.customer("adatum", "admin@adatum.example")
	inv2 := e.invite(w.partner.ID, "admin@adatum.example", Advisor)
	in := acceptInput(inv2, "admin@adatum.example")
	in.TokenID = "00000000000000000000000000000000"
	in.Read = &inv2
	if _, err := e.s.AcceptDetailed(e.ctx, in); !errors.Is(err, ErrTokenSuperseded) {
		t.Fatalf("superseded token: %v", err)
	}
	if indexed(t, e, w.partner.ID, c2.ID) {
		t.Error("a refused accept left its index entry")
	}
}

// TestAcceptDetailedStaleRead: a caller's copy naming another partner or duration
// than the stored invitation's is not trusted: Accept reads them and accepts the
// stored invitation, leaving no index entry for the wrong partner.
func TestAcceptDetailedStaleRead(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	wrong, _ := e.partner("wrong")
	for typ, mutate := range map[RelationshipType]func(*Invitation){
		Advisor:        func(inv *Invitation) { inv.PartnerID = wrong.ID },
		LineOfBusiness: func(inv *Invitation) { inv.Duration = 30 * 24 * time.Hour },
	} {
		inv := e.invite(w.partner.ID, w.admin, typ)
		read := inv
		mutate(&read)
		in := acceptInput(inv, w.admin)
		in.Read = &read
		a, err := e.s.AcceptDetailed(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.Relationship.PartnerID != w.partner.ID || !a.Relationship.EndsAt.IsZero() {
			t.Errorf("relationship %+v", a.Relationship)
		}
	}
	if indexed(t, e, wrong.ID, w.customer.ID) {
		t.Error("the wrong partner's index lists the customer")
	}
}

// TestAcceptDetailedNoScript: after Redis forgot the scripts (a restart, SCRIPT
// FLUSH) the pipelined accept loads its script and still writes the index entry.
func TestAcceptDetailedNoScript(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	if err := e.rdb.ScriptFlush(e.ctx).Err(); err != nil {
		t.Fatal(err)
	}
	a := acceptWithRead(t, e, w.inv, w.admin)
	if a.Relationship.PartnerID != w.partner.ID || !indexed(t, e, w.partner.ID, w.customer.ID) {
		t.Errorf("accepted %+v; indexed %v", a.Relationship, indexed(t, e, w.partner.ID, w.customer.ID))
	}
	// And the session script after it, in ListAfterAccept.
	if err := e.rdb.ScriptFlush(e.ctx).Err(); err != nil {
		t.Fatal(err)
	}
	after, err := e.s.ListAfterAccept(e.ctx, a, true)
	if err != nil || after.SessionErr != nil {
		t.Fatalf("ListAfterAccept: %v, session %v", err, after.SessionErr)
	}
	if _, err := e.s.Session(e.ctx, after.Session.ID); err != nil {
		t.Errorf("session: %v", err)
	}
}

// TestAcceptDetailedTimeBound: a time-bound relationship's due entries are
// written before its script, as by Accept.
func TestAcceptDetailedTimeBound(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{PartnerID: w.partner.ID, Email: w.admin, Type: Advisor,
		Locale: "en", TTL: time.Hour, Duration: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	a := acceptWithRead(t, e, inv, w.admin)
	if !a.Relationship.EndsAt.Equal(e.clock.Now().Truncate(time.Millisecond).Add(30 * 24 * time.Hour)) {
		t.Errorf("EndsAt %v", a.Relationship.EndsAt)
	}
	member := endMember(w.customer.ID, w.partner.ID, a.Relationship.EndsAt)
	if err := e.rdb.ZScore(e.ctx, dueKey(), member).Err(); err != nil {
		t.Errorf("due entry %s: %v", member, err)
	}
}

// TestListAfterAccept: the page after an accept reads the partner list, with
// partners and acceptances, and starts the admin's session: one round trip, and
// one more for the acceptances of the customer's other relationships.
func TestListAfterAccept(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	other, _ := e.partner("northwind")
	first := acceptWithRead(t, e, e.invite(other.ID, w.admin, Reseller), w.admin)
	e.clock.Advance(time.Second)
	if _, err := e.s.ListAfterAccept(e.ctx, first, true); err != nil { // loads the session script
		t.Fatal(err)
	}
	a := acceptWithRead(t, e, w.inv, w.billing)

	trips := testredis.CountRoundTrips(e.rdb)
	after, err := e.s.ListAfterAccept(e.ctx, a, true)
	if err != nil || after.SessionErr != nil {
		t.Fatalf("ListAfterAccept: %v, session %v", err, after.SessionErr)
	}
	if n := trips.N(); n != 2 {
		t.Errorf("%d round trips, want 2", n)
	}
	sess, err := e.s.Session(e.ctx, after.Session.ID)
	if err != nil || sess.CustomerID != w.customer.ID || sess.Email != w.billing || sess.Role != BillingAdmin {
		t.Errorf("session %+v, %v", sess, err)
	}
	_, want, err := e.s.CustomerPartners(e.ctx, w.customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, after.Views); diff != "" {
		t.Errorf("views (-CustomerPartners +ListAfterAccept):\n%s", diff)
	}
	if len(after.Views) != 2 || after.Views[0].Acceptance.ID != first.Acceptance.ID || after.Views[1].Partner.Name != w.partner.Name {
		t.Errorf("views %+v", after.Views)
	}

	// A customer's first partner: one round trip.
	c2 := e.customer("adatum", "admin@adatum.example")
	a2 := acceptWithRead(t, e, e.invite(w.partner.ID, "admin@adatum.example", Advisor), "admin@adatum.example")
	trips.Reset()
	after, err = e.s.ListAfterAccept(e.ctx, a2, false)
	if err != nil || after.Session.ID != "" {
		t.Fatalf("ListAfterAccept: %v, session %+v", err, after.Session)
	}
	if n := trips.N(); n != 1 {
		t.Errorf("first partner: %d round trips, want 1", n)
	}
	if len(after.Views) != 1 || after.Views[0].Relationship.CustomerID != c2.ID || after.Views[0].Partner.ID != w.partner.ID {
		t.Errorf("views %+v", after.Views)
	}
}

// TestCustomerPartners: the portal's partner list matches Relationships, Partner
// and Acceptance read one by one, in three round trips.
func TestCustomerPartners(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	for _, name := range []string{"northwind", "adatum", "litware"} {
		p, _ := e.partner(name)
		e.clock.Advance(time.Second)
		if _, _, err := e.s.Accept(e.ctx, acceptInput(e.invite(p.ID, w.admin, Reseller), w.admin)); err != nil {
			t.Fatal(err)
		}
	}
	rels, err := e.s.Relationships(e.ctx, w.customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	var want []RelationshipView
	for _, rel := range rels {
		p, err := e.s.Partner(e.ctx, rel.PartnerID)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := e.s.Acceptance(e.ctx, w.customer.ID, rel.AcceptanceID)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, RelationshipView{Relationship: rel, Partner: p, Acceptance: acc})
	}
	trips := testredis.CountRoundTrips(e.rdb)
	c, got, err := e.s.CustomerPartners(e.ctx, w.customer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := trips.N(); n != 3 {
		t.Errorf("%d round trips, want 3", n)
	}
	if c != w.customer {
		t.Errorf("customer %+v, want %+v", c, w.customer)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-one by one +CustomerPartners):\n%s", diff)
	}
	// A customer without partners: no relationship reads at all.
	c2 := e.customer("adatum", "admin@adatum.example")
	if _, got, err := e.s.CustomerPartners(e.ctx, c2.ID); err != nil || len(got) != 0 {
		t.Errorf("no partners: %+v, %v", got, err)
	}
	for _, id := range []string{"cu_aaaaaaaaaaaaaaaa", "nonsense"} {
		if _, _, err := e.s.CustomerPartners(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("CustomerPartners(%s): %v, want ErrNotFound", id, err)
		}
	}
}

// TestInvitationAndCustomer reads both in one round trip, with Invitation's errors.
func TestInvitationAndCustomer(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	trips := testredis.CountRoundTrips(e.rdb)
	inv, c, err := e.s.InvitationAndCustomer(e.ctx, w.inv.ID)
	if err != nil || !cmp.Equal(inv, w.inv) || c != w.customer {
		t.Errorf("= %+v, %+v, %v", inv, c, err)
	}
	if n := trips.N(); n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
	for _, id := range []string{"nonsense", "in_" + w.customer.ID[3:] + "_aaaaaaaaaaaaaaaa"} {
		if inv, _, err := e.s.InvitationAndCustomer(e.ctx, id); !errors.Is(err, ErrNotFound) || inv.ID != "" {
			t.Errorf("%s: %+v, %v; want ErrNotFound", id, inv, err)
		}
	}
	if err := e.rdb.Del(e.ctx, customerKey(w.customer.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	if inv, _, err := e.s.InvitationAndCustomer(e.ctx, w.inv.ID); !errors.Is(err, ErrNotFound) || inv.ID != w.inv.ID {
		t.Errorf("customer gone: %+v, %v; want the invitation and ErrNotFound", inv, err)
	}
}

// TestPartnerAndUser reads the partner and the customer's own user in one round trip.
func TestPartnerAndUser(t *testing.T) {
	e := newEnv(t)
	w := e.world()
	other := e.customer("adatum", "admin@adatum.example")
	trips := testredis.CountRoundTrips(e.rdb)
	p, u, err := e.s.PartnerAndUser(e.ctx, w.partner.ID, w.customer.ID, "Billing@Fabrikam.example")
	if err != nil || p != w.partner || u.Email != w.billing || u.Role != BillingAdmin || u.CustomerID != w.customer.ID {
		t.Errorf("= %+v, %+v, %v", p, u, err)
	}
	if n := trips.N(); n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
	for _, tc := range []struct{ customer, email string }{
		{w.customer.ID, "nobody@fabrikam.example"},
		{other.ID, w.admin}, // a user of another customer
		{w.customer.ID, "not an email"},
	} {
		if p, u, err := e.s.PartnerAndUser(e.ctx, w.partner.ID, tc.customer, tc.email); err != nil || p != w.partner || u != (CustomerUser{}) {
			t.Errorf("%s of %s: %+v, %+v, %v; want the partner and no user", tc.email, tc.customer, p, u, err)
		}
	}
	if _, _, err := e.s.PartnerAndUser(e.ctx, "pa_aaaaaaaaaaaaaaaa", w.customer.ID, w.admin); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown partner: %v", err)
	}
}

// TestPageReadsOnRedisCluster: the pipelined reads and the accept (there the
// index entry has its own round trip before the script) on a Redis Cluster of
// three masters, where the customer's, the partners' and the portal's slots
// live on different nodes.
func TestPageReadsOnRedisCluster(t *testing.T) {
	cl := testredis.StartCluster(t, 3)
	e := newEnvOn(t, nil, cl.Client())
	w := e.world()
	other, _ := e.partner("northwind")
	acceptWithRead(t, e, e.invite(other.ID, w.admin, Reseller), w.admin)
	inv, c, err := e.s.InvitationAndCustomer(e.ctx, w.inv.ID)
	if err != nil || c.ID != w.customer.ID {
		t.Fatalf("InvitationAndCustomer: %+v, %v", c, err)
	}
	if _, u, err := e.s.PartnerAndUser(e.ctx, inv.PartnerID, c.ID, inv.Email); err != nil || u.Role != GlobalAdmin {
		t.Fatalf("PartnerAndUser: %+v, %v", u, err)
	}
	a := acceptWithRead(t, e, inv, w.billing)
	if !indexed(t, e, w.partner.ID, w.customer.ID) {
		t.Error("index entry missing")
	}
	after, err := e.s.ListAfterAccept(e.ctx, a, true)
	if err != nil || after.SessionErr != nil || len(after.Views) != 2 || after.Views[0].Acceptance.ID == "" {
		t.Fatalf("ListAfterAccept: %+v, %v", after, err)
	}
	if _, views, err := e.s.CustomerPartners(e.ctx, w.customer.ID); err != nil || !cmp.Equal(views, after.Views) {
		t.Errorf("CustomerPartners: %+v, %v", views, err)
	}
	for _, call := range e.hooks.recorded() {
		for _, k := range call.keys {
			if keySlot(k) != keySlot(call.keys[0]) {
				t.Errorf("script %s: keys %v of several slots", call.script, call.keys)
			}
		}
	}
}
