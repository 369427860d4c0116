package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/internal/testredis"
	"github.com/partnerlink/partnerlink/partnerships"
)

// countingEnqueuer takes every task: the benchmark measures finding and removing
// due entries, not asynq.
type countingEnqueuer struct{ n int }

func (c *countingEnqueuer) EnqueueDue(context.Context, partnerships.Due) error { c.n++; return nil }

// benchInvitationID is the i-th well-formed invitation id.
func benchInvitationID(i int) string {
	return fmt.Sprintf("in_aaaaaaaaaaaaaaaa_%016d", i)
}

// BenchmarkSweep sweeps 1,000 due entries among 1,000 and among 1,000,000
// pending ones: a sweep costs O(due), so both should take about as long.
//
//	go test ./jobs -run '^$' -bench BenchmarkSweep -benchtime 20x
func BenchmarkSweep(b *testing.B) {
	const due = 1000
	for _, pending := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("due=%d/pending=%d", due, pending), func(b *testing.B) {
			srv := testredis.Start(b)
			rdb := srv.Client()
			ctx := context.Background()
			now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
			later := float64(now.Add(24 * time.Hour).UnixMilli())
			// Fill the due set directly: pending entries due tomorrow.
			const chunk = 1000
			for start := 0; start < pending; start += 100 * chunk {
				pipe := rdb.Pipeline()
				for c := start; c < min(start+100*chunk, pending); c += chunk {
					zs := make([]redis.Z, 0, chunk)
					for i := c; i < min(c+chunk, pending); i++ {
						zs = append(zs, redis.Z{Score: later + float64(i), Member: "expire:" + benchInvitationID(due+i)})
					}
					pipe.ZAdd(ctx, "pl:{schedule}:due", zs...)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			dueZ := make([]redis.Z, due)
			for i := range dueZ {
				dueZ[i] = redis.Z{Score: float64(now.Add(-time.Hour).UnixMilli() + int64(i)), Member: "expire:" + benchInvitationID(i)}
			}
			enq := &countingEnqueuer{}
			s := NewScheduler(partnerships.NewStore(rdb), rdb, enq, SchedulerConfig{Now: func() time.Time { return now }}, testLogger(b))
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := rdb.ZAdd(ctx, "pl:{schedule}:due", dueZ...).Err(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				n, err := s.Sweep(ctx)
				if err != nil || n != due {
					b.Fatalf("Sweep = %d, %v; want %d", n, err, due)
				}
			}
			b.StopTimer()
			if left, _ := rdb.ZCard(ctx, "pl:{schedule}:due").Result(); int(left) != pending {
				b.Fatalf("%d entries left, want the %d pending", left, pending)
			}
		})
	}
}
