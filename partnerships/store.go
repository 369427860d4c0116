package partnerships

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store keeps partnerships in Redis (a single server or a Redis Cluster). It is safe
// for concurrent use. Every state change is one Lua script over keys of a single hash
// slot; the two operations that span slots (customer creation and adding a customer
// user) order their steps so a crash between them leaves nothing visible.
type Store struct {
	rdb redis.UniversalClient
	now func() time.Time

	// observe, when set (tests), sees every script run with its keys before it runs.
	observe func(script string, keys []string)

	plainScripts bool // run scripts without their "#!lua" flags line

	suppressAfter int // hard bounces after which an address is suppressed

	reminders []time.Duration // before expiry, when CreateInvitation schedules reminders (sched)

	apiKeyPartners apiKeyPartnerCache // partner ids of API key digests found good (apikeys.go)
}

// Option configures a Store.
type Option func(*Store)

// WithClock makes the store read the time from now instead of time.Now. Scripts never
// read the server's clock: the time is passed in, so tests control it.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithoutScriptFlags runs the scripts without their "#!lua" line, for Redis
// look-alikes that do not know Redis 7 script flags (the embedded miniredis of
// `partnerlink dev`). On a real Redis keep the flags: they make a cluster node
// refuse a script that strays outside its hash slot.
func WithoutScriptFlags() Option {
	return func(s *Store) { s.plainScripts = true }
}

// NewStore returns a Store on rdb.
func NewStore(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, now: time.Now, suppressAfter: DefaultSuppressAfter, reminders: DefaultReminders}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Client returns the Redis client the store runs on.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("partnerships: ping: %w", err)
	}
	return nil
}

// nowMS is the store's time truncated to milliseconds, the precision it stores.
func (s *Store) nowMS() time.Time { return s.now().UTC().Truncate(time.Millisecond) }
