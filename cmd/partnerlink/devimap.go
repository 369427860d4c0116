package main

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// The account of dev's in-memory IMAP server: partnerlink's inbox.
const (
	devIMAPUser     = "partnerlink"
	devIMAPPassword = "dev"
)

// devIMAP is an in-memory IMAP server (go-imap's imapmemserver) on a loopback
// address: the mailbox `dev` reads partner requests and bounces from.
type devIMAP struct {
	srv *imapserver.Server
	ln  net.Listener
}

func startDevIMAP(addr string, logger *slog.Logger) (*devIMAP, error) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(devIMAPUser, devIMAPPassword)
	for _, name := range []string{"INBOX", "Processed", "Rejected"} {
		if err := user.Create(name, nil); err != nil {
			return nil, fmt.Errorf("dev IMAP: create %s: %w", name, err)
		}
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}, imap.CapIdle: {},
			imap.CapMove: {}, imap.CapUIDPlus: {},
		},
		InsecureAuth: true, // loopback only
		Logger:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return &devIMAP{srv: srv, ln: ln}, nil
}

func (d *devIMAP) Addr() string { return d.ln.Addr().String() }

func (d *devIMAP) Close() error { return d.srv.Close() }
