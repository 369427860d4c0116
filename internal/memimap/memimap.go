// Package memimap runs go-imap's in-memory IMAP server on a loopback address with
// one account whose INBOX, Processed and Rejected folders exist: the inbox of
// `partnerlink dev`, and a real IMAP peer for tests.
package memimap

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Server is a running in-memory IMAP server.
type Server struct {
	User, Password string
	srv            *imapserver.Server
	ln             net.Listener
}

// Start listens on addr (e.g. 127.0.0.1:0) with one account. Plain-text login is
// allowed: keep it on loopback.
func Start(addr, user, password string, log *slog.Logger) (*Server, error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	for _, name := range []string{"INBOX", "Processed", "Rejected"} {
		if err := u.Create(name, nil); err != nil {
			return nil, fmt.Errorf("memimap: create %s: %w", name, err)
		}
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			sess := mem.NewSession()
			if full, ok := sess.(imapserver.SessionIMAP4rev2); ok {
				return idleReportsPending{full}, nil, nil
			}
			return sess, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}, imap.CapIdle: {},
			imap.CapMove: {}, imap.CapUIDPlus: {},
		},
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("memimap: %w", err)
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return &Server{User: user, Password: password, srv: srv, ln: ln}, nil
}

// idleReportsPending is a session of go-imap's in-memory server whose IDLE first
// reports what changed since the client's last command. go-imap's own IDLE
// reports only changes made while it idles, so mail appended between a
// client's SEARCH and its IDLE would wait unannounced for the next change;
// servers such as Dovecot announce it as IDLE begins.
type idleReportsPending struct {
	imapserver.SessionIMAP4rev2
}

func (s idleReportsPending) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.Poll(w, true); err != nil {
		return err
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// Append drops raw into mailbox over IMAP, as a mail server delivering it would.
func Append(addr, user, password, mailbox string, raw []byte) error {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return fmt.Errorf("memimap: connect to %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return fmt.Errorf("memimap: log in: %w", err)
	}
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return fmt.Errorf("memimap: append: %w", err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("memimap: append: %w", err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("memimap: append: %w", err)
	}
	return c.Logout().Wait()
}

// Count returns how many messages mailbox holds.
func Count(addr, user, password, mailbox string) (int, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return 0, fmt.Errorf("memimap: connect to %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return 0, fmt.Errorf("memimap: log in: %w", err)
	}
	data, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0, fmt.Errorf("memimap: status %s: %w", mailbox, err)
	}
	_ = c.Logout().Wait()
	return int(*data.NumMessages), nil
}
