package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/partnerlink/partnerlink/inbox"
	"github.com/partnerlink/partnerlink/internal/memimap"
	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/links"
	"github.com/partnerlink/partnerlink/mailer"
	"github.com/partnerlink/partnerlink/mailroom"
	"github.com/partnerlink/partnerlink/mailsink"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/tokens"
	"github.com/partnerlink/partnerlink/web"
)

// devMailPath is where the embedded SMTP server's messages are shown.
const devMailPath = "/dev/mail/"

// defaultDevIMAPAddr is where dev's in-memory IMAP server listens by default.
const defaultDevIMAPAddr = "127.0.0.1:1143"

// The account of dev's in-memory IMAP server: partnerlink's inbox.
const (
	devIMAPUser     = "partnerlink"
	devIMAPPassword = "dev"
)

// devDomain is the mail domain of dev's sender and inbox.
const devDomain = "partnerlink.localhost"

// devAddrs are the loopback addresses of dev's embedded mail servers.
type devAddrs struct{ SMTP, IMAP string }

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("dev", "Runs everything in one process on embedded defaults: an in-memory Redis, an SMTP\n"+
		"server that keeps every message and shows it on "+devMailPath+", the API, the pages and the worker,\n"+
		"with a demo partner, a demo customer and one demo invitation sent at start.", stdout,
		"http-addr", "agreements-dir", "invite-ttl", "api-rate", "link-rate", "log-format", "log-level",
		"reminders", "operator-key")
	smtpAddr := f.fs.String("smtp-addr", "127.0.0.1:2525", "address of the embedded SMTP server")
	imapAddr := f.fs.String("imap-addr", defaultDevIMAPAddr, "address of the embedded IMAP server (the inbox partner requests and bounces arrive in)")
	cfg, err := f.parse(args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if cfg.OperatorKey == "" {
		cfg.OperatorKey = newOperatorKey() // directory: dev always has the operator API
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another with --http-addr)", cfg.HTTPAddr, err)
	}
	d, err := startDev(ctx, ln, devAddrs{SMTP: *smtpAddr, IMAP: *imapAddr}, cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer d.close()
	d.printWelcome(stdout)
	printDirectoryWelcome(stdout, d.base, cfg.OperatorKey)
	printAgreementWelcome(stdout, d.base, d.old) // journey
	return serveHTTP(ctx, ln, d.handler, log)
}

// devSystem is everything `dev` runs in one process.
type devSystem struct {
	redis   *miniredis.Miniredis
	rdb     *redis.Client
	sink    *mailsink.Sink
	imap    *memimap.Server
	inbox   context.CancelFunc // stops the inbox watcher
	inboxed chan struct{}      // closed when it has stopped
	reqAddr string             // the demo partner's secret request address
	mail    *mailer.Pool
	client  *asynq.Client
	worker  *asynq.Server
	sched   context.CancelFunc // stops the scheduler (sched)
	swept   chan struct{}      // closed when it has stopped
	handler http.Handler
	base    string
	apiKey  string
	demoInv partnerships.Invitation
	old     devOldPartner // journey: the second demo partner, for the agreement-alone flow
}

