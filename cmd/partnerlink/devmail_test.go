package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDevMail: a newcomer mails a request into dev's inbox with dev-mail, as the
// welcome text shows, and gets the invitation sent and an answer.
func TestDevMail(t *testing.T) {
	d, _ := startDevSystem(t)
	r := runCmd(t, "dev-mail", "--imap-addr", d.imap.Addr(), "--to", d.reqAddr,
		"--body", `customer: billing@fabrikam.example\ntype: advisor\n\ncustomer: nobody@nowhere.example\ntype: reseller`)
	if r.code != 0 || !strings.Contains(r.stdout, "dropped a") {
		t.Fatalf("dev-mail: %v", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	var reply, invitation bool
	for !(reply && invitation) {
		for _, m := range d.sink.Messages() {
			reply = reply || (slices.Contains(m.To, "partners@contoso.example") && strings.HasPrefix(m.Subject, "Re: Invite") &&
				strings.Contains(m.Text, "billing@fabrikam.example") && strings.Contains(m.Text, "nobody@nowhere.example"))
			invitation = invitation || (slices.Contains(m.To, "billing@fabrikam.example") && strings.Contains(m.Subject, "advisor"))
		}
		if time.Now().After(deadline) {
			t.Fatalf("after dev-mail: reply %v, invitation %v", reply, invitation)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := runCmd(t, "dev-mail", "--imap-addr", d.imap.Addr()); r.code != 2 {
		t.Errorf("dev-mail without a message: %v", r)
	}
}
