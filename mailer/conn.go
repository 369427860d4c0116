package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"

	"github.com/wneessen/go-mail/smtp"
)

// conn is one open SMTP connection: go-mail's protocol client and the network
// connection under it, which abort closes to interrupt I/O when a context ends.
type conn struct {
	sc   *smtp.Client
	net  *netConn
	sent int // messages sent on it
}

// netConn holds the network connection of one dial. abort may come before the
// connection exists (the context ended while dialing); set then closes it at once.
type netConn struct {
	mu      sync.Mutex
	c       net.Conn
	aborted bool
}

func (n *netConn) set(c net.Conn) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.c = c
	if n.aborted {
		_ = c.Close()
	}
}

func (n *netConn) abort() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.aborted = true
	if n.c != nil {
		_ = n.c.Close()
	}
}

// netConnKey carries the *netConn of a dial through go-mail to dialContext.
type netConnKey struct{}

// dialContext is go-mail's dial function: TCP, or TLS from the first byte for
// TLSImplicit. It records the connection in the dial's netConn.
func (m *Mailer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{}
	var (
		c   net.Conn
		err error
	)
	if m.cfg.TLS == TLSImplicit {
		c, err = (&tls.Dialer{NetDialer: d, Config: m.tlsConfig()}).DialContext(ctx, network, addr)
	} else {
		c, err = d.DialContext(ctx, network, addr)
	}
	if err != nil {
		return nil, err
	}
	if n, ok := ctx.Value(netConnKey{}).(*netConn); ok {
		n.set(c)
	}
	return c, nil
}

func (m *Mailer) tlsConfig() *tls.Config {
	return &tls.Config{
		ServerName:         m.cfg.Host,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: m.cfg.InsecureSkipVerify, //nolint:gosec // opt-in, for tests and dev
	}
}

// dial opens a connection: TCP or TLS, greeting, EHLO, STARTTLS and AUTH as
// configured. If ctx ends meanwhile, the connection is closed and dial fails.
func (m *Mailer) dial(ctx context.Context) (*conn, error) {
	n := &netConn{}
	stop := context.AfterFunc(ctx, n.abort)
	defer stop()
	sc, err := m.client.DialToSMTPClientWithContext(context.WithValue(ctx, netConnKey{}, n))
	if err != nil {
		n.abort() // go-mail leaves the connection open if EHLO, STARTTLS or AUTH fail
		if ctx.Err() != nil {
			err = ctxError(ctx, err)
		}
		return nil, err
	}
	if !stop() { // ctx ended after the dial: abort has closed the connection
		return nil, ctx.Err()
	}
	return &conn{sc: sc, net: n}, nil
}

// ctxError joins the context's error to err, so errors.Is finds both.
func ctxError(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, ctx.Err()) {
		return ctx.Err()
	}
	return errors.Join(ctx.Err(), err)
}
