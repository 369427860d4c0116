package main

import (
	"context"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/mailroom"
	"github.com/partnerlink/partnerlink/partnerships"
)

func runInbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("inbox", "Reads partnerlink's mailbox over IMAP: partners' requests for invitations and\n"+
		"bounces of invitations sent. Each message is handled once and moved to Processed or Rejected.", stdout,
		"redis-url", "imap-url", "inbox-address", "trusted-authserv", "invite-ttl", "log-format", "log-level",
		"reminders",    // Scheduler (sched)
		"metrics-addr") // Observability (metrics)
	once := f.fs.Bool("once", false, "handle what is in the mailbox now, then exit")
	cfg, err := f.parse(args, "redis-url", "imap-url", "inbox-address")
	if err != nil {
		return err
	}
	ic, err := inbox.ParseURL(cfg.IMAPURL)
	if err != nil {
		return configErrorf("--imap-url (PARTNERLINK_IMAP_URL): %v", err)
	}
	mc, err := mailroomConfig(cfg)
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
	router := mailroom.New(mc, partnerships.NewStore(rdb, partnerships.WithReminders(cfg.Reminders)), jobs.NewEnqueuer(client), log.With("component", "mailroom"))
	w, err := inbox.NewWatcher(ic, rdb, router, log.With("component", "inbox"))
	if err != nil {
		return err
	}
	if !*once { // Observability (metrics)
		if err := observeProcess(ctx, cfg.MetricsAddr, router.SetMetrics, connOpt, rdb, log); err != nil {
			return err
		}
	}
	if *once {
		stats, err := w.Pass(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d seen, %d processed, %d rejected, %d left for later\n", stats.Seen, stats.Processed, stats.Rejected, stats.Retried)
		return nil
	}
	log.Info("inbox started", "imap", ic.Addr, "mailbox", ic.Mailbox)
	return w.Run(ctx)
}

// mailroomConfig checks the inbox's address and the trusted authentication servers.
func mailroomConfig(cfg config) (mailroom.Config, error) {
	a, err := mail.ParseAddress(cfg.InboxAddress)
	if err != nil || a.Name != "" {
		return mailroom.Config{}, configErrorf("--inbox-address (PARTNERLINK_INBOX_ADDRESS) %q: want a plain address such as partnerlink@example.com", cfg.InboxAddress)
	}
	var trusted []string
	for _, t := range strings.Split(cfg.TrustedAuthServ, ",") {
		if t = strings.TrimSpace(t); t != "" {
			trusted = append(trusted, t)
		}
	}
	return mailroom.Config{Address: a.Address, TrustedAuthServ: trusted, InviteTTL: cfg.InviteTTL}, nil
}
