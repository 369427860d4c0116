package partnerships

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateCustomer(t *testing.T) {
	e := newEnv(t)
	c, err := e.s.CreateCustomer(e.ctx, " Fabrikam ", "Fabrikam.Example.", CustomerUser{
		CustomerID: "ignored", Email: "Admin@Fabrikam.Example", Name: "Ada", Role: BillingAdmin,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Customer{ID: c.ID, Name: "Fabrikam", Domain: "fabrikam.example", CreatedAt: e.clock.Now().Truncate(1e6)}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("CreateCustomer (-want +got):\n%s", diff)
	}
	if !validCustomerID(c.ID) {
		t.Errorf("customer id %q: want cu_ + 16 base32 chars", c.ID)
	}
	got, err := e.s.Customer(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Customer (-created +read):\n%s", diff)
	}

	admin := CustomerUser{CustomerID: c.ID, Email: "admin@fabrikam.example", Name: "Ada", Role: BillingAdmin}
	u, err := e.s.UserByEmail(e.ctx, "ADMIN@fabrikam.example")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(admin, u); diff != "" {
		t.Errorf("UserByEmail (-want +got):\n%s", diff)
	}

	e.clock.Advance(1e9)
	d, err := e.s.CreateCustomer(e.ctx, "Northwind", "", CustomerUser{Email: "it@northwind.example", Role: GlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	all, err := e.s.Customers(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Customer{c, d}, all); diff != "" {
		t.Errorf("Customers (-want +got):\n%s", diff)
	}
}

func TestCreateCustomerInvalid(t *testing.T) {
	e := newEnv(t)
	e.customer("fabrikam", "taken@fabrikam.example")
	before := snapshot(t, e.rdb)
	ok := CustomerUser{Email: "a@b.example", Role: GlobalAdmin}
	for _, tc := range []struct {
		name, customer, domain string
		admin                  CustomerUser
		want                   error
	}{
		{"empty name", "", "", ok, ErrInvalidInput},
		{"long name", strings.Repeat("x", 201), "", ok, ErrInvalidInput},
		{"control char", "a\tb", "", ok, ErrInvalidInput},
		{"bad domain", "Fabrikam", "fab_rikam.example", ok, ErrInvalidInput},
		{"bad domain label", "Fabrikam", "-fab.example", ok, ErrInvalidInput},
		{"empty domain label", "Fabrikam", "fab..example", ok, ErrInvalidInput},
		{"bad email", "Fabrikam", "", CustomerUser{Email: "nope", Role: GlobalAdmin}, ErrInvalidInput},
		{"bad user name", "Fabrikam", "", CustomerUser{Email: "a@b.example", Name: "x\x00", Role: GlobalAdmin}, ErrInvalidInput},
		{"helpdesk admin", "Fabrikam", "", CustomerUser{Email: "a@b.example", Role: HelpdeskAdmin}, ErrInvalidRole},
		{"plain user", "Fabrikam", "", CustomerUser{Email: "a@b.example", Role: User}, ErrInvalidRole},
		{"unknown role", "Fabrikam", "", CustomerUser{Email: "a@b.example", Role: "root"}, ErrInvalidRole},
		{"no role", "Fabrikam", "", CustomerUser{Email: "a@b.example"}, ErrInvalidRole},
		{"email taken", "Fabrikam", "", CustomerUser{Email: "Taken@fabrikam.example", Role: GlobalAdmin}, ErrAlreadyExists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateCustomer(e.ctx, tc.customer, tc.domain, tc.admin)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	unchanged(t, e.rdb, before)
}

// A claim by another customer between CreateCustomer's check and its claim: the new
// customer is dropped again and nothing is left behind.
func TestCreateCustomerLosesClaimRace(t *testing.T) {
	e := newEnv(t)
	const email = "race@fabrikam.example"
	rival := "cu_aaaaaaaaaaaaaaaa"
	e.hooks.setBefore("create_customer", func() {
		if err := e.rdb.HSet(e.ctx, emailsKey(), email, rival).Err(); err != nil {
			t.Error(err)
		}
	})
	before := snapshot(t, e.rdb)
	_, err := e.s.CreateCustomer(e.ctx, "Fabrikam", "", CustomerUser{Email: email, Role: GlobalAdmin})
	if !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("err = %v, want ErrAlreadyExists", err)
	}
	after := snapshot(t, e.rdb)
	delete(after, emailsKey()) // the rival's claim
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("a customer that lost its claim left data behind (-before +after):\n%s", diff)
	}
}

// A crash between the two steps of CreateCustomer leaves a customer nobody can reach:
// not listed, its admin's email resolves to no one and is free for a retry.
func TestCreateCustomerCrashBetweenSteps(t *testing.T) {
	e := newEnv(t, "--appendonly", "yes", "--appendfsync", "always")
	e.hooks.setBefore("claim_emails", e.srv.Kill)
	if _, err := e.s.CreateCustomer(e.ctx, "Fabrikam", "", CustomerUser{Email: "admin@fabrikam.example", Role: GlobalAdmin}); err == nil {
		t.Fatal("CreateCustomer with the server killed before the claim: no error")
	}
	e.hooks.setBefore("claim_emails", nil)
	e.srv.Restart()

	if n := len(scanKeys(t, e, "pl:{cu_*}:customer")); n != 1 {
		t.Fatalf("%d customer hashes after the crash, want the 1 orphan", n)
	}
	if all, err := e.s.Customers(e.ctx); err != nil || len(all) != 0 {
		t.Errorf("Customers after the crash = %v, %v; want none", all, err)
	}
	if _, err := e.s.UserByEmail(e.ctx, "admin@fabrikam.example"); !errors.Is(err, ErrUnknownRecipient) {
		t.Errorf("UserByEmail after the crash: err = %v, want ErrUnknownRecipient", err)
	}
	c := e.customer("fabrikam", "admin@fabrikam.example")
	if all, err := e.s.Customers(e.ctx); err != nil || len(all) != 1 || all[0].ID != c.ID {
		t.Errorf("Customers after the retry = %v, %v; want just %s", all, err, c.ID)
	}
}

func scanKeys(tb testing.TB, e *env, pattern string) []string {
	tb.Helper()
	keys, err := e.rdb.Keys(e.ctx, pattern).Result()
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

func TestCustomerNotFound(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"", "cu_aaaaaaaaaaaaaaaa", "cu_{aaaaaaaaaaaaaa", "pa_aaaaaaaaaaaaaaaa"} {
		if _, err := e.s.Customer(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Customer(%q): err = %v, want ErrNotFound", id, err)
		}
		if _, err := e.s.CustomerUsers(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("CustomerUsers(%q): err = %v, want ErrNotFound", id, err)
		}
		if _, err := e.s.Admins(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Admins(%q): err = %v, want ErrNotFound", id, err)
		}
	}
}

func TestCustomerUsers(t *testing.T) {
	e := newEnv(t)
	c := e.customer("fabrikam", "admin@fabrikam.example")
	d := e.customer("northwind", "admin@northwind.example")
	e.user(c.ID, "Billing@Fabrikam.example", BillingAdmin)
	e.user(c.ID, "helpdesk@fabrikam.example", HelpdeskAdmin)
	e.user(c.ID, "bob@fabrikam.example", User)

	admin := CustomerUser{CustomerID: c.ID, Email: "admin@fabrikam.example", Name: "Admin of fabrikam", Role: GlobalAdmin}
	billing := CustomerUser{CustomerID: c.ID, Email: "billing@fabrikam.example", Name: "User Billing@Fabrikam.example", Role: BillingAdmin}
	bob := CustomerUser{CustomerID: c.ID, Email: "bob@fabrikam.example", Name: "User bob@fabrikam.example", Role: User}
	helpdesk := CustomerUser{CustomerID: c.ID, Email: "helpdesk@fabrikam.example", Name: "User helpdesk@fabrikam.example", Role: HelpdeskAdmin}

	users, err := e.s.CustomerUsers(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]CustomerUser{admin, billing, bob, helpdesk}, users); diff != "" {
		t.Errorf("CustomerUsers (-want +got):\n%s", diff)
	}
	admins, err := e.s.Admins(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]CustomerUser{admin, billing}, admins); diff != "" {
		t.Errorf("Admins (-want +got):\n%s", diff)
	}
	u, err := e.s.UserByEmail(e.ctx, "bob@fabrikam.example")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(bob, u); diff != "" {
		t.Errorf("UserByEmail (-want +got):\n%s", diff)
	}

	before := snapshot(t, e.rdb)
	for _, tc := range []struct {
		name string
		u    CustomerUser
		want error
	}{
		{"same customer again", CustomerUser{CustomerID: c.ID, Email: "BOB@fabrikam.example", Role: User}, ErrAlreadyExists},
		{"other customer's user", CustomerUser{CustomerID: d.ID, Email: "bob@fabrikam.example", Role: User}, ErrAlreadyExists},
		{"unknown customer", CustomerUser{CustomerID: "cu_aaaaaaaaaaaaaaaa", Email: "new@fabrikam.example", Role: User}, ErrNotFound},
		{"malformed customer", CustomerUser{CustomerID: "fabrikam", Email: "new@fabrikam.example", Role: User}, ErrNotFound},
		{"bad role", CustomerUser{CustomerID: c.ID, Email: "new@fabrikam.example", Role: "owner"}, ErrInvalidRole},
		{"bad email", CustomerUser{CustomerID: c.ID, Email: "new", Role: User}, ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.s.AddCustomerUser(e.ctx, tc.u); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	unchanged(t, e.rdb, before)

	for _, email := range []string{"nobody@fabrikam.example", "nobody@nowhere.example"} {
		if _, err := e.s.UserByEmail(e.ctx, email); !errors.Is(err, ErrUnknownRecipient) {
			t.Errorf("UserByEmail(%s): err = %v, want ErrUnknownRecipient", email, err)
		}
	}
	if _, err := e.s.UserByEmail(e.ctx, "not an email"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("UserByEmail(not an email): err = %v, want ErrInvalidInput", err)
	}
}

// When the user cannot be written after the claim, the claim is released.
func TestAddCustomerUserReleasesClaim(t *testing.T) {
	e := newEnv(t)
	c := e.customer("fabrikam", "admin@fabrikam.example")
	e.hooks.setBefore("add_user", func() {
		// The customer disappears between the claim and the write.
		if err := e.rdb.Rename(e.ctx, customerKey(c.ID), customerKey(c.ID)+":gone").Err(); err != nil {
			t.Error(err)
		}
	})
	err := e.s.AddCustomerUser(e.ctx, CustomerUser{CustomerID: c.ID, Email: "new@fabrikam.example", Role: User})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if n, err := e.rdb.HExists(e.ctx, emailsKey(), "new@fabrikam.example").Result(); err != nil || n {
		t.Errorf("claim on new@fabrikam.example still there after the failed write (%v)", err)
	}
}

// A crash between AddCustomerUser's claim and its write: the email resolves to no
// one, no other customer can take it, and repeating the call completes it.
func TestAddCustomerUserCrashBetweenSteps(t *testing.T) {
	e := newEnv(t, "--appendonly", "yes", "--appendfsync", "always")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	d := e.customer("northwind", "admin@northwind.example")
	u := CustomerUser{CustomerID: c.ID, Email: "new@fabrikam.example", Role: BillingAdmin}
	e.hooks.setBefore("add_user", e.srv.Kill)
	if err := e.s.AddCustomerUser(e.ctx, u); err == nil {
		t.Fatal("AddCustomerUser with the server killed before the write: no error")
	}
	e.hooks.setBefore("add_user", nil)
	e.srv.Restart()

	if owner, err := e.rdb.HGet(e.ctx, emailsKey(), u.Email).Result(); err != nil || owner != c.ID {
		t.Fatalf("claim after the crash = %q, %v; want %s", owner, err, c.ID)
	}
	if _, err := e.s.UserByEmail(e.ctx, u.Email); !errors.Is(err, ErrUnknownRecipient) {
		t.Errorf("UserByEmail of a claimed but unwritten user: err = %v, want ErrUnknownRecipient", err)
	}
	if err := e.s.AddCustomerUser(e.ctx, CustomerUser{CustomerID: d.ID, Email: u.Email, Role: User}); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("another customer taking the claimed email: err = %v, want ErrAlreadyExists", err)
	}
	if err := e.s.AddCustomerUser(e.ctx, u); err != nil {
		t.Fatalf("repeating AddCustomerUser: %v", err)
	}
	got, err := e.s.UserByEmail(e.ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got); diff != "" {
		t.Errorf("UserByEmail after the repeat (-want +got):\n%s", diff)
	}
}
