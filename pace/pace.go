// Package pace keeps outgoing mail under configured rates shared by every
// worker through Redis: so many messages a second and a minute in all, and so
// many a minute to any one recipient domain. A Pacer wraps the mailer: a message
// over a limit waits for its turn inside the task when the wait is short, and
// otherwise goes back to the queue with a *Deferred error, which the worker
// retries after the wait without counting it as a failed attempt (see
// jobs.NewServer). Nothing over a limit is dropped.
//
// The limits are GCRA limiters from package ratelimit. A message takes its turn
// from each limit in order, per-domain first; when a later limit refuses, the
// turns already taken are spent, so with several limits set the sustained rate
// can be a little below the tightest one.
package pace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/ratelimit"
)

// Sender sends one message; *mailer.Mailer and *mailer.Pool are.
type Sender interface {
	Send(ctx context.Context, msg mailer.Message) error
}

// Config is the pace. Zero rates are unlimited.
type Config struct {
	PerSecond       int // messages a second, all workers together
	PerMinute       int // messages a minute, all workers together
	PerDomainMinute int // messages a minute to one recipient domain
	// MaxWait is how long a message waits for its turn inside its task before it
	// is handed back to the queue; 0: DefaultMaxWait.
	MaxWait time.Duration
}

// DefaultMaxWait is the default Config.MaxWait: well inside a send task's timeout.
const DefaultMaxWait = 30 * time.Second

// Unlimited reports whether c limits nothing.
func (c Config) Unlimited() bool {
	return c.PerSecond <= 0 && c.PerMinute <= 0 && c.PerDomainMinute <= 0
}

// Deferred is the error of a message that must wait longer than MaxWait: the
// task goes back to the queue and is tried again after Wait. It matches
// mailer.ErrTemporary, so handlers retry it as any temporary failure.
type Deferred struct {
	Wait  time.Duration
	Limit string // which limit: "second", "minute" or "domain"
}

func (d *Deferred) Error() string {
	return fmt.Sprintf("pace: send limit per %s reached: try again in %s", d.Limit, d.Wait.Round(time.Millisecond))
}

// Is makes errors.Is(d, mailer.ErrTemporary) true.
func (d *Deferred) Is(target error) bool { return target == mailer.ErrTemporary }

// DeferredWait returns the wait of a *Deferred in err's chain.
func DeferredWait(err error) (time.Duration, bool) {
	var d *Deferred
	if errors.As(err, &d) {
		return d.Wait, true
	}
	return 0, false
}

// limit is one limiter and how a message picks its subject.
type limit struct {
	name    string
	lim     *ratelimit.Limiter
	subject func(mailer.Message) string
}

// Pacer sends through next at the configured pace. It is safe for concurrent use.
type Pacer struct {
	rdb    redis.UniversalClient // the limits' client; nil when unlimited
	next   Sender
	limits []limit
	cfg    Config
	log    *slog.Logger
	sleep  func(ctx context.Context, d time.Duration) error

	sent, deferred atomic.Int64
	waiting        atomic.Int64
	mu             sync.Mutex
	recent         []time.Time // send times within the last rateWindow
}

