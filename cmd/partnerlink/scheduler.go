package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

func runScheduler(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("scheduler", "Queues due reminders, invitation expiries and the notices and ends of time-bound\n"+
		"relationships (workers send them). Run one or more: one acts at a time.", stdout,
		"redis-url", "sweep-interval", "log-format", "log-level",
		"metrics-addr") // Observability (metrics)
	cfg, err := f.parse(args, "redis-url")
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	rdb, connOpt, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	client := asynq.NewClient(connOpt)
	defer client.Close()
	s := jobs.NewScheduler(partnerships.NewStore(rdb), rdb, jobs.NewEnqueuer(client),
		jobs.SchedulerConfig{Interval: cfg.SweepInterval}, log.With("component", "scheduler"))
	if err := observeProcess(ctx, cfg.MetricsAddr, nil, connOpt, rdb, log); err != nil { // Observability (metrics)
		return err
	}
	log.Info("scheduler started", "sweep_interval", cfg.SweepInterval)
	return s.Run(ctx)
}

// dueJobs returns the routes of the scheduler's tasks: reminders, expiries and
// the notices and ends of time-bound relationships (sched).
func dueJobs(store *partnerships.Store, tpl *templates.Set, m jobs.Mailer, ring *tokens.Ring, lb *links.Builder, domain string, n jobs.EventQueue, log *slog.Logger) []jobs.Route {
	return jobs.DueRoutes(
		jobs.NewReminder(store, tpl, m, ring, lb, domain, log.With("component", "reminder")),
		jobs.NewExpirer(store, n, log.With("component", "expirer")),
		jobs.NewTermKeeper(store, n, log.With("component", "terms")),
	)
}