func startDev(ctx context.Context, ln net.Listener, addrs devAddrs, cfg config, log *slog.Logger) (_ *devSystem, err error) {
	d := &devSystem{base: "http://" + ln.Addr().String()}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.redis, err = miniredis.Run(); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	d.rdb = redis.NewClient(&redis.Options{Addr: d.redis.Addr()})
	connOpt := asynq.RedisClientOpt{Addr: d.redis.Addr()}
	if d.sink, err = mailsink.Start(mailsink.Options{Addr: addrs.SMTP, Logger: log.With("component", "mailsink")}); err != nil {
		return nil, fmt.Errorf("start embedded SMTP server on %s: %w (choose another with --smtp-addr)", addrs.SMTP, err)
	}
	key, err := tokens.GenerateKey("dev")
	if err != nil {
		return nil, err
	}
	ring, err := tokens.NewRing([]tokens.Key{key})
	if err != nil {
		return nil, err
	}
	lb, err := links.New(d.base)
	if err != nil {
		return nil, err
	}
	lib, err := loadAgreements(cfg.AgreementsDir)
	if err != nil {
		return nil, err
	}
	tpl, err := templates.New()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(d.sink.Addr())
	if d.mail, err = mailer.NewPool(mailer.Config{
		Host: host, Port: atoiOr(port, 2525), TLS: mailer.TLSNone,
		From: "noreply@" + devDomain, FromName: "partnerlink", Timeout: 10 * time.Second,
	}, 4, log.With("component", "mailer")); err != nil {
		return nil, err
	}
	store := partnerships.NewStore(d.rdb, partnerships.WithoutScriptFlags(), partnerships.WithReminders(cfg.Reminders))
	d.client = asynq.NewClient(connOpt)
	enq := jobs.NewEnqueuer(d.client)
	obs, err := devObservability(ctx, connOpt) // Observability (metrics)
	if err != nil {
		return nil, err
	}
	app, err := web.New(webConfig(cfg), web.Deps{
		Store: store, Tokens: ring, Agreements: lib, Templates: tpl, Links: lb, Enqueuer: enq, Logger: log, RDB: d.rdb,
		Metrics: obs.metrics, MetricsHandler: obs.handler,
	})
	if err != nil {
		return nil, err
	}
	sender, routes := mailJobs(store, tpl, d.mail, ring, lb, devDomain, log)
	routes = append(routes, dueJobs(store, tpl, d.mail, ring, lb, devDomain, enq, log)...) // Scheduler (sched)
	observeJobs(obs.metrics, sender, routes)                                               // Observability (metrics)
	d.worker = jobs.NewServer(connOpt, jobs.ServerConfig{Concurrency: 10}, log)
	if err := d.worker.Start(jobs.NewMux(sender, routes...)); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	d.startScheduler(ctx, store, enq, log) // Scheduler (sched)
	if err := d.seed(ctx, store, enq, cfg.InviteTTL); err != nil {
		return nil, err
	}
	if d.old, err = seedOldRelationship(ctx, store, d.demoInv.CustomerID, cfg.InviteTTL); err != nil { // journey
		return nil, err
	}
	if err := seedDirectory(ctx, store); err != nil { // directory: the demo partner is listed
		return nil, err
	}
	if d.imap, err = memimap.Start(addrs.IMAP, devIMAPUser, devIMAPPassword, log.With("component", "imap")); err != nil {
		return nil, fmt.Errorf("start embedded IMAP server on %s: %w (choose another with --imap-addr)", addrs.IMAP, err)
	}
	if err := d.watchInbox(ctx, store, enq, cfg, log); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(devMailPath, http.StripPrefix(devMailPath[:len(devMailPath)-1], d.sink.Handler()))
	mux.Handle("GET /{$}", http.RedirectHandler(devMailPath, http.StatusFound))
	mux.Handle("/", app)
	d.handler = mux
	return d, nil
}

