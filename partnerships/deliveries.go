package partnerships

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Deliveries records which channels of a notification went out, so a retried task
// sends only the rest. task is the notification task's id.

// Delivered returns the channels already delivered for task.
func (s *Store) Delivered(ctx context.Context, task string) (map[string]bool, error) {
	return readDelivered(ctx, s.rdb, task)()
}

// RecordDelivered notes that channel of task went out; the record lives for ttl.
func (s *Store) RecordDelivered(ctx context.Context, task, channel string, ttl time.Duration) error {
	key := deliveredKey(task)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, channel, msString(s.nowMS()))
		p.PExpire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("partnerships: record delivery of %s: %w", channel, err)
	}
	return nil
}
