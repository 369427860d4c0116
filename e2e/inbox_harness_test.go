package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/internal/memimap"
	"github.com/partnerlink/partnerlink/mailroom"
)

// inboxAddress is where partners send requests in these tests.
const inboxAddress = "partnerlink@partnerlink.test"

// trustedAuthServ is the receiving server whose Authentication-Results count.
const trustedAuthServ = "mx.partnerlink.test"

// mailbox is partnerlink's inbox for a test: an IMAP server in process, watched by
// the real inbox.Watcher with the real mailroom, as `partnerlink inbox` runs them.
type mailbox struct {
	t                    *testing.T
	addr, user, password string
}

// startInbox watches an in-memory IMAP server.
func (s *system) startInbox() *mailbox {
	s.t.Helper()
	srv, err := memimap.Start("127.0.0.1:0", "partnerlink", "secret", s.log)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { srv.Close() })
	return s.watch(srv.Addr(), srv.User, srv.Password)
}

// watch runs the inbox on the IMAP account at addr until the test ends.
func (s *system) watch(addr, user, password string) *mailbox {
	t := s.t
	t.Helper()
	router := mailroom.New(mailroom.Config{Address: inboxAddress, TrustedAuthServ: []string{trustedAuthServ}, InviteTTL: 14 * 24 * time.Hour},
		s.store, s.enq, s.log)
	w, err := inbox.NewWatcher(inbox.Config{Addr: addr, TLS: inbox.TLSNone, Username: user, Password: password},
		s.rdb, router, s.log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &mailbox{t: t, addr: addr, user: user, password: password}
}

// deliver drops raw into the inbox, as the mail server would.
func (m *mailbox) deliver(raw []byte) {
	m.t.Helper()
	if err := memimap.Append(m.addr, m.user, m.password, "INBOX", raw); err != nil {
		m.t.Fatal(err)
	}
}

// waitFolders waits until INBOX is empty and the folders hold processed and rejected messages.
func (m *mailbox) waitFolders(processed, rejected int) {
	m.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		in, _ := memimap.Count(m.addr, m.user, m.password, "INBOX")
		p, _ := memimap.Count(m.addr, m.user, m.password, "Processed")
		r, _ := memimap.Count(m.addr, m.user, m.password, "Rejected")
		if in == 0 && p == processed && r == rejected {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("inbox %d, processed %d, rejected %d; want 0, %d, %d", in, p, r, processed, rejected)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