// seed creates the demo partner, customer and invitation, and queues its send.
func (d *devSystem) seed(ctx context.Context, store *partnerships.Store, enq *jobs.Enqueuer, ttl time.Duration) error {
	partner, key, err := store.CreatePartner(ctx, "Contoso Partners Ltd", "partners@contoso.example")
	if err != nil {
		return fmt.Errorf("demo partner: %w", err)
	}
	d.apiKey = key
	secret, err := store.RequestSecret(ctx, partner.ID)
	if err != nil {
		return fmt.Errorf("demo partner's request address: %w", err)
	}
	d.reqAddr = "partnerlink+" + secret + "@" + devDomain
	customer, err := store.CreateCustomer(ctx, "Fabrikam, Inc.", "fabrikam.example", partnerships.CustomerUser{
		Email: "admin@fabrikam.example", Name: "Ada Admin", Role: partnerships.GlobalAdmin,
	})
	if err != nil {
		return fmt.Errorf("demo customer: %w", err)
	}
	for _, u := range []partnerships.CustomerUser{
		{CustomerID: customer.ID, Email: "billing@fabrikam.example", Name: "Bill Billing", Role: partnerships.BillingAdmin},
		{CustomerID: customer.ID, Email: "user@fabrikam.example", Name: "Uma User", Role: partnerships.User},
	} {
		if err := store.AddCustomerUser(ctx, u); err != nil {
			return fmt.Errorf("demo user %s: %w", u.Email, err)
		}
	}
	d.demoInv, err = store.CreateInvitation(ctx, partnerships.NewInvitation{
		PartnerID: partner.ID, Email: "admin@fabrikam.example", Type: partnerships.DelegatedAdmin,
		Locale: "en", Message: "Hello Ada — as discussed, this lets us manage your licences and users.", TTL: ttl,
	})
	if err != nil {
		return fmt.Errorf("demo invitation: %w", err)
	}
	return enq.SendInvitationOf(ctx, d.demoInv)
}

func (d *devSystem) printWelcome(w io.Writer) {
	fmt.Fprintf(w, `
partnerlink dev is running (embedded Redis and SMTP; nothing is kept after exit)

  Sent mail:     %[1]s%[2]s   ← open the demo invitation here and click its link
  Partner API:   %[1]s/api/v1/invitations
  API key:       %[3]s   (demo partner "Contoso Partners Ltd")
  SMTP server:   %[4]s   (every message it receives is shown on the mail page)

Demo customer "Fabrikam, Inc.": admin@fabrikam.example (global admin),
billing@fabrikam.example (billing admin), user@fabrikam.example (user, may not accept).
Demo invitation %[5]s was queued to admin@fabrikam.example.

Invite again:
  curl -sS -X POST %[1]s/api/v1/invitations \
    -H 'Authorization: Bearer %[3]s' -H 'Content-Type: application/json' \
    -d '{"customer_email":"billing@fabrikam.example","relationship_type":"reseller","locale":"de"}'

Ask for an invitation by email, as the demo partner (the inbox answers by mail):
  go run ./cmd/partnerlink dev-mail --imap-addr %[6]s --to %[7]s \
    --body 'customer: billing@fabrikam.example\ntype: advisor'

Press Ctrl-C to stop.
`, d.base, devMailPath, d.apiKey, d.sink.Addr(), d.demoInv.ID, d.imap.Addr(), d.reqAddr)
}

// watchInbox runs the inbox watcher on dev's IMAP server until close.
func (d *devSystem) watchInbox(ctx context.Context, store *partnerships.Store, enq *jobs.Enqueuer, cfg config, log *slog.Logger) error {
	router := mailroom.New(mailroom.Config{Address: "partnerlink@" + devDomain, InviteTTL: cfg.InviteTTL},
		store, enq, log.With("component", "mailroom"))
	w, err := inbox.NewWatcher(inbox.Config{
		Addr: d.imap.Addr(), TLS: inbox.TLSNone, Username: devIMAPUser, Password: devIMAPPassword,
	}, d.rdb, router, log.With("component", "inbox"))
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.inbox, d.inboxed = cancel, make(chan struct{})
	go func() {
		defer close(d.inboxed)
		if err := w.Run(wctx); err != nil && wctx.Err() == nil {
			log.Error("inbox watcher stopped", "err", err)
		}
	}()
	return nil
}

func (d *devSystem) close() {
	if d.sched != nil {
		d.sched()
		<-d.swept
	}
	if d.inbox != nil {
		d.inbox()
		<-d.inboxed
	}
	if d.imap != nil {
		d.imap.Close()
	}
	if d.worker != nil {
		d.worker.Shutdown()
	}
	if d.client != nil {
		d.client.Close()
	}
	if d.mail != nil {
		d.mail.Close()
	}
	if d.sink != nil {
		d.sink.Close()
	}
	if d.rdb != nil {
		d.rdb.Close()
	}
	if d.redis != nil {
		d.redis.Close()
	}
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
