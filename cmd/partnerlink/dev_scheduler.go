package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
)

// devSweepInterval is how often dev's scheduler looks for due work: short, so
// reminders and expiries of invitations with a short --invite-ttl show up soon.
const devSweepInterval = 2 * time.Second

// startScheduler runs the scheduler in dev's process until close (sched).
func (d *devSystem) startScheduler(ctx context.Context, store *partnerships.Store, enq *jobs.Enqueuer, log *slog.Logger) {
	s := jobs.NewScheduler(store, d.rdb, enq, jobs.SchedulerConfig{Interval: devSweepInterval}, log.With("component", "scheduler"))
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.sched, d.swept = cancel, make(chan struct{})
	go func() {
		defer close(d.swept)
		if err := s.Run(sctx); err != nil {
			log.Error("scheduler stopped", "err", err)
		}
	}()
}