// New returns a Pacer over next with the limits of cfg kept in rdb (nil only
// when cfg is unlimited).
func New(rdb redis.UniversalClient, next Sender, cfg Config, log *slog.Logger) (*Pacer, error) {
	if cfg.PerSecond < 0 || cfg.PerMinute < 0 || cfg.PerDomainMinute < 0 {
		return nil, fmt.Errorf("pace: rates must not be negative: %+v", cfg)
	}
	if !cfg.Unlimited() && rdb == nil {
		return nil, errors.New("pace: limits need Redis")
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pacer{rdb: rdb, next: next, cfg: cfg, log: log, sleep: sleepCtx}
	all := func(mailer.Message) string { return "all" }
	if cfg.PerDomainMinute > 0 {
		p.limits = append(p.limits, limit{"domain", ratelimit.New(rdb, "send-domain",
			ratelimit.Limit{Rate: cfg.PerDomainMinute, Per: time.Minute, Burst: max(1, cfg.PerDomainMinute/10)}), recipientDomain})
	}
	if cfg.PerMinute > 0 {
		p.limits = append(p.limits, limit{"minute", ratelimit.New(rdb, "send-minute",
			ratelimit.Limit{Rate: cfg.PerMinute, Per: time.Minute, Burst: max(1, cfg.PerMinute/60)}), all})
	}
	if cfg.PerSecond > 0 {
		// A burst of 2 absorbs the few milliseconds a waiting worker wakes late,
		// so the sustained rate is the configured one.
		p.limits = append(p.limits, limit{"second", ratelimit.New(rdb, "send-second",
			ratelimit.Limit{Rate: cfg.PerSecond, Per: time.Second, Burst: 2}), all})
	}
	return p, nil
}

func recipientDomain(msg mailer.Message) string {
	return strings.ToLower(msg.To[strings.LastIndexByte(msg.To, '@')+1:])
}

// Send waits for msg's turn under every limit, then sends it through next. A
// wait longer than MaxWait (or than the task's deadline allows) returns a
// *Deferred instead, except on the task's last attempt, which waits as long as
// its deadline allows. A Redis error is returned as a temporary failure.
func (p *Pacer) Send(ctx context.Context, msg mailer.Message) error {
	if len(p.limits) > 0 {
		if err := p.await(ctx, msg); err != nil {
			return err
		}
	}
	err := p.next.Send(ctx, msg)
	if err == nil {
		p.count(time.Now())
	}
	return err
}

// await returns when msg may be sent, or with the error that says why not now.
func (p *Pacer) await(ctx context.Context, msg mailer.Message) error {
	budget := p.cfg.MaxWait
	if retried, ok := asynq.GetRetryCount(ctx); ok {
		if maxRetry, _ := asynq.GetMaxRetry(ctx); retried >= maxRetry {
			budget = 24 * time.Hour // the last attempt: never hand it back
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)-10*time.Second) // leave time to send
	}
	start := time.Now()
	for {
		wait, which, err := p.take(ctx, msg)
		if err != nil {
			return &mailer.SendError{Temporary: true, Err: err}
		}
		if wait == 0 {
			return nil
		}
		if time.Since(start)+wait > budget {
			p.deferred.Add(1)
			return &Deferred{Wait: wait, Limit: which}
		}
		p.waiting.Add(1)
		err = p.sleep(ctx, wait)
		p.waiting.Add(-1)
		if err != nil {
			return &mailer.SendError{Temporary: true, Err: err}
		}
	}
}

// take takes msg's turn from every limit, all in one round trip. When one refuses,
// the turns the others gave are given back (so that a message held back by one
// limit costs the others nothing), and take returns how long until the slowest
// refusing limit allows, and its name.
func (p *Pacer) take(ctx context.Context, msg mailer.Message) (time.Duration, string, error) {
	reads := make([]func() (ratelimit.Result, error), len(p.limits))
	_, _ = p.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error { // errors are each read's
		for i, l := range p.limits {
			reads[i] = l.lim.Queue(ctx, pl, l.subject(msg))
		}
		return nil
	})
	var (
		wait    time.Duration
		which   string
		taken   []limit
		takeErr error
	)
	for i, l := range p.limits {
		res, err := reads[i]()
		switch {
		case err != nil:
			takeErr = errors.Join(takeErr, err)
		case res.Allowed:
			taken = append(taken, l)
		case max(res.RetryAfter, time.Millisecond) > wait:
			wait, which = max(res.RetryAfter, time.Millisecond), l.name
		}
	}
	if takeErr == nil && wait == 0 {
		return 0, "", nil
	}
	for _, l := range taken {
		if err := l.lim.Refund(ctx, l.subject(msg)); err != nil {
			p.log.Warn("pace: a turn not given back", "limit", l.name, "err", err)
		}
	}
	if takeErr != nil {
		return 0, "", fmt.Errorf("pace: %w", takeErr)
	}
	return wait, which, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
