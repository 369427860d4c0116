// Package mailsink is a real SMTP server, in process, that keeps the messages it
// receives instead of delivering them: for `partnerlink dev` and for tests. It
// speaks SMTP with go-smtp on a TCP address, accepts any AUTH PLAIN (or none),
// parses each message (headers, RFC 2047 subjects, text and HTML parts in
// quoted-printable or base64) and shows them in a small web UI (Handler).
// FailWith makes it refuse recipients, to test temporary and permanent failures.
package mailsink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// DefaultMaxMessages is how many messages a Sink keeps unless told otherwise.
const DefaultMaxMessages = 1000

// ErrClosed is returned by Wait once the Sink is closed.
var ErrClosed = errors.New("mailsink: closed")

// Options configure a Sink.
type Options struct {
	Addr        string       // TCP address to listen on; "127.0.0.1:0" when empty
	Logger      *slog.Logger // nil discards logs
	MaxMessages int          // keep the newest N messages; DefaultMaxMessages when <= 0
	// CountOnly receives messages and counts them without parsing or keeping
	// any (for load tests: the sink then costs little CPU and no memory per
	// message). Messages returns none; Received and WaitReceived count them.
	CountOnly bool
}

// Sink is a running SMTP server that keeps what it receives. Its methods are safe
// for concurrent use.
type Sink struct {
	log       *slog.Logger
	max       int
	countOnly bool
	srv       *smtp.Server
	ln        *countingListener
	served    chan struct{} // closed when Serve returns

	mu       sync.Mutex
	msgs     []Message // oldest first
	nextID   int
	received int // messages received since Start, kept or not
	fail     func(rcpt string) *smtp.SMTPError
	changed  chan struct{} // closed and replaced whenever a message arrives or the sink closes
	closed   bool
}

// Start listens on opts.Addr and serves SMTP until Close.
func Start(opts Options) (*Sink, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("mailsink: listen: %w", err)
	}
	s := &Sink{
		log:       opts.Logger,
		max:       opts.MaxMessages,
		countOnly: opts.CountOnly,
		ln:        &countingListener{Listener: ln},
		served:    make(chan struct{}),
		nextID:    1,
		changed:   make(chan struct{}),
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 25 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = 10 * time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = logAdapter{s.log}
	s.srv = srv
	go func() {
		defer close(s.served)
		if err := srv.Serve(s.ln); err != nil {
			s.log.Error("mailsink: serve", "err", err)
		}
	}()
	s.log.Info("mailsink: listening", "addr", s.Addr())
	return s, nil
}

// Addr returns the host:port the server is bound to.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Connections returns how many SMTP connections the server has accepted.
func (s *Sink) Connections() int { return int(s.ln.accepted.Load()) }

// Close stops the server, drops its connections and wakes every Wait. It is safe
// to call more than once.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.changed)
	s.mu.Unlock()

	err := s.srv.Close()
	// go-smtp closes only the listeners Serve has registered; if Serve has not
	// started yet, closing ours is what makes it return.
	if lerr := s.ln.Close(); lerr != nil && !errors.Is(lerr, net.ErrClosed) && err == nil {
		err = lerr
	}
	<-s.served
	if err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return fmt.Errorf("mailsink: close: %w", err)
	}
	return nil
}

// FailWith makes the server answer RCPT TO with f's error for every recipient f
// returns non-nil for, e.g. 451 (temporary) or 550 (permanent). nil clears it.
func (s *Sink) FailWith(f func(rcpt string) *smtp.SMTPError) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

// failure returns the error to answer RCPT TO rcpt with, or nil.
func (s *Sink) failure(rcpt string) error {
	s.mu.Lock()
	f := s.fail
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	if e := f(rcpt); e != nil {
		return e
	}
	return nil
}

// Messages returns copies of the kept messages, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copies()
}

func (s *Sink) copies() []Message {
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = m.clone()
	}
	return out
}

// Message returns a copy of the kept message with id.
func (s *Sink) Message(id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.ID == id {
			return m.clone(), true
		}
	}
	return Message{}, false
}

// Wait blocks until at least n messages are kept, then returns them like
// Messages. It returns early with ctx's error, or ErrClosed once the sink closes.
func (s *Sink) Wait(ctx context.Context, n int) ([]Message, error) {
	if n > s.max {
		return nil, fmt.Errorf("mailsink: wait for %d messages: the sink keeps at most %d", n, s.max)
	}
	var out []Message
	if err := s.waitUntil(ctx, fmt.Sprintf("%d messages", n), func() bool { return len(s.msgs) >= n }, func() { out = s.copies() }); err != nil {
		return nil, err
	}
	return out, nil
}

// waitUntil blocks until done reports true, then calls then; both run with
// s.mu held. It returns early with ctx's error (saying it waited for what), or
// ErrClosed once the sink closes.
func (s *Sink) waitUntil(ctx context.Context, what string, done func() bool, then func()) error {
	for {
		s.mu.Lock()
		if done() {
			then()
			s.mu.Unlock()
			return nil
		}
		if s.closed {
			s.mu.Unlock()
			return ErrClosed
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("mailsink: wait for %s: %w", what, ctx.Err())
		}
	}
}

// add keeps one received message, dropping the oldest beyond the limit.
func (s *Sink) add(from string, to []string, raw []byte) {
	m := parse(raw)
	m.From, m.To, m.Received = from, slices.Clone(to), time.Now()
	s.mu.Lock()
	m.ID = s.nextID
	s.nextID++
	s.msgs = append(s.msgs, m)
	for len(s.msgs) > s.max {
		// Reslicing is O(1); append reallocates (copying only kept messages) once
		// the capacity runs out. Zeroing lets the dropped message's bytes go now.
		s.msgs[0] = Message{}
		s.msgs = s.msgs[1:]
	}
	s.receivedLocked()
	s.mu.Unlock()
	s.log.Debug("mailsink: received", "id", m.ID, "from", from, "to", to, "subject", m.Subject, "bytes", len(raw))
}

// count counts one message received and not kept (CountOnly).
func (s *Sink) count() {
	s.mu.Lock()
	s.receivedLocked()
	s.mu.Unlock()
}

// receivedLocked counts a message and wakes every Wait; s.mu is held.
func (s *Sink) receivedLocked() {
	s.received++
	if !s.closed {
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// Received returns how many messages the sink has received since Start,
// including those no longer kept and, with CountOnly, those never kept.
func (s *Sink) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// WaitReceived blocks until the sink has received at least n messages since
// Start (see Received), without copying any. It returns early with ctx's
// error, or ErrClosed once the sink closes.
func (s *Sink) WaitReceived(ctx context.Context, n int) error {
	return s.waitUntil(ctx, fmt.Sprintf("%d messages received", n), func() bool { return s.received >= n }, func() {})
}
