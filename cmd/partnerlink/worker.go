package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/pace"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
)

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("worker", "Sends invitation emails from the queue.", stdout,
		"redis-url", "smtp-url", "mail-from", "base-url", "token-keys", "concurrency", "smtp-conns", "log-format", "log-level",
		"dkim-key", "dkim-selector", "dkim-domain", "send-rate", "send-rate-minute", "send-rate-domain",
		"metrics-addr") // Observability (metrics)
	cfg, err := f.parse(args, "redis-url", "smtp-url", "base-url", "token-keys")
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	ring, err := newRing(cfg.TokenKeys)
	if err != nil {
		return err
	}
	lb, err := newLinks(cfg.BaseURL)
	if err != nil {
		return err
	}
	mc, err := mailerConfig(cfg.SMTPURL, cfg.MailFrom, lb)
	if err != nil {
		return err
	}
	if mc.DKIM, err = dkimKeys(cfg, messageIDDomain(mc.From)); err != nil {
		return err
	}
	rdb, connOpt, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	warnDurability(ctx, rdb, log) // faults
	m, err := mailer.NewPool(mc, cfg.SMTPConns, log.With("component", "mailer"))
	if err != nil {
		return err
	}
	defer m.Close()
	tpl, err := templates.New()
	if err != nil {
		return err
	}
	// deliver: every message waits for its turn under the send rates.
	pacer, err := pace.New(rdb, m, pace.Config{PerSecond: cfg.SendRate, PerMinute: cfg.SendRateMinute, PerDomainMinute: cfg.SendRateDomain}, log.With("component", "pace"))
	if err != nil {
		return configErrorf("--send-rate: %v", err)
	}
	insp := asynq.NewInspector(connOpt)
	defer insp.Close()
	go pacer.Report(ctx, 30*time.Second, func() (int, error) { return pace.Backlog(insp, jobs.QueueMail) })
	store := partnerships.NewStore(rdb)
	sender, routes := mailJobs(store, tpl, pacer, ring, lb, messageIDDomain(mc.From), log)
	client := asynq.NewClient(connOpt) // the expiry and relationship tasks tell partners and customers
	defer client.Close()
	routes = append(routes, dueJobs(store, tpl, pacer, ring, lb, messageIDDomain(mc.From), jobs.NewEnqueuer(client), log)...)
	if err := observeWorker(ctx, cfg.MetricsAddr, sender, routes, pacer, insp, rdb, log); err != nil { // Observability (metrics)
		return err
	}
	log.Info("worker started", "smtp", fmt.Sprintf("%s:%d", mc.Host, mc.Port), "concurrency", cfg.Concurrency, "smtp_connections", cfg.SMTPConns,
		"dkim", dkimSummary(mc.DKIM), "send_rate", cfg.SendRate, "send_rate_minute", cfg.SendRateMinute, "send_rate_domain", cfg.SendRateDomain)
	return runQueue(ctx, connOpt, jobs.ServerConfig{Concurrency: cfg.Concurrency}, sender, routes, log)
}

// mailJobs returns the handler of invitation:send and the routes of the other
// tasks that send mail (bounce notices to partners, answers to emailed requests).
func mailJobs(store *partnerships.Store, tpl *templates.Set, m jobs.Mailer, ring *tokens.Ring, lb *links.Builder, domain string, log *slog.Logger) (*jobs.Sender, []jobs.Route) {
	routes := []jobs.Route{
		{Type: jobs.TypeBounceNotice, Handler: jobs.NewBounceNotifier(store, tpl, m, domain, log.With("component", "bounce-notice"))},
		{Type: jobs.TypeRequestReply, Handler: jobs.NewRequestReplier(tpl, m, domain, log.With("component", "request-reply"))},
		// Directory helper: notifications of relationship events (email + webhook).
		{Type: jobs.TypeNotify, Handler: jobs.NewNotifier(store, tpl, m, domain, log.With("component", "notify"))},
		{Type: jobs.TypeSendLead, Handler: jobs.NewLeadSender(store, tpl, m, lb, domain, log.With("component", "lead"))},
	}
	// Customer portal: sign-in links and agreement requests.
	routes = append(routes, jobs.NewPortalMailer(store, tpl, m, ring, lb, domain, log.With("component", "portal-mail")).Routes()...)
	return jobs.NewSender(store, tpl, m, ring, lb, domain, log.With("component", "sender")), routes
}

// runQueue processes tasks until ctx ends, then lets in-flight tasks finish.
func runQueue(ctx context.Context, connOpt asynq.RedisConnOpt, cfg jobs.ServerConfig, sender *jobs.Sender, routes []jobs.Route, log *slog.Logger) error {
	srv := jobs.NewLanes(connOpt, cfg, log) // bench: several dequeues in flight (jobs/lanes.go)
	if err := srv.Start(jobs.NewMux(sender, routes...)); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	<-ctx.Done()
	log.Info("worker stopping: letting in-flight sends finish")
	srv.Shutdown()
	return nil
}
