package partnerships

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreatePartnerIndexesContact(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	e.clock.Advance(time.Second)
	// A second partner with the same contact: the first keeps the index entry.
	if _, _, err := e.s.CreatePartner(e.ctx, "Contoso Two", "sales@contoso.example"); err != nil {
		t.Fatal(err)
	}
	stored, err := e.rdb.HGetAll(e.ctx, contactsKey()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"sales@contoso.example": p.ID}, stored); diff != "" {
		t.Errorf("contact index (-want +got):\n%s", diff)
	}
}

func TestPartnerByContact(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	q, _ := e.partner("northwind")
	for _, email := range []string{"sales@contoso.example", "Sales@Contoso.Example", " sales@contoso.example "} {
		if got, err := e.s.PartnerByContact(e.ctx, email); err != nil || got != p {
			t.Errorf("PartnerByContact(%q) = %v, %v; want %v", email, got, err, p)
		}
	}
	for _, email := range []string{"other@contoso.example", "", "Dana <sales@contoso.example>", "x"} {
		if _, err := e.s.PartnerByContact(e.ctx, email); !errors.Is(err, ErrNotFound) {
			t.Errorf("PartnerByContact(%q): err = %v, want ErrNotFound", email, err)
		}
	}

	// A partner created before the index existed is found by the fallback.
	if err := e.rdb.HDel(e.ctx, contactsKey(), "sales@northwind.example").Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.PartnerByContact(e.ctx, "sales@northwind.example"); err != nil || got != q {
		t.Errorf("PartnerByContact without index = %v, %v; want %v", got, err, q)
	}
	// A stale index entry (the partner's contact changed) is not believed.
	if err := e.rdb.HSet(e.ctx, contactsKey(), "old@contoso.example", p.ID).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.PartnerByContact(e.ctx, "old@contoso.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("stale index entry: err = %v, want ErrNotFound", err)
	}
}

func TestRequestSecret(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	q, _ := e.partner("northwind")
	secret, err := e.s.RequestSecret(e.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !ValidRequestSecret(secret) {
		t.Fatalf("secret %q: want %d lowercase base32 chars", secret, RequestSecretLen)
	}
	for _, s := range []string{secret, strings.ToUpper(secret)} {
		if got, err := e.s.PartnerByRequestSecret(e.ctx, s); err != nil || got != p {
			t.Errorf("PartnerByRequestSecret(%q) = %v, %v; want %v", s, got, err, p)
		}
	}
	for k, v := range snapshot(t, e.rdb) {
		if strings.Contains(k, secret) || strings.Contains(fmt.Sprint(v), secret) {
			t.Errorf("the secret appears in Redis under %s", k)
		}
	}

	// A new secret retires the old one.
	again, err := e.s.RequestSecret(e.ctx, p.ID)
	if err != nil || again == secret {
		t.Fatalf("second RequestSecret = %q, %v; want a new secret", again, err)
	}
	if _, err := e.s.PartnerByRequestSecret(e.ctx, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("retired secret: err = %v, want ErrNotFound", err)
	}
	if got, err := e.s.PartnerByRequestSecret(e.ctx, again); err != nil || got != p {
		t.Errorf("PartnerByRequestSecret(new) = %v, %v", got, err)
	}
	other, err := e.s.RequestSecret(e.ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.s.PartnerByRequestSecret(e.ctx, other); err != nil || got != q {
		t.Errorf("PartnerByRequestSecret(other) = %v, %v", got, err)
	}
	if n, err := e.rdb.HLen(e.ctx, requestSecretsKey()).Result(); err != nil || n != 2 {
		t.Errorf("secret index has %d entries, %v; want 2", n, err)
	}

	for _, s := range []string{"", "short", strings.Repeat("a", RequestSecretLen), strings.Repeat("1", RequestSecretLen), secret + "a"} {
		if _, err := e.s.PartnerByRequestSecret(e.ctx, s); !errors.Is(err, ErrNotFound) {
			t.Errorf("PartnerByRequestSecret(%q): err = %v, want ErrNotFound", s, err)
		}
	}
	for _, id := range []string{"pa_aaaaaaaaaaaaaaaa", "nope"} {
		if _, err := e.s.RequestSecret(e.ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("RequestSecret(%q): err = %v, want ErrNotFound", id, err)
		}
	}
}

func TestCreateInvitationIdempotent(t *testing.T) {
	e := newEnv(t)
	p, _ := e.partner("contoso")
	q, _ := e.partner("northwind")
	c := e.customer("fabrikam", "admin@fabrikam.example")
	in := NewInvitation{PartnerID: p.ID, Email: "admin@fabrikam.example", Type: Advisor, Locale: "en",
		TTL: 24 * time.Hour, IdempotencyKey: "<mail-1@contoso.example>/1"}

	first, err := e.s.CreateInvitation(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	second, err := e.s.CreateInvitation(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second CreateInvitation with the same key (-first +second):\n%s", diff)
	}
	// The same key of another partner is another key.
	in.PartnerID = q.ID
	third, err := e.s.CreateInvitation(e.ctx, in)
	if err != nil || third.ID == first.ID {
		t.Fatalf("other partner's CreateInvitation = %s, %v; want a new invitation", third.ID, err)
	}
	// Without a key every call creates one.
	in.IdempotencyKey = ""
	if _, err := e.s.CreateInvitation(e.ctx, in); err != nil {
		t.Fatal(err)
	}

	invs, err := e.s.InvitationsByCustomer(e.ctx, c.ID)
	if err != nil || len(invs) != 3 {
		t.Errorf("InvitationsByCustomer = %d invitations, %v; want 3", len(invs), err)
	}
	events, err := e.s.Audit(e.ctx, c.ID, 10)
	if err != nil || len(events) != 3 {
		t.Errorf("Audit = %d events, %v; want 3", len(events), err)
	}
	key := idempotencyKey(c.ID, idempotencyDigest(p.ID, "<mail-1@contoso.example>/1"))
	if ttl, err := e.rdb.PTTL(e.ctx, key).Result(); err != nil || ttl <= IdempotencyTTL-time.Minute || ttl > IdempotencyTTL {
		t.Errorf("PTTL(%s) = %v, %v; want about %v", key, ttl, err, IdempotencyTTL)
	}

	in.IdempotencyKey = strings.Repeat("k", maxIdempotencyKeyBytes+1)
	if _, err := e.s.CreateInvitation(e.ctx, in); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("long idempotency key: err = %v, want ErrInvalidInput", err)
	}
}
