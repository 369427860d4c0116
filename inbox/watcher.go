package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"

	"github.com/emersion/go-imap/v2"
	"github.com/redis/go-redis/v9"
)

// Watcher hands each message of one mailbox to a Handler exactly once and moves
// it to the Processed or Rejected folder.
type Watcher struct {
	cfg  Config
	h    Handler
	log  *slog.Logger
	done outcomes

	// Test hooks; zero in production.
	crashAfter func(step string) bool // true: stop after step as a crash would
	forcePoll  bool                   // poll even when the server has IDLE
	backoff    backoff
	debug      io.Writer // raw IMAP traffic, with the password
}

// Steps of handling one message, as named to the crashAfter hook.
const (
	stepFetched  = "fetched"
	stepHandled  = "handled"
	stepRecorded = "recorded"
	stepMoved    = "moved"
)

// errCrash is what a crash simulated by the crashAfter hook returns.
var errCrash = errors.New("inbox: simulated crash")

// NewWatcher returns a Watcher for the mailbox cfg names. Outcomes are recorded
// in rdb under keys named for cfg.Account. A nil log discards.
func NewWatcher(cfg Config, rdb redis.UniversalClient, h Handler, log *slog.Logger) (*Watcher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if rdb == nil {
		return nil, fmt.Errorf("inbox: no Redis client")
	}
	if h == nil {
		return nil, fmt.Errorf("inbox: no handler")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{
		cfg:     cfg,
		h:       h,
		log:     log.With("imap", cfg),
		done:    outcomes{rdb: rdb, account: cfg.Account},
		backoff: defaultBackoff,
	}, nil
}

// Pass processes every message currently in the mailbox once, over a fresh
// connection, and returns what it did. An error from the connection or from Redis
// ends the pass early; messages not reached stay for the next one.
func (w *Watcher) Pass(ctx context.Context) (Stats, error) {
	s, err := w.dial(ctx)
	if err != nil {
		return Stats{}, err
	}
	st, err := w.process(ctx, s)
	if err != nil {
		s.close()
		return st, err
	}
	s.logout()
	return st, nil
}

// key is the key a Handler gets for a message.
func (w *Watcher) key(uidValidity uint32, uid imap.UID) string {
	return w.cfg.Account + "/" + w.cfg.Mailbox + "/" + strconv.FormatUint(uint64(uidValidity), 10) + "/" + strconv.FormatUint(uint64(uid), 10)
}

// process goes once through the messages in the selected mailbox.
func (w *Watcher) process(ctx context.Context, s *session) (Stats, error) {
	var st Stats
	msgs, err := s.list()
	if err != nil {
		return st, orCtx(ctx, err)
	}
	for _, m := range msgs {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		st.Seen++
		folder, err := w.one(ctx, s, m)
		if err != nil {
			return st, orCtx(ctx, err)
		}
		switch folder {
		case Processed:
			st.Processed++
		case Rejected:
			st.Rejected++
		case "":
			st.Retried++
		}
	}
	if st.Seen > 0 {
		w.log.Info("inbox: pass", "seen", st.Seen, "processed", st.Processed, "rejected", st.Rejected, "retried", st.Retried)
	}
	return st, nil
}

// one takes a message through the steps: look up its outcome, else fetch, handle
// and record it; then move it. It returns the decision folder it was moved to, or
// "" when it stays in the mailbox (or another client took it meanwhile).
func (w *Watcher) one(ctx context.Context, s *session, m listed) (string, error) {
	mbox, uv, uid := w.cfg.Mailbox, s.uidValidity, uint32(m.uid)
	log := w.log.With("uidvalidity", uv, "uid", uid)
	o, ok, err := w.done.lookup(ctx, mbox, uv, uid)
	if err != nil {
		return "", err
	}
	if ok {
		log.Info("inbox: moving a message handled before", "decision", o.folder)
	} else {
		o, ok, err = w.handle(ctx, s, log, m)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", nil
		}
		if o, err = w.done.record(ctx, mbox, uv, uid, o); err != nil {
			return "", err
		}
		if w.crashed(stepRecorded) {
			return "", errCrash
		}
	}
	folder := w.cfg.ProcessedFolder
	if o.folder == Rejected {
		folder = w.cfg.RejectedFolder
	}
	if err := s.move(m.uid, folder); err != nil {
		return "", err
	}
	if w.crashed(stepMoved) {
		return "", errCrash
	}
	return o.folder, nil
}

// handle fetches a message and calls the Handler. ok is false when the message
// stays in the mailbox for the next pass.
func (w *Watcher) handle(ctx context.Context, s *session, log *slog.Logger, m listed) (o outcome, ok bool, err error) {
	if m.size > MaxMessageBytes {
		log.Warn("inbox: rejecting a message too large to load", "size", m.size)
		return outcome{Rejected, fmt.Sprintf("too large: %d bytes, the limit is %d", m.size, MaxMessageBytes)}, true, nil
	}
	raw, err := s.fetch(m.uid)
	if errors.Is(err, errGone) {
		log.Info("inbox: message vanished before it was fetched")
		return outcome{}, false, nil
	} else if err != nil {
		return outcome{}, false, err
	}
	if len(raw) > MaxMessageBytes {
		log.Warn("inbox: rejecting a message larger than the server said", "size", m.size)
		return outcome{Rejected, fmt.Sprintf("too large: over %d bytes", MaxMessageBytes)}, true, nil
	}
	if w.crashed(stepFetched) {
		return outcome{}, false, errCrash
	}
	key := w.key(s.uidValidity, m.uid)
	msg := &Message{Mailbox: w.cfg.Mailbox, UIDValidity: s.uidValidity, UID: uint32(m.uid), Raw: raw, Size: m.size}
	d, herr := w.call(ctx, key, msg)
	if w.crashed(stepHandled) {
		return outcome{}, false, errCrash
	}
	if herr != nil {
		log.Warn("inbox: handler failed; the message stays for the next pass", "err", herr)
		return outcome{}, false, nil
	}
	if d.Folder != Processed && d.Folder != Rejected {
		log.Error("inbox: handler returned an unknown decision folder; the message stays for the next pass", "folder", d.Folder)
		return outcome{}, false, nil
	}
	if d.Folder == Rejected {
		log.Info("inbox: message rejected", "reason", d.Reason)
	}
	return outcome{d.Folder, d.Reason}, true, nil
}

// call runs the Handler; a panic is an error, so it is retried rather than fatal.
func (w *Watcher) call(ctx context.Context, key string, m *Message) (d Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("inbox: handler panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return w.h.Handle(ctx, key, m)
}

func (w *Watcher) crashed(step string) bool {
	return w.crashAfter != nil && w.crashAfter(step)
}
