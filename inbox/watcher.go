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

// Steps of handling one message, as named to the crashAfter hook. The hook runs
// once per message for each step: "fetched" when its body is in hand, before the
// Handler; "handled" after the Handler; "recorded" after its outcome is in Redis;
// "moved" after the move of its batch to its folder.
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

// A pass takes the messages in batches of at most batchSize, and of at most
// fetchBudget bytes of bodies to fetch: one Redis round trip looks up the batch's
// outcomes, one UID FETCH loads the bodies still to handle, one UID MOVE per
// folder moves the batch out.
const (
	batchSize   = 100
	fetchBudget = 4 * MaxMessageBytes
)

// nextBatch returns how many of msgs (at least one, if any) make the next batch.
func nextBatch(msgs []listed) int {
	n, bytes := 0, int64(0)
	for _, m := range msgs {
		size := m.size
		if size > MaxMessageBytes {
			size = 0 // rejected without fetching
		}
		if n == batchSize || (n > 0 && bytes+size > fetchBudget) {
			break
		}
		n, bytes = n+1, bytes+size
	}
	return n
}

// process goes once through the messages in the selected mailbox, batch by batch.
func (w *Watcher) process(ctx context.Context, s *session) (Stats, error) {
	var st Stats
	msgs, err := s.list()
	if err != nil {
		return st, orCtx(ctx, err)
	}
	for len(msgs) > 0 {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		n := nextBatch(msgs)
		err := w.batch(ctx, s, msgs[:n], &st)
		if err != nil {
			return st, orCtx(ctx, err)
		}
		msgs = msgs[n:]
	}
	if st.Seen > 0 {
		w.log.Info("inbox: pass", "seen", st.Seen, "processed", st.Processed, "rejected", st.Rejected, "retried", st.Retried)
	}
	return st, nil
}

// batch takes messages through the steps: look up their outcomes; fetch the
// others, and handle and record each in order; then move all those with an
// outcome. Every outcome is recorded before any message of the batch moves. A
// message stays in the mailbox when its handler fails (or another client took it
// meanwhile).
func (w *Watcher) batch(ctx context.Context, s *session, msgs []listed, st *Stats) error {
	st.Seen += len(msgs)
	mbox, uv := w.cfg.Mailbox, s.uidValidity
	uids := make([]uint32, len(msgs))
	for i, m := range msgs {
		uids[i] = uint32(m.uid)
	}
	known, err := w.done.lookupAll(ctx, mbox, uv, uids)
	if err != nil {
		return err
	}
	moves := make(map[string][]imap.UID) // decision folder → UIDs, in order
	var todo []listed
	var fetch []imap.UID
	for _, m := range msgs {
		if o, ok := known[uint32(m.uid)]; ok {
			w.log.Info("inbox: moving a message handled before", "uidvalidity", uv, "uid", uint32(m.uid), "decision", o.folder)
			moves[o.folder] = append(moves[o.folder], m.uid)
			continue
		}
		todo = append(todo, m)
		if m.size <= MaxMessageBytes {
			fetch = append(fetch, m.uid)
		}
	}
	bodies, err := s.fetch(fetch)
	if err != nil {
		return err
	}
	for _, m := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		log := w.log.With("uidvalidity", uv, "uid", uint32(m.uid))
		o, ok, err := w.handle(ctx, s, log, m, bodies)
		if err != nil {
			return err
		}
		if !ok {
			st.Retried++
			continue
		}
		if o, err = w.done.record(ctx, mbox, uv, uint32(m.uid), o); err != nil {
			return err
		}
		if w.crashed(stepRecorded) {
			return errCrash
		}
		moves[o.folder] = append(moves[o.folder], m.uid)
	}
	for _, decision := range []string{Processed, Rejected} {
		moved := moves[decision]
		if len(moved) == 0 {
			continue
		}
		folder := w.cfg.ProcessedFolder
		if decision == Rejected {
			folder = w.cfg.RejectedFolder
		}
		if err := s.move(moved, folder); err != nil {
			return err
		}
		for range moved {
			if w.crashed(stepMoved) {
				return errCrash
			}
		}
		if decision == Processed {
			st.Processed += len(moved)
		} else {
			st.Rejected += len(moved)
		}
	}
	return nil
}

// handle calls the Handler on a message, whose body (unless it is too large to
// fetch) is in bodies. ok is false when the message stays in the mailbox for the
// next pass.
func (w *Watcher) handle(ctx context.Context, s *session, log *slog.Logger, m listed, bodies map[imap.UID][]byte) (o outcome, ok bool, err error) {
	if m.size > MaxMessageBytes {
		log.Warn("inbox: rejecting a message too large to load", "size", m.size)
		return outcome{Rejected, fmt.Sprintf("too large: %d bytes, the limit is %d", m.size, MaxMessageBytes)}, true, nil
	}
	raw, found := bodies[m.uid]
	if !found {
		log.Info("inbox: message vanished before it was fetched")
		return outcome{}, false, nil
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
