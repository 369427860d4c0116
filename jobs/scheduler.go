package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/robfig/cron/v3"

	"github.com/partnerlink/partnerlink/partnerships"
)

// DueEnqueuer queues the task of a due entry; *Enqueuer is one.
type DueEnqueuer interface {
	EnqueueDue(ctx context.Context, d partnerships.Due) error
}

// SchedulerConfig tunes a Scheduler.
type SchedulerConfig struct {
	Interval time.Duration // between sweeps; default one minute
	Batch    int           // due entries read at once; default 500
	// LockTTL is how long the lock outlives its holder; default three intervals,
	// at least 10 seconds.
	LockTTL time.Duration
	Now     func() time.Time // default time.Now
}

// Scheduler enqueues due reminders, expiries and relationship notices and ends.
// Due work is read from the store's due set in batches, so a sweep costs O(due)
// reads whatever waits later. Only the holder of a Redis lock sweeps; and every
// task has a deterministic id kept after it finished (DueRetention), so two
// schedulers never queue one entry twice. An entry is removed once its task is
// queued or refused as a duplicate.
type Scheduler struct {
	store *partnerships.Store
	enq   DueEnqueuer
	lock  *schedulerLock
	cfg   SchedulerConfig
	log   *slog.Logger
}

// NewScheduler returns a scheduler over store's due set; rdb holds its lock.
func NewScheduler(store *partnerships.Store, rdb redis.UniversalClient, enq DueEnqueuer, cfg SchedulerConfig, log *slog.Logger) *Scheduler {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = max(3*cfg.Interval, 10*time.Second)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Scheduler{store: store, enq: enq, lock: newSchedulerLock(rdb, cfg.LockTTL), cfg: cfg, log: log}
}

// Sweep queues the tasks of every entry due now and removes those entries. It
// returns how many it queued (duplicates included). It does not take the lock:
// Run does.
func (s *Scheduler) Sweep(ctx context.Context) (int, error) {
	return s.sweep(ctx, nil)
}

// sweep is Sweep; between batches it calls stillHeld, when given, and stops once
// this scheduler lost the lock (a long backlog outlasting the lock's TTL).
func (s *Scheduler) sweep(ctx context.Context, stillHeld func(context.Context) (bool, error)) (int, error) {
	now := s.cfg.Now()
	total := 0
	for {
		due, err := s.store.DueBy(ctx, now, s.cfg.Batch)
		if err != nil {
			return total, err
		}
		done := make([]string, 0, len(due))
		var stop error
		for _, d := range due {
			if d.Kind == "" {
				s.log.Warn("dropping a malformed due entry", "entry", d.Member)
				done = append(done, d.Member)
				continue
			}
			err := s.enq.EnqueueDue(ctx, d)
			if err != nil && !errors.Is(err, ErrAlreadyQueued) {
				stop = err // the queue is unreachable: keep the rest for the next sweep
				break
			}
			done = append(done, d.Member)
		}
		if err := s.store.DueDone(ctx, done...); err != nil {
			return total, err
		}
		total += len(done)
		if stop != nil {
			return total, fmt.Errorf("jobs: sweep: %w", stop)
		}
		if len(due) < s.cfg.Batch {
			return total, nil
		}
		if stillHeld != nil {
			if held, err := stillHeld(ctx); err != nil || !held {
				return total, fmt.Errorf("jobs: sweep: lost the scheduler lock (%v)", err)
			}
		}
	}
}

// tick sweeps if this scheduler holds (or now takes) the lock.
func (s *Scheduler) tick(ctx context.Context) {
	held, err := s.lock.hold(ctx)
	if err != nil {
		s.log.Error("scheduler lock", "err", err)
		return
	}
	if !held {
		s.log.Debug("another scheduler holds the lock")
		return
	}
	n, err := s.sweep(ctx, s.lock.hold)
	if err != nil {
		s.log.Error("sweep failed", "queued", n, "err", err)
		return
	}
	if n > 0 {
		s.log.Info("sweep queued due work", "queued", n)
	}
}

// Run sweeps every Interval (a cron "@every" schedule) until ctx ends, then
// releases the lock.
func (s *Scheduler) Run(ctx context.Context) error {
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc(fmt.Sprintf("@every %s", s.cfg.Interval), func() { s.tick(ctx) }); err != nil {
		return fmt.Errorf("jobs: scheduler: %w", err)
	}
	s.tick(ctx) // at once, not only after the first interval
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return s.lock.release(rctx)
}
