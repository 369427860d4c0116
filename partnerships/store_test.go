package partnerships

import (
	"context"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
)

// fakeClock is the store's clock in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 9, 30, 15, 123456789, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one test's store on its own redis-server.
type env struct {
	tb    testing.TB
	ctx   context.Context
	srv   *testredis.Server
	rdb   redis.UniversalClient
	s     *Store
	clock *fakeClock
	hooks *hooks
}

// hooks sees every script run: it records the keys and can run a test's action
// just before a named script (to simulate a concurrent writer or a crash).
type hooks struct {
	mu     sync.Mutex
	calls  []scriptCall
	before map[string]func()
}

type scriptCall struct {
	script string
	keys   []string
}

func (h *hooks) observe(name string, keys []string) {
	h.mu.Lock()
	h.calls = append(h.calls, scriptCall{name, append([]string(nil), keys...)})
	f := h.before[name]
	h.mu.Unlock()
	if f != nil {
		f()
	}
}

// setBefore makes f run before the next runs of script (nil removes it).
func (h *hooks) setBefore(script string, f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.before == nil {
		h.before = map[string]func(){}
	}
	h.before[script] = f
}

func (h *hooks) recorded() []scriptCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]scriptCall(nil), h.calls...)
}

func newEnv(tb testing.TB, args ...string) *env {
	tb.Helper()
	srv := testredis.Start(tb, args...)
	return newEnvOn(tb, srv, srv.Client())
}

func newEnvOn(tb testing.TB, srv *testredis.Server, rdb redis.UniversalClient) *env {
	e := &env{tb: tb, ctx: context.Background(), srv: srv, rdb: rdb, clock: newFakeClock(), hooks: &hooks{}}
	e.s = NewStore(rdb, WithClock(e.clock.Now), withObserver(e.hooks.observe))
	return e
}

// withObserver lets a test see every script run.
func withObserver(f func(script string, keys []string)) Option {
	return func(s *Store) { s.observe = f }
}

func (e *env) partner(name string) (Partner, string) {
	e.tb.Helper()
	p, key, err := e.s.CreatePartner(e.ctx, name, "Sales@"+name+".example")
	if err != nil {
		e.tb.Fatalf("CreatePartner(%q): %v", name, err)
	}
	return p, key
}

func (e *env) customer(name, adminEmail string) Customer {
	e.tb.Helper()
	c, err := e.s.CreateCustomer(e.ctx, name, name+".example", CustomerUser{Email: adminEmail, Name: "Admin of " + name, Role: GlobalAdmin})
	if err != nil {
		e.tb.Fatalf("CreateCustomer(%q): %v", name, err)
	}
	return c
}

func (e *env) user(customerID, email string, role Role) CustomerUser {
	e.tb.Helper()
	u := CustomerUser{CustomerID: customerID, Email: email, Name: "User " + email, Role: role}
	if err := e.s.AddCustomerUser(e.ctx, u); err != nil {
		e.tb.Fatalf("AddCustomerUser(%s): %v", email, err)
	}
	return u
}

func (e *env) invite(partnerID, email string, t RelationshipType) Invitation {
	e.tb.Helper()
	inv, err := e.s.CreateInvitation(e.ctx, NewInvitation{
		PartnerID: partnerID, Email: email, Type: t, Locale: "de", Message: "Hallo!", TTL: 14 * 24 * time.Hour,
	})
	if err != nil {
		e.tb.Fatalf("CreateInvitation(%s, %s): %v", email, t, err)
	}
	return inv
}

// world is a typical setup: one partner, one customer with a global admin, a
// billing admin and a helpdesk admin, and a pending invitation.
type world struct {
	partner  Partner
	customer Customer
	admin    string // global admin
	billing  string // billing admin
	helpdesk string // may not accept
	inv      Invitation
}

func (e *env) world() world {
	e.tb.Helper()
	p, _ := e.partner("contoso")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	e.user(c.ID, "billing@fabrikam.example", BillingAdmin)
	e.user(c.ID, "helpdesk@fabrikam.example", HelpdeskAdmin)
	inv := e.invite(p.ID, "admin@fabrikam.example", DelegatedAdmin)
	return world{p, c, "admin@fabrikam.example", "billing@fabrikam.example", "helpdesk@fabrikam.example", inv}
}

var testAgreement = AgreementRef{
	Version: "2026-01",
	Locale:  "de",
	SHA256:  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}

func acceptInput(inv Invitation, email string) AcceptInput {
	return AcceptInput{
		InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: email,
		Agreement: testAgreement, IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (test)",
	}
}

// snapshot reads every key with its type and value, to prove a refused change
// changed nothing.
func snapshot(tb testing.TB, rdb redis.UniversalClient) map[string]any {
	tb.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(keys)
	out := map[string]any{}
	for _, k := range keys {
		typ, err := rdb.Type(ctx, k).Result()
		if err != nil {
			tb.Fatal(err)
		}
		var v any
		switch typ {
		case "hash":
			v, err = rdb.HGetAll(ctx, k).Result()
		case "zset":
			v, err = rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "stream":
			v, err = rdb.XRange(ctx, k, "-", "+").Result()
		case "set":
			var m []string
			m, err = rdb.SMembers(ctx, k).Result()
			sort.Strings(m)
			v = m
		case "string":
			v, err = rdb.Get(ctx, k).Result()
		default:
			tb.Fatalf("snapshot: key %s has unexpected type %s", k, typ)
		}
		if err != nil {
			tb.Fatal(err)
		}
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil {
			tb.Fatal(err)
		}
		out[k] = map[string]any{"type": typ, "value": v, "pttl": ttl}
	}
	return out
}

// unchanged fails the test if the database differs from before.
func unchanged(tb testing.TB, rdb redis.UniversalClient, before map[string]any) {
	tb.Helper()
	if diff := cmp.Diff(before, snapshot(tb, rdb)); diff != "" {
		tb.Errorf("a refused change changed the database (-before +after):\n%s", diff)
	}
}

// parallel runs t in parallel with others, each on its own redis-server, unless the
// tests share one external server (PARTNERLINK_TEST_REDIS_URL, see testredis).
func parallel(t *testing.T) {
	if os.Getenv("PARTNERLINK_TEST_REDIS_URL") == "" {
		t.Parallel()
	}
}

func TestPing(t *testing.T) {
	e := newEnv(t)
	if err := e.s.Ping(e.ctx); err != nil {
		t.Fatal(err)
	}
	if e.srv.Dir == "" {
		return // an external server: not ours to kill
	}
	e.srv.Kill()
	if err := e.s.Ping(e.ctx); err == nil {
		t.Fatal("Ping after the server died: no error")
	}
}
