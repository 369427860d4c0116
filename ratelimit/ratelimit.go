// Package ratelimit limits how often a subject (a partner, a client address) may do
// something, with the state in Redis so that every partnerlink process shares it.
//
// The algorithm is GCRA, the generic cell rate algorithm (a leaky bucket kept as one
// timestamp): a subject may make Burst requests at once, and then one more every
// Per/Rate; unused budget refills at that pace up to Burst again. Each subject is
// one Redis key holding one number, written by one Lua script (gcra.lua) that is
// given the time by the caller and never reads the server's clock, so every process
// must have a roughly correct clock. A key expires by itself as soon as its subject
// is back to a full budget.
package ratelimit

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limit is how much a subject may do: Rate requests per Per on average, up to
// Burst at once. Rate 0 means unlimited. A Burst below 1 counts as 1.
type Limit struct {
	Rate  int
	Per   time.Duration
	Burst int
}

// Unlimited reports whether l lets everything through.
func (l Limit) Unlimited() bool { return l.Rate <= 0 }

// Validate reports a limit that cannot work: a rate with no positive period, or a
// negative rate or burst.
func (l Limit) Validate() error {
	switch {
	case l.Rate < 0 || l.Burst < 0:
		return fmt.Errorf("ratelimit: rate %d and burst %d must not be negative", l.Rate, l.Burst)
	case l.Rate > 0 && l.Per <= 0:
		return fmt.Errorf("ratelimit: %d per %s: the period must be positive", l.Rate, l.Per)
	}
	return nil
}

// Result is the decision on one request.
type Result struct {
	Allowed    bool
	Remaining  int           // requests the subject may still make at once; -1 when unlimited
	RetryAfter time.Duration // when refused, how long until one request is allowed; else 0
}

// Limiter applies one Limit to many subjects.
type Limiter struct {
	rdb      redis.UniversalClient
	name     string
	limit    Limit
	interval int64 // µs between requests at the sustained rate
	burst    int64
	now      func() time.Time
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock makes the limiter read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(l *Limiter) { l.now = now }
}

//go:embed gcra.lua
var gcraSource string

var gcraScript = redis.NewScript(gcraSource)

//go:embed gcra_refund.lua
var refundSource string

var refundScript = redis.NewScript(refundSource)

var validName = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// New returns a limiter named name (part of its Redis keys: lower-case letters,
// digits, "_" and "-") applying l on rdb. rdb may be nil when l is unlimited. New
// panics on a bad name or a limit that fails Validate: both are programming errors.
func New(rdb redis.UniversalClient, name string, l Limit, opts ...Option) *Limiter {
	if !validName.MatchString(name) {
		panic(fmt.Sprintf("ratelimit: bad limiter name %q", name))
	}
	if err := l.Validate(); err != nil {
		panic(err.Error())
	}
	if !l.Unlimited() && rdb == nil {
		panic("ratelimit: a limited Limiter needs a Redis client")
	}
	lim := &Limiter{rdb: rdb, name: name, limit: l, burst: int64(max(1, l.Burst)), now: time.Now}
	if !l.Unlimited() {
		lim.interval = max(1, l.Per.Microseconds()/int64(l.Rate))
	}
	for _, o := range opts {
		o(lim)
	}
	return lim
}

// Limit returns the limit the limiter applies.
func (l *Limiter) Limit() Limit { return l.limit }

// Client returns the Redis client the limiter was made with (nil for none).
func (l *Limiter) Client() redis.UniversalClient { return l.rdb }

// Allow takes one request from subject's budget, or refuses it. An unlimited
// limiter allows at once without touching Redis. On a Redis error it returns the
// error and a zero Result; the caller chooses whether to let the request through.
func (l *Limiter) Allow(ctx context.Context, subject string) (Result, error) {
	if l.limit.Unlimited() {
		return Result{Allowed: true, Remaining: -1}, nil
	}
	return l.result(gcraScript.Run(ctx, l.rdb, []string{subjectKey(l.name, subject)}, l.args()...).Int64Slice())
}

// Queue adds one decision for subject, as Allow makes it, to pipeline p, so that it
// rides in a round trip the caller makes anyway, and returns the function that
// reads it once p has run. p must be a pipeline of the client the limiter was made
// with. When Redis does not know the script yet (the first decision after a start,
// a restart or SCRIPT FLUSH), the read makes the decision with Allow instead, in a
// round trip of its own. An unlimited limiter adds nothing.
func (l *Limiter) Queue(ctx context.Context, p redis.Pipeliner, subject string) func() (Result, error) {
	if l.limit.Unlimited() {
		return func() (Result, error) { return Result{Allowed: true, Remaining: -1}, nil }
	}
	cmd := gcraScript.EvalSha(ctx, p, []string{subjectKey(l.name, subject)}, l.args()...)
	return func() (Result, error) {
		if redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
			return l.Allow(ctx, subject)
		}
		return l.result(cmd.Int64Slice())
	}
}

// Refund gives back one request that Allow (or Queue) allowed for subject and
// the caller did not use after all: say, a second limit refused the same request.
// Without it the turn would be lost, and a subject under several limits would run
// below the tightest one. An unlimited limiter does nothing.
func (l *Limiter) Refund(ctx context.Context, subject string) error {
	if l.limit.Unlimited() {
		return nil
	}
	if err := refundScript.Run(ctx, l.rdb, []string{subjectKey(l.name, subject)}, l.now().UnixMicro(), l.interval).Err(); err != nil {
		return fmt.Errorf("ratelimit: %s: refund: %w", l.name, err)
	}
	return nil
}

// args are the script's ARGV for a decision now.
func (l *Limiter) args() []any { return []any{l.now().UnixMicro(), l.interval, l.burst} }

// result reads the script's reply.
func (l *Limiter) result(v []int64, err error) (Result, error) {
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: %s: %w", l.name, err)
	}
	if len(v) != 3 {
		return Result{}, fmt.Errorf("ratelimit: %s: %w", l.name, errors.New("unexpected script reply"))
	}
	return Result{Allowed: v[0] == 1, Remaining: int(v[1]), RetryAfter: time.Duration(v[2]) * time.Microsecond}, nil
}
