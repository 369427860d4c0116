package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"

	"github.com/partnerlink/partnerlink/jobs"
	"github.com/partnerlink/partnerlink/partnerships"
	"github.com/partnerlink/partnerlink/templates"
	"github.com/partnerlink/partnerlink/web"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("serve", "Serves the partner API and the customer pages.", stdout,
		"redis-url", "http-addr", "base-url", "token-keys", "agreements-dir", "invite-ttl", "api-rate", "link-rate", "log-format", "log-level",
		"reminders", "operator-key",
		"smtp-url") // Observability (metrics): only for /readyz
	cfg, err := f.parse(args, "redis-url", "base-url", "token-keys")
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
	lib, err := loadAgreements(cfg.AgreementsDir)
	if err != nil {
		return err
	}
	tpl, err := templates.New()
	if err != nil {
		return err
	}
	smtpCheck, err := readySMTP(cfg, lb, log) // Observability (metrics)
	if err != nil {
		return err
	}
	rdb, connOpt, err := openRedis(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	warnDurability(ctx, rdb, log) // faults
	client := asynq.NewClient(connOpt)
	defer client.Close()
	obs, err := serveObservability(connOpt, smtpCheck) // Observability (metrics)
	if err != nil {
		return err
	}
	defer obs.close()
	srv, err := web.New(webConfig(cfg), web.Deps{
		Store: partnerships.NewStore(rdb, partnerships.WithReminders(cfg.Reminders)), Tokens: ring, Agreements: lib, Templates: tpl,
		Links: lb, Enqueuer: jobs.NewEnqueuer(client), Logger: log, RDB: rdb,
		Metrics: obs.metrics, MetricsHandler: obs.handler, SMTPCheck: obs.smtpCheck,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "base_url", cfg.BaseURL)
	return serveHTTP(ctx, ln, srv, log)
}

// webConfig is the web server's part of cfg.
func webConfig(cfg config) web.Config {
	return web.Config{InviteTTL: cfg.InviteTTL, APILimit: perMinute(cfg.APIRate), LinkLimit: perMinute(cfg.LinkRate),
		OperatorKey: cfg.OperatorKey}
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	hs := web.HTTPServer(ln.Addr().String(), h, log)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http shutdown: %w", err)
	}
	log.Info("http server stopped")
	return nil
}
