package e2e

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
)

// fixture reads a real .eml from another package's testdata with replacements.
func fixture(t *testing.T, path string, oldnew ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(oldnew...).Replace(string(b)))
}

// waitMail waits for a message to rcpt whose subject contains part.
func (s *system) waitMail(rcpt, part string) mailsink.Message {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range slices.Backward(s.sink.Messages()) {
			if slices.Contains(m.To, rcpt) && strings.Contains(m.Subject, part) {
				return m
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no message to %s with %q in its subject", rcpt, part)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBounceFromTheInbox: an invitation goes out with a VERP return path; the
// mail server's DSN arrives in the inbox; the invitation is bounced, the partner is
// told, and a second hard bounce suppresses the address for new invitations.
func TestBounceFromTheInbox(t *testing.T) {
	s := start(t)
	box := s.startInbox()
	id := s.invite(billingEmail, "advisor", "en")
	msg, _ := s.waitForLink(billingEmail, 1)
	s.waitStatus(id, partnerships.StatusSent)
	if want := "bounces+" + id + "@partnerlink.test"; msg.From != want {
		t.Fatalf("envelope sender %q, want the VERP address %q", msg.From, want)
	}

	dsn := fixture(t, "../bounces/testdata/postfix-rfc3464-user-unknown.eml",
		"in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb", id, "admin@fabrikam.example", billingEmail)
	box.deliver(dsn)
	box.waitFolders(1, 0)
	s.waitStatus(id, partnerships.StatusBounced)
	inv, _ := s.store.Invitation(context.Background(), id)
	if !strings.Contains(inv.FailureReason, "5.1.1") {
		t.Errorf("failure reason %q does not carry the status", inv.FailureReason)
	}
	notice := s.waitMail("partners@contoso.example", "bounced")
	mustContain(t, "bounce notice", notice.Text, billingEmail)
	if code, body := s.api("GET", "/api/v1/invitations/"+id, s.apiKey, nil); code != http.StatusOK || body["status"] != "bounced" {
		t.Errorf("partner sees %d %v", code, body)
	}

	// The same report again (a new mail) counts a second hard bounce: suppressed.
	id2 := s.invite(billingEmail, "reseller", "en")
	s.waitStatus(id2, partnerships.StatusSent)
	box.deliver(fixture(t, "../bounces/testdata/gmail-failure.eml",
		"in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb", id2, "admin@fabrikam.example", billingEmail))
	box.waitFolders(2, 0)
	s.waitStatus(id2, partnerships.StatusBounced)
	if ok, err := s.store.Suppressed(context.Background(), billingEmail); err != nil || !ok {
		t.Fatalf("after two hard bounces: suppressed %v, %v", ok, err)
	}
	code, body := s.api("POST", "/api/v1/invitations", s.apiKey, map[string]any{
		"customer_email": billingEmail, "relationship_type": "reseller"})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body["fields"].(map[string]any)["customer_email"].(string), "suppressed") ||
		!strings.Contains(body["error"].(string), billingEmail) { // deliver: the message names the address
		t.Errorf("invitation to a suppressed address: %d %v", code, body)
	}

	// A delay notice is recorded as the mail's outcome and changes nothing.
	id3 := s.invite(adminEmail, "reseller", "en")
	s.waitStatus(id3, partnerships.StatusSent)
	box.deliver(fixture(t, "../bounces/testdata/delayed-4.4.7.eml", "in_aaaaaaaaaaaaaaaa_bbbbbbbbbbbbbbbb", id3))
	box.waitFolders(3, 0)
	if inv, _ := s.store.Invitation(context.Background(), id3); inv.Status != partnerships.StatusSent {
		t.Errorf("a delay notice changed the invitation to %s", inv.Status)
	}
}

// TestRequestByEmail: a registered contact whose mail a trusted server
// authenticated asks for invitations; they are created and sent, and the partner
// gets an answer listing them and the lines that could not be used. An automatic
// reply and an unauthenticated request are rejected.
func TestRequestByEmail(t *testing.T) {
	s := start(t)
	box := s.startInbox()
	req := fixture(t, "../requests/testdata/single.eml",
		"requests@partnerlink.example", inboxAddress, "mx.partnerlink.example", trustedAuthServ,
		"admin@fabrikam.example", adminEmail)
	box.deliver(req)
	box.waitFolders(1, 0)
	reply := s.waitMail("partners@contoso.example", "Invite Fabrikam")
	mustContain(t, "reply", reply.Text, adminEmail)
	if reply.Header.Get("In-Reply-To") != "<CAF1req.single@mail.contoso.example>" || reply.Header.Get("Auto-Submitted") == "" {
		t.Errorf("reply headers: In-Reply-To %q, Auto-Submitted %q", reply.Header.Get("In-Reply-To"), reply.Header.Get("Auto-Submitted"))
	}
	invs, err := s.store.InvitationsByCustomer(context.Background(), s.customer.ID)
	if err != nil || len(invs) != 1 || invs[0].Type != partnerships.DelegatedAdmin || invs[0].PartnerID != s.partner.ID {
		t.Fatalf("invitations after the request: %+v, %v", invs, err)
	}
	s.waitForLink(adminEmail, 2)

	// Without a trusted verdict and not to the secret address: rejected.
	forged := fixture(t, "../requests/testdata/single.eml",
		"requests@partnerlink.example", inboxAddress, "admin@fabrikam.example", adminEmail)
	box.deliver(forged)
	// An out-of-office answer: rejected, never answered.
	box.deliver(fixture(t, "../requests/testdata/out-of-office.eml", "requests@partnerlink.example", inboxAddress))
	box.waitFolders(1, 2)
	if invs, _ := s.store.InvitationsByCustomer(context.Background(), s.customer.ID); len(invs) != 1 {
		t.Errorf("rejected mail created invitations: %d in all", len(invs))
	}

	// The partner's secret address needs no DKIM or SPF.
	secret, err := s.store.RequestSecret(context.Background(), s.partner.ID)
	if err != nil {
		t.Fatal(err)
	}
	box.deliver(fixture(t, "../requests/testdata/single.eml",
		"requests@partnerlink.example", "partnerlink+"+secret+"@partnerlink.test",
		"Authentication-Results: mx.partnerlink.example;", "X-Old-Authentication-Results: x;",
		"admin@fabrikam.example", billingEmail, "delegated_admin", "advisor", "roles: helpdesk_admin\n", ""))
	box.waitFolders(2, 2)
	if invs, _ := s.store.InvitationsByCustomer(context.Background(), s.customer.ID); len(invs) != 2 {
		t.Errorf("request to the secret address: %d invitations in all, want 2", len(invs))
	}
}
