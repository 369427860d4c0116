package inbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/emersion/go-imap/v2"
)

// backoff is how long Run waits before redialling: min, doubling up to max,
// each wait jittered to between half and all of it.
type backoff struct{ min, max time.Duration }

var defaultBackoff = backoff{time.Second, time.Minute}

func (b backoff) next(d time.Duration) time.Duration {
	if d <= 0 {
		return b.min
	}
	return min(2*d, b.max)
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// Run connects, selects the mailbox, processes every message already there, then
// waits for new ones with IDLE, looking again every PollInterval all the same
// (polling only, when the server has no IDLE), until ctx ends; then it returns
// nil. A dropped connection (or an unreachable Redis) is redialled with
// exponential backoff, 1s to 1min, jittered, and whatever arrived meanwhile is
// processed. Run returns an error only when the server refuses the login before
// any connection succeeded.
func (w *Watcher) Run(ctx context.Context) error {
	var wait time.Duration
	everConnected := false
	for {
		connected := false
		err := w.serve(ctx, func() { connected, everConnected = true, true })
		if ctx.Err() != nil {
			return nil
		}
		var ae *authError
		if errors.As(err, &ae) && !everConnected {
			return err
		}
		if connected {
			wait = 0
		}
		wait = w.backoff.next(wait)
		d := jitter(wait)
		w.log.Warn("inbox: connection lost; redialling", "err", err, "in", d)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// serve runs one connection: process, wait for new mail, process again, until
// the connection fails or ctx ends.
func (w *Watcher) serve(ctx context.Context, connected func()) error {
	s, err := w.dial(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	connected()
	caps := s.c.Caps()
	idle := !w.forcePoll && (caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2))
	w.log.Info("inbox: watching", "idle", idle)
	for {
		select {
		case <-s.newMail:
		default:
		}
		st, err := w.process(ctx, s)
		if err != nil {
			return err
		}
		if st.Seen > st.Retried {
			// Something was handled: look again before waiting, so mail whose
			// notice came while the pass ran is never left for the next one.
			continue
		}
		if idle {
			// IDLE ends every PollInterval (IdleRefresh at most) for another
			// pass: a server need not announce mail that came between the pass's
			// search and IDLE, and messages left for later (a temporary handler
			// error) are tried again, not only when new mail comes.
			err = w.idle(ctx, s, min(w.cfg.PollInterval, w.cfg.IdleRefresh))
		} else {
			err = w.poll(ctx, s)
		}
		if err != nil {
			return orCtx(ctx, err)
		}
	}
}

var errClosed = errors.New("inbox: the server closed the connection")

// idle waits in IDLE until the server reports new mail, wait passes, the
// connection drops or ctx ends.
func (w *Watcher) idle(ctx context.Context, s *session, wait time.Duration) error {
	cmd, err := s.c.Idle()
	if err != nil {
		return fmt.Errorf("inbox: IDLE: %w", err)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	closed := false
	select {
	case <-s.newMail:
	case <-t.C:
	case <-ctx.Done():
	case <-s.c.Closed():
		closed = true
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("inbox: end IDLE: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("inbox: IDLE: %w", err)
	}
	if closed {
		return errClosed
	}
	return ctx.Err()
}

// poll waits PollInterval, unless the connection drops or ctx ends first.
func (w *Watcher) poll(ctx context.Context, s *session) error {
	t := time.NewTimer(w.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.c.Closed():
		return errClosed
	}
}
