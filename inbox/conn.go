package inbox

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const dialTimeout = 30 * time.Second

// session is one logged-in IMAP connection with the mailbox selected.
type session struct {
	c           *imapclient.Client
	uidValidity uint32
	newMail     chan struct{} // gets a value when the server reports EXISTS
	stop        func() bool   // undoes the close-on-cancel hook
}

// authError is a failed LOGIN: retrying will not help until the config changes.
type authError struct{ err error }

func (e *authError) Error() string { return fmt.Sprintf("inbox: log in: %v", e.err) }
func (e *authError) Unwrap() error { return e.err }

// dial connects, logs in, creates the folders if missing and selects the mailbox.
// Cancelling ctx closes the connection, which ends whatever command is running.
func (w *Watcher) dial(ctx context.Context) (*session, error) {
	cfg := w.cfg
	s := &session{newMail: make(chan struct{}, 1)}
	host, _, _ := net.SplitHostPort(cfg.Addr)
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{ServerName: host, InsecureSkipVerify: cfg.InsecureSkipVerify, MinVersion: tls.VersionTLS12},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case s.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
		DebugWriter: w.debug,
	}
	nd := &net.Dialer{Timeout: dialTimeout}
	var conn net.Conn
	var err error
	if cfg.TLS == TLSImplicit {
		td := &tls.Dialer{NetDialer: nd, Config: opts.TLSConfig}
		conn, err = td.DialContext(ctx, "tcp", cfg.Addr)
	} else {
		conn, err = nd.DialContext(ctx, "tcp", cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: connect to %s: %w", cfg.Addr, err)
	}
	// Whatever blocks below (STARTTLS, a command) ends when ctx does.
	stopConn := context.AfterFunc(ctx, func() { conn.Close() })
	if cfg.TLS == TLSStartTLS {
		s.c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			stopConn()
			conn.Close()
			return nil, fmt.Errorf("inbox: STARTTLS with %s: %w", cfg.Addr, err)
		}
	} else {
		s.c = imapclient.New(conn, opts)
	}
	s.stop = stopConn
	if err := s.setup(ctx, cfg); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *session) setup(ctx context.Context, cfg Config) error {
	if err := s.c.WaitGreeting(); err != nil {
		return fmt.Errorf("inbox: greeting from %s: %w", cfg.Addr, orCtx(ctx, err))
	}
	if err := s.c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			return &authError{err}
		}
		return fmt.Errorf("inbox: log in to %s: %w", cfg.Addr, orCtx(ctx, err))
	}
	for _, name := range []string{cfg.ProcessedFolder, cfg.RejectedFolder} {
		if err := s.ensureFolder(name); err != nil {
			return orCtx(ctx, err)
		}
	}
	data, err := s.c.Select(cfg.Mailbox, nil).Wait()
	if err != nil {
		return fmt.Errorf("inbox: select %q: %w", cfg.Mailbox, orCtx(ctx, err))
	}
	s.uidValidity = data.UIDValidity
	return nil
}

// ensureFolder creates a folder unless it exists.
func (s *session) ensureFolder(name string) error {
	list, err := s.c.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("inbox: list %q: %w", name, err)
	}
	for _, l := range list {
		if l.Mailbox == name {
			return nil
		}
	}
	err = s.c.Create(name, nil).Wait()
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inbox: create folder %q: %w", name, err)
	}
	return nil
}

// listed is a message found in the mailbox, before its body is fetched.
type listed struct {
	uid  imap.UID
	size int64
}

// list returns the UID and size of every message in the mailbox, by UID.
func (s *session) list() ([]listed, error) {
	found, err := s.c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("inbox: search: %w", err)
	}
	uids := found.AllUIDs()
	if len(uids) == 0 {
		return nil, nil
	}
	msgs, err := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("inbox: fetch sizes: %w", err)
	}
	out := make([]listed, 0, len(msgs))
	for _, m := range msgs {
		if m.UID != 0 {
			out = append(out, listed{m.UID, m.RFC822Size})
		}
	}
	slices.SortFunc(out, func(a, b listed) int { return cmp.Compare(a.uid, b.uid) })
	return out, nil
}

// fetch returns the full messages of uids, by UID, with one UID FETCH that does
// not set \Seen. It reads at most MaxMessageBytes+1 bytes of each, so a caller
// can tell a message larger than the server said. A UID missing from the result
// vanished from the mailbox (another client moved or expunged it) after listing.
func (s *session) fetch(uids []imap.UID) (map[imap.UID][]byte, error) {
	out := make(map[imap.UID][]byte, len(uids))
	if len(uids) == 0 {
		return out, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	cmd := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	defer cmd.Close()
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var uid imap.UID
		var raw []byte
		found := false
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = item.UID
			case imapclient.FetchItemDataBodySection:
				if item.Literal == nil || found {
					continue
				}
				b, err := io.ReadAll(io.LimitReader(item.Literal, MaxMessageBytes+1))
				if err != nil {
					return nil, fmt.Errorf("inbox: fetch: %w", err)
				}
				raw, found = b, true
			}
		}
		if found && uid != 0 {
			out[uid] = raw
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("inbox: fetch: %w", err)
	}
	return out, nil
}

// move moves messages to folder: one UID MOVE, or UID COPY + STORE \Deleted +
// UID EXPUNGE when the server lacks MOVE. UIDs no longer in the mailbox are
// skipped by the server.
func (s *session) move(uids []imap.UID, folder string) error {
	set := imap.UIDSetNum(uids...)
	if s.c.Caps().Has(imap.CapMove) || s.c.Caps().Has(imap.CapIMAP4rev2) {
		if _, err := s.c.Move(set, folder).Wait(); err != nil {
			return fmt.Errorf("inbox: move UIDs %v to %q: %w", set, folder, err)
		}
		return nil
	}
	if !s.c.Caps().Has(imap.CapUIDPlus) {
		// A plain EXPUNGE would also remove messages other clients flagged.
		return fmt.Errorf("inbox: server has neither MOVE nor UIDPLUS: cannot move UIDs %v alone", set)
	}
	if _, err := s.c.Copy(set, folder).Wait(); err != nil {
		return fmt.Errorf("inbox: copy UIDs %v to %q: %w", set, folder, err)
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := s.c.Store(set, store, nil).Close(); err != nil {
		return fmt.Errorf("inbox: flag UIDs %v deleted: %w", set, err)
	}
	if err := s.c.UIDExpunge(set).Close(); err != nil {
		return fmt.Errorf("inbox: expunge UIDs %v: %w", set, err)
	}
	return nil
}

func (s *session) logout() {
	_ = s.c.Logout().Wait()
	s.close()
}

func (s *session) close() {
	if s.stop != nil {
		s.stop()
	}
	_ = s.c.Close()
}

// orCtx prefers the context's error: a cancelled context closes the connection,
// and "use of closed network connection" would hide why.
func orCtx(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
