package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// dueKey is the scheduler's due set (partnerships/keys.go).
const dueKey = "pl:{schedule}:due"

// countingEnqueuer takes every due task: the figure is finding and removing due
// entries, not asynq (as in jobs.BenchmarkSweep).
type countingEnqueuer struct{ n int }

func (c *countingEnqueuer) EnqueueDue(context.Context, partnerships.Due) error { c.n++; return nil }

func sweepID(i int) string { return fmt.Sprintf("in_aaaaaaaaaaaaaaaa_%016d", i) }

// benchSweep (item 3): the scheduler's Sweep finding 1,000 due entries among
// 1,000 pending ones, then among o.sweepPending (1,000,000) pending ones, loaded
// by pipelined ZADD. Medians of o.sweepRuns sweeps. It empties Redis afterwards.
func benchSweep(ctx context.Context, e *env) ([]row, error) {
	const due = 1000
	now := time.Now().UTC()
	s := jobs.NewScheduler(e.store, e.rdb, &countingEnqueuer{}, jobs.SchedulerConfig{Now: func() time.Time { return now }},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	dueZ := make([]redis.Z, due)
	for i := range dueZ {
		dueZ[i] = redis.Z{Score: float64(now.Add(-time.Hour).UnixMilli() + int64(i)), Member: "expire:" + sweepID(i)}
	}
	later := float64(now.Add(24 * time.Hour).UnixMilli())
	loaded := 0
	median := func(pending int) (time.Duration, error) {
		for loaded < pending { // pending entries due tomorrow
			pipe := e.rdb.Pipeline()
			for c := 0; c < 100 && loaded < pending; c++ {
				zs := make([]redis.Z, 0, 1000)
				for ; len(zs) < 1000 && loaded < pending; loaded++ {
					zs = append(zs, redis.Z{Score: later + float64(loaded), Member: "expire:" + sweepID(due+loaded)})
				}
				pipe.ZAdd(ctx, dueKey, zs...)
			}
			if _, err := pipe.Exec(ctx); err != nil {
				return 0, err
			}
		}
		var ds []time.Duration
		for range e.o.sweepRuns {
			if err := e.rdb.ZAdd(ctx, dueKey, dueZ...).Err(); err != nil {
				return 0, err
			}
			start := time.Now()
			n, err := s.Sweep(ctx)
			d := time.Since(start)
			if err != nil {
				return 0, err
			}
			if n != due {
				return 0, fmt.Errorf("Sweep found %d due entries, want %d", n, due)
			}
			ds = append(ds, d)
		}
		if left, err := e.rdb.ZCard(ctx, dueKey).Result(); err != nil || int(left) != pending {
			return 0, fmt.Errorf("%d entries left after sweeping (%v), want the %d pending", left, err, pending)
		}
		slices.Sort(ds)
		return ds[len(ds)/2], nil
	}
	small, err := median(1000)
	if err != nil {
		return nil, err
	}
	large, err := median(e.o.sweepPending)
	if err != nil {
		return nil, err
	}
	if err := e.rdb.FlushAll(ctx).Err(); err != nil {
		return nil, err
	}
	ratio := float64(large) / float64(small)
	return []row{{
		figure: fmt.Sprintf("3. sweep: 1,000 due among %s pending (median of %d)", commas(float64(e.o.sweepPending)), e.o.sweepRuns),
		got:    ms(large),
		ref:    "1,000 due among 1,000 pending: " + ms(small),
		ratio:  fmt.Sprintf("%.2f×", ratio),
		target: "≤ 2×",
		met:    metStr(ratio <= 2),
	}}, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
