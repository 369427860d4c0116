package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/tokens"
)

// schedulerLockKey is the lock that lets one scheduler act at a time (its own
// hash tag, like the due set).
const schedulerLockKey = "pl:{schedule}:lock"

// schedulerLock is a Redis lock (SET NX PX) held by one scheduler, renewed by its
// holder and released on stop. Renew and release act only when the lock still
// holds the holder's random token.
type schedulerLock struct {
	rdb   redis.UniversalClient
	token string
	ttl   time.Duration
}

func newSchedulerLock(rdb redis.UniversalClient, ttl time.Duration) *schedulerLock {
	return &schedulerLock{rdb: rdb, token: tokens.NewID(), ttl: ttl}
}

var (
	renewLock = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)
	releaseLock = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

// hold takes the lock or renews it if this scheduler holds it; it reports whether
// this scheduler holds it now.
func (l *schedulerLock) hold(ctx context.Context) (bool, error) {
	ok, err := l.rdb.SetNX(ctx, schedulerLockKey, l.token, l.ttl).Result()
	if err != nil {
		return false, fmt.Errorf("jobs: scheduler lock: %w", err)
	}
	if ok {
		return true, nil
	}
	n, err := renewLock.Run(ctx, l.rdb, []string{schedulerLockKey}, l.token, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("jobs: renew scheduler lock: %w", err)
	}
	return n == 1, nil
}

// release gives the lock up if this scheduler holds it.
func (l *schedulerLock) release(ctx context.Context) error {
	if err := releaseLock.Run(ctx, l.rdb, []string{schedulerLockKey}, l.token).Err(); err != nil {
		return fmt.Errorf("jobs: release scheduler lock: %w", err)
	}
	return nil
}
