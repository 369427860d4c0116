package partnerships

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// TestMiniredis runs the whole invitation path on the embedded Redis of
// `partnerlink dev`, which knows no script flags.
func TestMiniredis(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })

	s := NewStore(rdb, WithoutScriptFlags())
	p, _, err := s.CreatePartner(ctx, "Contoso", "partners@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCustomer(ctx, "Fabrikam", "fabrikam.example", CustomerUser{Email: "ada@fabrikam.example", Role: GlobalAdmin})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := s.CreateInvitation(ctx, NewInvitation{PartnerID: p.ID, Email: "ada@fabrikam.example", Type: Advisor, Locale: "en", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.MarkSent(ctx, inv.ID, "<invitation."+inv.ID+"@example.com>"); err != nil {
		t.Fatal(err)
	}
	in := AcceptInput{InvitationID: inv.ID, TokenID: inv.TokenID, UserEmail: "ada@fabrikam.example",
		Agreement: AgreementRef{Version: "1", Locale: "en", SHA256: "0000000000000000000000000000000000000000000000000000000000000000"},
		IP:        "127.0.0.1", UserAgent: "test"}
	if _, _, err := s.Accept(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Accept(ctx, in); !errors.Is(err, ErrAlreadyAccepted) {
		t.Fatalf("second accept: %v", err)
	}
	rel, err := s.Relationship(ctx, c.ID, p.ID)
	if err != nil || len(rel.Roles) != 1 || rel.Roles[0] != HelpdeskAdmin {
		t.Fatalf("relationship = %+v, %v", rel, err)
	}
}
