package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/partnerlink/partnerlink/internal/testdovecot"
	"github.com/partnerlink/partnerlink/partnerships"
)

// TestInboxOnDovecot: as a new user would try it against a real Dovecot, a request
// mailed in becomes a sent invitation and an answer to the partner, and a bounce
// for that invitation marks it bounced.
func TestInboxOnDovecot(t *testing.T) {
	s := start(t)
	dc := testdovecot.Start(t)
	box := s.watch(dc.Addr, dc.User, dc.Password)

	box.deliver(fixture(t, "../requests/testdata/single.eml",
		"requests@partnerlink.example", inboxAddress, "mx.partnerlink.example", trustedAuthServ,
		"admin@fabrikam.example", adminEmail))
	box.waitFolders(1, 0)
	reply := s.waitMail("partners@contoso.example", "Invite Fabrikam")
	invs, err := s.store.InvitationsByCustomer(context.Background(), s.customer.ID)
	if err != nil || len(invs) != 1 {
		t.Fatalf("invitations: %+v, %v", invs, err)
	}
	id := invs[0].ID
	mustContain(t, "reply", reply.Text, id)
	s.waitForLink(adminEmail, 2)
	s.waitStatus(id, partnerships.StatusSent)

	box.deliver(fixture(t, "../bounces/testdata/exchange-ndr.eml",
		"in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb", id, "admin@fabrikam.example", adminEmail))
	box.waitFolders(2, 0)
	s.waitStatus(id, partnerships.StatusBounced)
	inv, _ := s.store.Invitation(context.Background(), id)
	if !strings.Contains(inv.FailureReason, "5.1.10") {
		t.Errorf("failure reason %q", inv.FailureReason)
	}
	s.waitMail("partners@contoso.example", "bounced")
}
