// Package mailer sends partnerlink's emails over SMTP with go-mail. A Mailer
// keeps one connection open and reuses it for every message (sends are
// serialized), redials after any failure, gives each message a stable Message-ID
// (MessageID) so a retried send can be recognised, and classifies failures as
// temporary or permanent (SendError, ErrTemporary, ErrPermanent). Header fields
// are never built from unchecked input: line breaks in any of them are refused.
package mailer

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Mailer sends messages through one SMTP server. It is safe for concurrent use;
// sends are serialized over one reused connection.
type Mailer struct {
	cfg    Config
	log    *slog.Logger
	client *gomail.Client // settings only: Mailer owns the connections
	from   *mail.Address
	domain string // of the From address, for generated Message-IDs

	mu     sync.Mutex
	conn   *conn // nil until the first send and after a failure
	closed bool
}

// New checks cfg (with defaults applied, see Config) and returns a Mailer. It does
// not connect: the first Send does, and Ping checks that it can.
func New(cfg Config, log *slog.Logger) (*Mailer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Mailer{
		cfg:    cfg,
		log:    log,
		from:   &mail.Address{Name: cfg.FromName, Address: cfg.From},
		domain: cfg.From[strings.LastIndexByte(cfg.From, '@')+1:],
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithDialContextFunc(m.dialContext),
		gomail.WithTLSConfig(m.tlsConfig()),
		gomail.WithoutNoop(), // a NOOP per message costs a round trip; a dead connection shows at MAIL FROM
		// faults: no RSET after a message the server accepted (RFC 5321 4.1.1.4: a
		// completed transaction already resets the state). The RSET round trip sat
		// between the server's 250 and the caller learning of it: a worker killed
		// there sends the message again on redelivery, and a failed RSET reported an
		// accepted message as failed.
		gomail.WithoutRset(),
	}
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSImplicit:
		// dialContext does the TLS handshake; no STARTTLS on top.
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(cfg.HeloName))
	}
	if cfg.Username != "" {
		// The strongest mechanism the server offers. PLAIN and LOGIN only go over
		// TLS or to localhost: go-mail refuses to send the password otherwise.
		opts = append(opts,
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mailer: %w", err)
	}
	m.client = client
	return m, nil
}

// Send hands msg to the SMTP server, over the open connection if there is one.
// Errors: one matching ErrInvalidMessage (and ErrPermanent) if msg is refused
// before sending; a *SendError matching ErrTemporary or ErrPermanent if the
// server refused it or the connection failed; after Close, a temporary
// *SendError matching ErrClosed. If ctx ends during the exchange, the connection
// is dropped and the error also matches ctx's error.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	gm, err := m.build(msg, time.Now())
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return &SendError{Temporary: true, Err: ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return &SendError{Temporary: true, Err: err}
	}
	reused := m.conn != nil
	err = m.sendLocked(ctx, gm)
	if err != nil && reused && staleConnection(err) && ctx.Err() == nil {
		// The server most likely closed the idle connection; nothing was accepted.
		m.log.Debug("mailer: reused connection failed before the transaction, redialing", "err", err)
		err = m.sendLocked(ctx, gm)
	}
	if err != nil {
		se := classifySend(err)
		if ctx.Err() != nil {
			se = &SendError{Temporary: true, Err: ctxError(ctx, err)}
		}
		m.log.Warn("mailer: send failed", "message_id", gm.GetMessageID(), "code", se.Code,
			"enhanced", se.Enhanced, "temporary", se.Temporary, "err", se.Err)
		return se
	}
	m.log.Debug("mailer: sent", "message_id", gm.GetMessageID(), "to", msg.To)
	return nil
}

// sendLocked sends gm over m.conn, dialing first if needed; on any failure the
// connection is closed and forgotten. Callers hold m.mu.
func (m *Mailer) sendLocked(ctx context.Context, gm *gomail.Msg) error {
	if m.conn == nil {
		c, err := m.dial(ctx)
		if err != nil {
			return err
		}
		m.log.Debug("mailer: connected", "host", m.cfg.Host, "port", m.cfg.Port)
		m.conn = c
	}
	c := m.conn
	stop := context.AfterFunc(ctx, c.net.abort)
	err := m.client.SendWithSMTPClient(c.sc, gm)
	if !stop() { // ctx ended: abort closed the connection
		m.conn = nil
		if err == nil {
			return nil // the server had already accepted the message
		}
		return err
	}
	if err != nil {
		m.dropLocked()
		return err
	}
	c.sent++
	return nil
}

// dropLocked closes the open connection without QUIT: after a failure its state
// is unknown. Callers hold m.mu.
func (m *Mailer) dropLocked() {
	if m.conn != nil {
		m.conn.net.abort()
		m.conn = nil
	}
}

// Close says QUIT on the open connection and closes it; later Sends fail with
// ErrClosed. A failed QUIT (the server may have dropped an idle connection) is
// logged, not returned: the connection is closed either way. It is safe to call
// more than once.
func (m *Mailer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if m.conn == nil {
		return nil
	}
	c := m.conn
	m.conn = nil
	defer c.net.abort()
	if err := c.sc.UpdateDeadline(m.cfg.Timeout); err == nil {
		err = m.client.CloseWithSMTPClient(c.sc)
		if err != nil {
			m.log.Debug("mailer: QUIT failed", "err", err)
		}
	}
	return nil
}

// Ping opens a new connection (with STARTTLS and AUTH as configured), says QUIT
// and closes it: a readiness check that does not disturb sends. Its errors are
// *SendError, temporary.
func (m *Mailer) Ping(ctx context.Context) error {
	c, err := m.dial(ctx)
	if err != nil {
		return classifyConn(err)
	}
	defer c.net.abort()
	if err := m.client.CloseWithSMTPClient(c.sc); err != nil {
		return classifyConn(err)
	}
	return nil
}
